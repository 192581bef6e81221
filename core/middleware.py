"""Guards that apply before any view runs."""

import logging

from django.conf import settings
from django.http import JsonResponse

from core.errors import TooLarge

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"


def _error(code: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


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
            return _error("invalid", "Content-Length is not a number.", 400)
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return _error(TooLarge.code, TooLarge.detail, TooLarge.status)
        return self.get_response(request)


class ApiJsonErrorsMiddleware:
    """Under /api/, never answer with an HTML page or a stack trace.

    DRF renders the errors it knows; this catches what escapes it (a bug, a dead
    dependency) and Django's own 404 for unknown routes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX) and response.status_code == 404 and not _is_json(response):
            return _error("not_found", "No such endpoint.", 404)
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith(API_PREFIX):
            return None
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return _error("server_error", "Something went wrong on our side; please try again.", 500)


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
