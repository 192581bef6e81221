from django.http import JsonResponse
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # it changes nothing, so an unsafe method gets the 404, not a CSRF page
def api_not_found(request, *args, **kwargs):
    """Unknown routes under /api/ answer JSON, not Django's HTML 404."""
    return JsonResponse({"code": "not_found", "detail": "No such endpoint."}, status=404)


def csrf_failure(request, reason: str = ""):
    """``CSRF_FAILURE_VIEW``: JSON under /api/ (a session-cookie request to a view that
    checks CSRF), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        detail = "CSRF check failed: send the X-CSRFToken header with a session, or use a Token."
        return JsonResponse({"code": "csrf_failed", "detail": detail}, status=403)
    return csrf.csrf_failure(request, reason=reason)


def _api_error(code: str, detail: str, status: int) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


# Django's own error handlers (config/urls.py): JSON under /api/, the styled pages
# (templates/4xx.html, 500.html) elsewhere. They answer what fails before or outside a
# view: a Host this service does not serve, a bad request Django itself refuses.


def bad_request(request, exception):
    if _is_api(request):
        return _api_error("invalid", "The request is malformed or names a host this service does not serve.", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return _api_error("permission_denied", "You are not allowed to do this.", 403)
    return defaults.permission_denied(request, exception)


def server_error(request):
    if _is_api(request):
        return _api_error("server_error", "Something went wrong on our side; please try again.", 500)
    return defaults.server_error(request)
