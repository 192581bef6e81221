"""Request latency by route, for /metrics; one Redis timeout at most per request."""

import time

from core.metrics import REQUEST_LATENCY
from ops.redis_client import one_redis_timeout_per_request


class RedisFailFastMiddleware:
    """After one Redis call of a request found Redis unreachable, the request's later
    calls fail at once (``ops.redis_client``): a request waits out one timeout, not one
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
