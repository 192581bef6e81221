"""Every Redis key the operations layer owns (prefixed with ``REDIS_KEY_PREFIX``)."""

from django.conf import settings


def rate_limit_overrides_key() -> str:
    """Staff overrides of the rate limits: endpoint class → "rate,burst,rate,burst"."""
    return f"{settings.REDIS_KEY_PREFIX}ops:rate-limits"


def rate_limit_bucket_keys(endpoint_class: str, identity: str, sub_bucket: int) -> tuple[str, str]:
    """A caller's token bucket and its share of the class's global bucket: one hash tag
    per sub-bucket, so both sit in one slot with that window's decision counts."""
    tag = f"rl{sub_bucket}"
    prefix = settings.REDIS_KEY_PREFIX
    return f"{prefix}rl:{{{tag}}}:{endpoint_class}:{identity}", f"{prefix}rl:{{{tag}}}:{endpoint_class}:global"


def rate_limit_stats_key(sub_bucket: int, window: int) -> str:
    """Decisions counted per window (allowed, rejected, rejected_global) for the load monitor."""
    return f"{settings.REDIS_KEY_PREFIX}rl:{{rl{sub_bucket}}}:stats:{window}"


def load_monitor_key() -> str:
    """The load monitor's state: shedding or not, and its strained/calm streaks."""
    return f"{settings.REDIS_KEY_PREFIX}ops:load-monitor"


def switches_key() -> str:
    """Degradation switches: "<source>:<feature>" → "on" or "off"."""
    return f"{settings.REDIS_KEY_PREFIX}ops:switches"
