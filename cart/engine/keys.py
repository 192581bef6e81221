"""Every Redis key the cart uses, one function per shape.

The ``{user_id}`` braces are a Redis Cluster hash tag: every key of one user (cart,
lock, idempotency records) lands in the same slot, so one script may touch them all.
``REDIS_KEY_PREFIX`` stays outside the tag.
"""

from functools import cache

from django.conf import settings
from redis.crc import REDIS_CLUSTER_HASH_SLOTS as SLOTS
from redis.crc import key_slot


def _p() -> str:
    return settings.REDIS_KEY_PREFIX


def cart_key(user_id: int) -> str:
    return f"{_p()}cart:{{{user_id}}}"


def saved_key(user_id: int) -> str:
    """The user's "Saved for later" lines: field ``"<item_id>:<sku_id>"`` → the line's
    value, as in the cart. No ``_v`` of its own: it is loaded, expires and is lost
    together with the cart, whose version it shares."""
    return f"{_p()}saved:{{{user_id}}}"


def lock_key(user_id: int) -> str:
    return f"{_p()}cart:{{{user_id}}}:lock"


def checkout_lock_key(user_id: int) -> str:
    return f"{_p()}cart:{{{user_id}}}:checkout"


def events_channel(user_id: int) -> str:
    """Pub/sub channel on which every change of the user's cart announces its version."""
    return f"{_p()}cart:{{{user_id}}}:events"


def idempotency_records_key(user_id: int) -> str:
    """The user's last keyed requests (``cart.engine.idempotency``)."""
    return f"{_p()}idem:{{{user_id}}}"


# --- per-slot streams ----------------------------------------------------------------
# Every mutation script appends to the persistence stream, the dirty index and (for new
# lines) the check stream in the same atomic call, so those keys must share the cart's
# hash slot. On one server a single key of each kind does; on a Redis Cluster there is
# one of each per hash slot, named by a tag that hashes to that slot.


@cache
def _slot_tags() -> tuple[str, ...]:
    """For each of the 16384 slots, the shortest ``s<n>`` string that hashes to it."""
    tags: list[str | None] = [None] * SLOTS
    missing, n = SLOTS, 0
    while missing:
        tag = f"s{n}"
        slot = key_slot(tag.encode())
        if tags[slot] is None:
            tags[slot] = tag
            missing -= 1
        n += 1
    return tuple(tag for tag in tags if tag is not None)  # every slot has one by now


def user_slot(user_id: int) -> int:
    """The hash slot of every key of this user (the ``{user_id}`` tag)."""
    return key_slot(str(user_id).encode())


def _per_slot(name: str, user_id: int) -> str:
    if settings.REDIS_CLUSTER:
        return f"{_p()}cart:{name}:{{{_slot_tags()[user_slot(user_id)]}}}"
    return f"{_p()}cart:{name}"


def _all(name: str) -> list[str]:
    return list(_all_cached(_p(), name, settings.REDIS_CLUSTER))


@cache
def _all_cached(prefix: str, name: str, cluster: bool) -> tuple[str, ...]:
    # 16,384 names on a cluster, asked for on every metrics scrape and reconciliation:
    # built once per process (per prefix, so tests that switch settings still get theirs).
    if cluster:
        return tuple(f"{prefix}cart:{name}:{{{tag}}}" for tag in _slot_tags())
    return (f"{prefix}cart:{name}",)


def log_key(user_id: int) -> str:
    """The persistence stream the user's changes are appended to."""
    return _per_slot("log", user_id)


def check_key(user_id: int) -> str:
    """The stream of lines waiting for their catalog check (validity, stock, price)."""
    return _per_slot("checks", user_id)


def dirty_key(user_id: int) -> str:
    """Sorted set of user ids by last change time, drained by reconciliation."""
    return _per_slot("dirty", user_id)


def mutation_keys(user_id: int) -> list[str]:
    """KEYS of every mutation script, in the order ``_mutation.lua`` expects; one slot."""
    return [
        cart_key(user_id),
        log_key(user_id),
        dirty_key(user_id),
        check_key(user_id),
        events_channel(user_id),
        idempotency_records_key(user_id),
        saved_key(user_id),
    ]


def log_keys() -> list[str]:
    """Every persistence stream: one on a single server, one per slot on a cluster."""
    return _all("log")


def dirty_keys() -> list[str]:
    return _all("dirty")


def check_keys() -> list[str]:
    return _all("checks")
