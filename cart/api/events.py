"""``GET /api/v1/cart/events``: the caller's cart version as server-sent events.

An ``async`` view: under an ASGI server a waiting stream is a suspended coroutine, not
a thread, so thousands of idle devices cost no workers (docs/sync-and-sharing.md says
how it is deployed next to the WSGI workers). DRF's authentication is synchronous, so
the view authenticates itself with the same token logic (in a thread, once per
connection) or the session. After that, nothing per message touches the database:
versions come from Redis pub/sub (``cart.engine.sync``).

Stream: ``retry`` and an event with the current version at once, then an event for
every newer version, and a comment line every ``CART_EVENTS_HEARTBEAT_SECONDS`` so
proxies and clients can tell a quiet stream from a dead one.
"""

import json

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import CachedTokenAuthentication
from cart.engine.sync import EventsLost, cart_events_listen
from cart.selectors import cart_get_raw, cart_version_now
from core.errors import ApiError
from ops.switches import require_feature

# How long a client waits before reconnecting after the stream ended (EventSource "retry").
RETRY_MS = 2000
WSGI_RETRY_MS = 5000


class NotAuthenticated(ApiError):
    status = 401
    code = "not_authenticated"
    detail = "Authentication credentials were not provided."


class MethodNotAllowed(ApiError):
    status = 405
    code = "method_not_allowed"
    detail = "Only GET is allowed here."


def _error(exc: ApiError) -> JsonResponse:
    response = JsonResponse(exc.as_body(), status=exc.status)
    if isinstance(exc, NotAuthenticated):
        response["WWW-Authenticate"] = "Token"
    elif isinstance(exc, MethodNotAllowed):
        response["Allow"] = "GET"
    return response


async def _user_id(request) -> int:
    """The caller's user id from ``Authorization: Token …`` or the session cookie.

    Raises ``NotAuthenticated`` for no credentials or a bad, expired or revoked token.
    """
    if request.headers.get("Authorization"):
        try:
            result = await sync_to_async(CachedTokenAuthentication().authenticate)(request)
        except AuthenticationFailed as exc:
            raise NotAuthenticated(str(exc.detail)) from None
        if result is not None:
            return result[0].pk
    user = await request.auser()
    if user.is_authenticated:
        return user.pk
    raise NotAuthenticated()


def _event(version: int) -> str:
    return f"data: {json.dumps({'version': version})}\n\n"


async def _stream(user_id: int):
    heartbeat = settings.CART_EVENTS_HEARTBEAT_SECONDS
    # Subscribed before the current version is read, so no change falls in between;
    # the context exits (and unsubscribes) also when the client goes away, which
    # cancels this generator.
    async with cart_events_listen(user_id) as listener:
        sent = await cart_version_now(user_id)
        yield f"retry: {RETRY_MS}\n{_event(sent)}"
        while True:
            try:
                version = await listener.wait(heartbeat)
            except EventsLost:
                return  # the client reconnects and starts from the version then
            if version is None:
                yield ": keep-alive\n\n"
            elif version > sent:
                sent = version
                yield _event(version)


@csrf_exempt  # a read: an unsafe method gets the JSON 405 below, not a CSRF page
async def cart_events(request):
    """Stream the caller's cart versions; 401 ``not_authenticated``, 503 ``degraded``
    when the ``cart_events`` switch is off, 405 for anything but GET."""
    try:
        if request.method != "GET":
            raise MethodNotAllowed()
        user_id = await _user_id(request)
        await sync_to_async(require_feature)("cart_events")
    except ApiError as exc:
        return _error(exc)
    if isinstance(request, ASGIRequest):
        response = StreamingHttpResponse(_stream(user_id), content_type="text/event-stream")
    else:
        # Under a WSGI server a held stream would pin a worker thread for as long as the
        # tab stays open (and Django's WSGI path would buffer it whole): send the version
        # and end; the client's reconnects turn into polling every WSGI_RETRY_MS.
        cart = await sync_to_async(cart_get_raw)(user_id=user_id)
        response = HttpResponse(f"retry: {WSGI_RETRY_MS}\n{_event(cart.version)}", content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx would otherwise hold events in its buffer
    return response
