from datetime import datetime


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, to the millisecond (API.md timestamps)."""
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
