"""The metrics registry of the platform: request, Redis and backing-service counters, and
the scrape-time collectors every app registers (exported at /metrics by ops.metrics_views).

Counters and histograms are recorded where things happen; an app's own live in its
``metrics`` module (``cart.metrics``, ``catalog.metrics``). Gauges that describe shared
state (a queue's depth, switches) are read when Prometheus scrapes: their owner passes a
collector to ``register_state_collector``.
"""

from prometheus_client import CollectorRegistry, Counter, Histogram

REDIS_BREAKER_OPENED = Counter("redis_breaker_opened_total", "Times a Redis circuit breaker opened.", ["client"])
REDIS_BREAKER_REFUSED = Counter(
    "redis_breaker_refused_total", "Redis calls refused at once while the breaker was open.", ["client"]
)
SERVICE_UNAVAILABLE = Counter(
    "service_unavailable_total",
    "Requests answered 503 because a backing service did not answer (or Redis was full).",
    ["service"],
)
REQUEST_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Request latency by route and status class.",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)

# Kept apart from the default registry: in multiprocess mode that one is rebuilt from the
# workers' files on each scrape, and these gauges must be read live, once.
STATE_REGISTRY = CollectorRegistry(auto_describe=False)


def register_state_collector(collector) -> None:
    """Add a collector whose ``collect()`` reads shared state at scrape time. It should
    report what it can and log the rest: one unavailable source must not fail a scrape."""
    STATE_REGISTRY.register(collector)
