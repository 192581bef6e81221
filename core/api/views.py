from django.http import JsonResponse
from django.views import csrf
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
