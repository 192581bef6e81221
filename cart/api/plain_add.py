"""`POST /api/v1/cart/items` for the plain request, without DRF's per-request machinery.

Add to cart is the hottest write of the peak day. DRF's request wrapper, content
negotiation, authenticator and throttle instances and template response cost about a
tenth of an add's CPU (measured in docs/peak-day.md). This wrapper serves the plain
request itself: token authentication, a JSON body the serializer-free validator accepts,
an ``Accept`` that JSON satisfies (an ``Idempotency-Key`` too: the add's script checks
and records it) and no query string. Anything
else goes, untouched, to the DRF view, which stays the documented implementation (the
OpenAPI schema is generated from it) and handles every unusual case.

Both paths run the same authentication, throttle, service, presenter and error handler,
and answer with the same status, headers and bytes (``tests/cart/test_plain_add.py``).
``CART_PLAIN_ADD=0`` sends every request to DRF.
"""

import orjson
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions

from accounts.authentication import CachedTokenAuthentication
from cart import services
from cart.api.conditions import etag, expected_version, keyed_request
from cart.api.one_call import OneCallView, gate_pass_now, request_store
from cart.api.presenters import line_change_json
from cart.api.serializers import AddLineIn
from core.api.exceptions import api_exception_handler
from core.api.parsers import has_long_number
from core.api.renderers import FastJSONRenderer
from core.errors import InvalidInput
from ops.ratelimit import CoreWriteThrottle

_ACCEPTED = frozenset({"", "*/*", "application/json"})
_CONTENT_TYPES = frozenset({"application/json", "application/json; charset=utf-8"})
_renderer = FastJSONRenderer()


def _plain_body(request) -> tuple[dict, dict] | None:
    """The parsed and the validated body of a plain add request, or None when DRF should serve it."""
    meta = request.META
    if (
        request.method != "POST"
        or meta.get("QUERY_STRING")
        or meta.get("CONTENT_TYPE") not in _CONTENT_TYPES
        or meta.get("HTTP_ACCEPT", "") not in _ACCEPTED
        or not meta.get("HTTP_AUTHORIZATION", "").startswith("Token ")
    ):
        return None
    body = request.body
    if has_long_number(body):
        return None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    data = AddLineIn.plain(parsed)
    return None if data is None else (parsed, data)


def _json(data, status: int, headers) -> HttpResponse:
    response = HttpResponse(_renderer.render(data), status=status, content_type="application/json")
    for name, value in headers:
        response[name] = value
    return response


def _add(request, parsed: dict, data: dict, allow: str) -> HttpResponse | None:
    """Serve the add; None when DRF should (a malformed If-Match or Idempotency-Key, no
    token after all)."""
    try:
        version = expected_version(request)
        keyed = keyed_request(request, parsed)
    except InvalidInput:
        return None
    try:
        auth = CachedTokenAuthentication(rate_limited_as=CoreWriteThrottle.endpoint_class, one_call=True).authenticate(
            request
        )
        if auth is None:
            return None
        request.user = auth[0]
        throttle = CoreWriteThrottle()
        if not throttle.allow_request(request, OneCallView):
            raise exceptions.Throttled(throttle.wait())
        change = services.cart_add_line(
            user_id=request.user.pk, expected_version=version, store=request_store(request), keyed=keyed, **data
        )
    except Exception as exc:
        error = exc
        try:
            gate_pass_now(request)  # as OneCallView does: a wrong token is 401 whatever else went wrong
        except exceptions.APIException as refusal:
            error = refusal
        response = api_exception_handler(error, {"request": request, "view": None})
        if response is None:
            raise
        headers = [(name, value) for name, value in response.items() if name != "Content-Type"]
        return _json(response.data, response.status_code, [("Allow", allow), *headers])
    headers = [("Allow", allow), ("ETag", etag(change.cart_version))]
    if change.replayed:
        headers.append(("Idempotent-Replayed", "true"))
    return _json(line_change_json(change), 200, headers)


def served_plainly(drf_view):
    """Wrap the DRF view of ``POST /cart/items``: plain requests are served here."""
    allow = ", ".join(drf_view.cls().allowed_methods)

    @csrf_exempt  # as DRF's views are: only session authentication checks CSRF, and it is never used here
    def view(request, *args, **kwargs):
        if settings.CART_PLAIN_ADD and (bodies := _plain_body(request)) is not None:
            response = _add(request, *bodies, allow)
            if response is not None:
                return response
        return drf_view(request, *args, **kwargs)

    # The schema generator and DRF's tooling find the view class here.
    view.cls, view.initkwargs, view.view_class = drf_view.cls, drf_view.initkwargs, drf_view.view_class
    return view
