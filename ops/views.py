from django.http import JsonResponse
from django.views.decorators.http import require_GET

from ops.readiness import check_all


@require_GET
def healthz(request):
    """The process is up and serving; says nothing of its dependencies."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    """200 only when every database alias, Redis and the broker answer."""
    checks = check_all()
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
