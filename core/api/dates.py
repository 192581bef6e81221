from datetime import UTC, datetime
from functools import lru_cache


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, to the millisecond (API.md timestamps)."""
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@lru_cache(maxsize=1 << 16)
def iso_utc_ms(ms: int) -> str:
    """``iso_utc`` of a time in epoch milliseconds. Cached: a cart's timestamps repeat
    on every read of it, and formatting was a third of a 120-line read."""
    return iso_utc(datetime.fromtimestamp(ms / 1000, tz=UTC))
