"""The shard map: which logical cart database holds a user's cart.

There are always 16 logical shards (aliases ``cart_00`` … ``cart_15``); how they map
onto physical servers is configuration (``CART_SHARD_URLS``). Changing the number of
logical shards would move every user, so it is a constant, not a setting.
"""

import zlib

from django.core.exceptions import ImproperlyConfigured

LOGICAL_SHARDS = 16
SHARD_ALIASES = tuple(f"cart_{n:02d}" for n in range(LOGICAL_SHARDS))


def shard_index(user_id: int) -> int:
    """Return the logical shard number (0..15) of ``user_id``.

    CRC32 of the id's 8-byte big-endian form: stable across processes, Python versions
    and machines (unlike ``hash()``), and it spreads ids that share a stride (all even,
    all multiples of 16) that a plain modulo would pile onto one shard.
    """
    return zlib.crc32(int(user_id).to_bytes(8, "big", signed=False)) % LOGICAL_SHARDS


def shard_for_user(user_id: int) -> str:
    """Return the database alias that holds ``user_id``'s cart rows."""
    return SHARD_ALIASES[shard_index(user_id)]


def expand_shard_urls(entries: list[str]) -> dict[str, str]:
    """Map every shard alias to a database URL.

    Each entry is a URL in which ``{shard}`` stands for the two-digit shard number
    (``mysql://root@db1:3306/cart_{shard}``). One entry puts all 16 logical shards on
    one server; several entries split the aliases into contiguous ranges, entry ``k``
    of ``n`` taking aliases ``16k/n`` up to ``16(k+1)/n``. Exactly 16 entries may name
    databases without the placeholder.
    """
    if not entries:
        raise ImproperlyConfigured("CART_SHARD_URLS needs at least one URL.")
    if len(entries) > LOGICAL_SHARDS:
        raise ImproperlyConfigured(f"CART_SHARD_URLS has {len(entries)} URLs; there are only {LOGICAL_SHARDS} shards.")
    if len(entries) < LOGICAL_SHARDS:
        for entry in entries:
            if "{shard}" not in entry:
                raise ImproperlyConfigured(
                    "With fewer than 16 CART_SHARD_URLS, each must contain '{shard}' so "
                    f"every logical shard gets its own database: {entry!r}"
                )
    urls = {}
    for n, alias in enumerate(SHARD_ALIASES):
        entry = entries[n * len(entries) // LOGICAL_SHARDS]
        urls[alias] = entry.replace("{shard}", f"{n:02d}")
    if len(set(urls.values())) != LOGICAL_SHARDS:
        raise ImproperlyConfigured("Two shard aliases point at the same database.")
    return urls
