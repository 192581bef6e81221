"""Every Redis key the operations layer owns (prefixed with ``REDIS_KEY_PREFIX``)."""

from django.conf import settings


def rate_limit_overrides_key() -> str:
    """Staff overrides of the rate limits: endpoint class → "rate,burst,rate,burst"."""
    return f"{settings.REDIS_KEY_PREFIX}ops:rate-limits"


def rate_limit_bucket_key(endpoint_class: str, tag: str) -> str:
    """One caller's token bucket for one endpoint class. ``tag`` is the caller's hash tag:
    a user's id, so the bucket shares a slot with the user's token digests and cart and
    one script may authenticate, limit and change the cart together; or ``ip<address>``
    for a caller nobody has authenticated."""
    return f"{settings.REDIS_KEY_PREFIX}rl:{{{tag}}}:{endpoint_class}"


def rate_limit_global_key(endpoint_class: str) -> str:
    """The class's global bucket. Only the processes' background leases touch it (see
    ``ops.global_budget``), a few times a second each, never a request."""
    return f"{settings.REDIS_KEY_PREFIX}rl:{{global}}:{endpoint_class}"


def rate_limit_leasers_key() -> str:
    """The processes that leased global budgets lately (name → time), so each knows its share."""
    return f"{settings.REDIS_KEY_PREFIX}rl:{{global}}:leasers"


def rate_limit_stats_key(window: int) -> str:
    """Decisions counted per window (allowed, rejected, rejected_global) for the load
    monitor; every process adds its counts with its next lease (same slot as the global buckets)."""
    return f"{settings.REDIS_KEY_PREFIX}rl:{{global}}:stats:{window}"


def load_monitor_key() -> str:
    """The load monitor's state: shedding or not, and its strained/calm streaks."""
    return f"{settings.REDIS_KEY_PREFIX}ops:load-monitor"


def switches_key() -> str:
    """Degradation switches: "<source>:<feature>" → "on" or "off"."""
    return f"{settings.REDIS_KEY_PREFIX}ops:switches"
