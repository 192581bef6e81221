"""The Redis settings that keep a cart a compact hash (a listpack), and a check of them.

Redis stores a hash as a listpack, about a third of the memory of a hashtable, while it
has at most ``hash-max-listpack-entries`` fields and no value longer than
``hash-max-listpack-value`` bytes; past either it converts the hash for good. A cart is
its lines plus ``_v``, each line a value of format 2 (``codec``, at most 64 bytes); a
saved-for-later list is up to 500 such lines. The service ships Redis with the settings
below (docker-compose, the embedded server, the cluster script); Redis's defaults (128
and 64) are enough for carts alone, not for long saved lists.
"""

from django.conf import settings

from cart.engine.codec import LONGEST_VALUE

# What the service's own Redis runs with: room for the 500-line saved lists beside the carts.
SHIPPED = {"hash-max-listpack-entries": 512, "hash-max-listpack-value": 64}


def required() -> dict[str, int]:
    """The least values with which every cart and saved list stays compact."""
    return {
        # A cart's lines and _v; a saved list's lines.
        "hash-max-listpack-entries": max(settings.CART_MAX_LINES + 1, settings.CART_MAX_SAVED_LINES),
        "hash-max-listpack-value": LONGEST_VALUE,
    }


def encoding_needs() -> str:
    least = required()
    return (
        f"carts stay compact only if hash-max-listpack-entries >= {least['hash-max-listpack-entries']} "
        f"and hash-max-listpack-value >= {least['hash-max-listpack-value']}"
    )


def encoding_warnings(per_node: list[dict[str, str]]) -> list[str]:
    """What in the running Redis's hash settings (``CONFIG GET hash-max-*`` of every
    master) would make carts hashtables, per setting; [] when nothing would."""
    warnings = []
    for name, least in required().items():
        older = name.replace("listpack", "ziplist")  # the name before Redis 7
        values = {int(node.get(name, node.get(older, 0))) for node in per_node}
        if values and min(values) < least:
            warnings.append(
                f"Redis {name} is {min(values)}, below {least}: carts and saved lists past it are stored as hashtables "
                f"(about 2-3 times the memory). The service ships {SHIPPED[name]}."
            )
    return warnings
