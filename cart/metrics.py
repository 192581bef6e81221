"""The cart's metrics, counted where things happen (its gauges: ``cart.persistence.gauges``)."""

from prometheus_client import Counter, Histogram

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
RENDER_CACHE = Counter("cart_render_cache_total", "Cart reads answered with an already rendered body.", ["result"])
