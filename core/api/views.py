from django.http import JsonResponse


def api_not_found(request, *args, **kwargs):
    """Unknown routes under /api/ answer JSON, not Django's HTML 404."""
    return JsonResponse({"code": "not_found", "detail": "No such endpoint."}, status=404)
