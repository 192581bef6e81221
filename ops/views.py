from django.http import JsonResponse
from django.views.decorators.http import require_GET

from ops.readiness import check_all, warnings


@require_GET
def healthz(request):
    """The process is up and serving; says nothing of its dependencies."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    """200 only when every database alias, Redis and the broker answer. ``warnings`` name
    what works but costs more than it should (such as Redis settings that make carts hashtables);
    they never take the instance out of rotation."""
    checks = check_all()
    ready = all(result == "ok" for result in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    if checks.get("redis") == "ok":
        body["warnings"] = warnings()
    return JsonResponse(body, status=200 if ready else 503)
