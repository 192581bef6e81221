"""The operations layer's metrics: rate limits, login limits, load shedding and the Redis
round trip the load monitor measures (exported at /metrics by ops.metrics_views)."""

from prometheus_client import Counter, Gauge, Histogram

RATE_LIMIT_DECISIONS = Counter("rate_limit_decisions_total", "Rate limiter decisions.", ["endpoint_class", "result"])
RATE_LIMIT_FAILED_OPEN = Counter(
    "rate_limit_failed_open_total", "Requests let through unlimited because Redis did not answer.", ["endpoint_class"]
)
RATE_LIMIT_SYNC_LEASES = Counter(
    "rate_limit_sync_leases_total",
    "Global-budget leases taken on the request path (a process that had not leased for a while).",
    ["endpoint_class"],
)
LOGIN_LIMIT_DECISIONS = Counter(
    "login_limit_decisions_total", "Login limit checks: allowed, refused, or failed open (Redis down).", ["result"]
)
LOAD_SHEDDING = Gauge("load_shedding", "1 while the load monitor has non-core features switched off.")
REDIS_ROUND_TRIP = Histogram(
    "redis_round_trip_seconds",
    "Redis round-trip time measured by the load monitor.",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)
