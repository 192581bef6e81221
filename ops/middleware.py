"""Request latency by route, for /metrics."""

import time

from ops.metrics import REQUEST_LATENCY


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
