from django.http import JsonResponse
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(code: str, detail: str, status: int) -> JsonResponse:
    """An error in the contract's shape, for the few answers made outside DRF."""
    return JsonResponse({"code": code, "detail": detail}, status=status)


@csrf_exempt  # it changes nothing, so an unsafe method gets the 404, not a CSRF page
def api_not_found(request, *args, **kwargs):
    """Unknown routes under /api/ answer JSON, not Django's HTML 404."""
    return json_error("not_found", "No such endpoint.", 404)


def csrf_failure(request, reason: str = ""):
    """``CSRF_FAILURE_VIEW``: JSON under /api/ (a session-cookie request to a view that
    checks CSRF), Django's page elsewhere."""
    if is_api(request):
        detail = "CSRF check failed: send the X-CSRFToken header with a session, or use a Token."
        return json_error("csrf_failed", detail, 403)
    return csrf.csrf_failure(request, reason=reason)


# Django's own error handlers (config/urls.py): JSON under /api/, the styled pages
# (templates/4xx.html, 500.html) elsewhere. They answer what fails before or outside a
# view: a Host this service does not serve, a bad request Django itself refuses.


def bad_request(request, exception):
    if is_api(request):
        return json_error("invalid", "The request is malformed or names a host this service does not serve.", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api(request):
        return json_error("permission_denied", "You are not allowed to do this.", 403)
    return defaults.permission_denied(request, exception)


def server_error(request):
    if is_api(request):
        return json_error("server_error", "Something went wrong on our side; please try again.", 500)
    return defaults.server_error(request)
