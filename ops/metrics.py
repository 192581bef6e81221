"""Prometheus metrics (exported at /metrics by ops.metrics_views)."""

from prometheus_client import Counter, Gauge, Histogram

CART_LOADS = Counter("cart_cache_loads_total", "Carts loaded from their MySQL shard into Redis.")
CART_OPERATIONS = Counter("cart_operations_total", "Cart operations by name and result.", ["operation", "result"])
PERSIST_MESSAGES = Counter("cart_persist_messages_total", "Persistence messages by outcome.", ["outcome"])
PERSIST_LAG = Histogram(
    "cart_persist_lag_seconds",
    "Time from a change in Redis to its commit in MySQL.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30, 60, 300),
)
DEAD_LETTERS = Counter("cart_dead_letters_total", "Persistence messages that exhausted their retries.")
RECONCILE_FIXES = Counter("cart_reconcile_lines_fixed_total", "Lines reconciliation repaired in MySQL.")
RATE_LIMIT_DECISIONS = Counter("rate_limit_decisions_total", "Rate limiter decisions.", ["endpoint_class", "result"])
REDIS_BREAKER_OPENED = Counter("redis_breaker_opened_total", "Times a Redis circuit breaker opened.", ["client"])
REDIS_BREAKER_REFUSED = Counter(
    "redis_breaker_refused_total", "Redis calls refused at once while the breaker was open.", ["client"]
)
RATE_LIMIT_FAILED_OPEN = Counter(
    "rate_limit_failed_open_total", "Requests let through unlimited because Redis did not answer.", ["endpoint_class"]
)
SERVICE_UNAVAILABLE = Counter(
    "service_unavailable_total", "Requests answered 503 because a backing service did not answer.", ["service"]
)
LOGIN_LIMIT_DECISIONS = Counter(
    "login_limit_decisions_total", "Login limit checks: allowed, refused, or failed open (Redis down).", ["result"]
)
LOAD_SHEDDING = Gauge("load_shedding", "1 while the load monitor has non-core features switched off.")
REQUEST_LATENCY = Histogram(
    "http_request_duration_seconds",
    "Request latency by route and status class.",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
REDIS_ROUND_TRIP = Histogram(
    "redis_round_trip_seconds",
    "Redis round-trip time measured by the load monitor.",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)
RENDER_CACHE = Counter("cart_render_cache_total", "Cart reads answered with an already rendered body.", ["result"])
SKU_CACHE = Counter("sku_info_cache_total", "SKU display data lookups by the layer that answered.", ["layer"])
