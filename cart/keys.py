"""Every Redis key the cart uses, one function per shape.

The ``{user_id}`` braces are a Redis Cluster hash tag: every key of one user (cart,
lock, idempotency records) lands in the same slot, so one script may touch them all.
``REDIS_KEY_PREFIX`` stays outside the tag.
"""

import hashlib

from django.conf import settings


def _p() -> str:
    return settings.REDIS_KEY_PREFIX


def cart_key(user_id: int) -> str:
    return f"{_p()}cart:{{{user_id}}}"


def lock_key(user_id: int) -> str:
    return f"{_p()}cart:{{{user_id}}}:lock"


def events_channel(user_id: int) -> str:
    """Pub/sub channel on which every change of the user's cart announces its version."""
    return f"{_p()}cart:{{{user_id}}}:events"


def idempotency_key(user_id: int, client_key: str) -> str:
    # Hashed: the client's key may be 255 arbitrary characters.
    digest = hashlib.sha256(client_key.encode()).hexdigest()[:32]
    return f"{_p()}idem:{{{user_id}}}:{digest}"


def log_key(user_id: int) -> str:
    """The persistence stream a user's changes are appended to (one per Redis node today)."""
    return f"{_p()}cart:log"


def check_key(user_id: int) -> str:
    """The stream of lines waiting for their catalog check (validity, stock, price)."""
    return f"{_p()}cart:checks"


def dirty_key(user_id: int) -> str:
    """Sorted set of user ids by last change time, drained by reconciliation."""
    return f"{_p()}cart:dirty"


def log_keys() -> list[str]:
    """Every persistence stream, for the consumers."""
    return [log_key(0)]


def dirty_keys() -> list[str]:
    return [dirty_key(0)]


def check_keys() -> list[str]:
    return [check_key(0)]
