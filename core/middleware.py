"""Guards that apply before any view runs, one Redis timeout at most per request, and
request latency by route for /metrics."""

import logging
import time

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from core.api.views import is_api, json_error
from core.errors import TooLarge, Unavailable503, service_unavailable_for
from core.metrics import REQUEST_LATENCY
from core.redis_client import one_redis_timeout_per_request

logger = logging.getLogger(__name__)


class BodySizeLimitMiddleware:
    """Refuse bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with 413 before anything reads them.

    DRF's parsers read the request stream directly and never hit Django's own limit,
    so the declared length is checked here, for every path.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error("invalid", "Content-Length is not a number.", 400)
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return json_error(TooLarge.code, TooLarge.detail, TooLarge.status)
        return self.get_response(request)


class ApiJsonErrorsMiddleware:
    """Under /api/, never answer with an HTML page or a stack trace; anywhere, answer a
    backing service that did not answer with a 503 and ``Retry-After``.

    DRF renders the errors it knows; this catches what escapes it (a bug, a dead
    dependency, a page's view) and Django's own 404 for unknown routes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if is_api(request) and response.status_code == 404 and not _is_json(response):
            return json_error("not_found", "No such endpoint.", 404)
        return response

    def process_exception(self, request, exception):
        unavailable = exception if isinstance(exception, Unavailable503) else service_unavailable_for(exception)
        if unavailable is not None:
            if is_api(request):
                response = JsonResponse(unavailable.as_body(), status=unavailable.status)
            else:  # a shopper's page: a page that says so, not a stack trace or a bare 500
                page = render_to_string("503.html", {"detail": unavailable.detail})
                response = HttpResponse(page, status=unavailable.status)
            response["Retry-After"] = str(unavailable.retry_after)
            return response
        if not is_api(request):
            return None
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return json_error("server_error", "Something went wrong on our side; please try again.", 500)


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class RedisFailFastMiddleware:
    """After one Redis call of a request found Redis unreachable, the request's later
    calls fail at once (``core.redis_client``): a request waits out one timeout, not one
    per call, and answers 503 well within a second."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with one_redis_timeout_per_request():
            return self.get_response(request)


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # Route names, not paths: ids in paths would make one series per cart line.
        route = match.view_name if match is not None and match.view_name else "unmatched"
        REQUEST_LATENCY.labels(route, request.method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
        return response


class PageMessageMiddleware(MessageMiddleware):
    """Django's one-time messages ("Added to cart") for the pages only.

    The API never shows one, yet Django's middleware made the storage (a cookie storage
    with its signer, and a session storage) for every request and settled it after the
    response. Under /api/ a request gets no storage; ``get_messages`` and the template
    context see none, and a view that tried to add one would fail loudly.
    """

    def process_request(self, request):
        if not is_api(request):
            super().process_request(request)
