"""Degradation switches: non-core features that are turned off to shed load.

The truth is the ``DegradationSwitch`` table (staff flip it in admin) plus automatic
flips by the load monitor; both are mirrored in one Redis hash that every process reads
at most once a second, so a flip reaches every process within a second and costs a
request nothing in between.
"""

from core.errors import Degraded
from core.redis_client import get_redis
from core.redis_snapshot import RedisHashSnapshot
from ops.keys import switches_key

# Every switch the code knows, with what turning it off does.
FEATURES = {
    "recommendations": "The 'You may also like' strip and GET /api/v1/cart/recommendations.",
    "bundles": "Bundle suggestions on the cart page.",
    "price_refresh": "Fetching a missing or stale price from pricing during a cart read.",
    "cart_events": "Live cart updates across devices (server-sent events).",
    "sharing": "Creating shareable cart links.",
}


def _off(states: dict[bytes, bytes]) -> set[str]:
    return {name.decode().split(":", 1)[1] for name, value in states.items() if value == b"off"}


# Features off right now (manual or automatic).
_snapshot = RedisHashSnapshot(key=switches_key, parse=_off, empty=set(), what="degradation switches")


def feature_enabled(name: str) -> bool:
    if name not in FEATURES:
        raise KeyError(f"unknown feature switch {name!r}")
    return name not in _snapshot.get()


def require_feature(name: str) -> None:
    """Raise ``Degraded`` (503 ``degraded``) when the feature is switched off."""
    if not feature_enabled(name):
        raise Degraded(feature=name)


def switch_set(*, name: str, off: bool, source: str) -> None:
    """Record a switch state from ``source`` ("manual" or "auto") for every process."""
    if name not in FEATURES:
        raise KeyError(f"unknown feature switch {name!r}")
    get_redis().hset(switches_key(), f"{source}:{name}", "off" if off else "on")
    _snapshot.expire()  # this process sees it at once


def switches_state() -> dict[str, dict[str, bool]]:
    """``{feature: {"manual": off?, "auto": off?}}`` for dashboards and tests."""
    states = get_redis().hgetall(switches_key())
    result = {name: {"manual": False, "auto": False} for name in FEATURES}
    for key, value in states.items():
        source, name = key.decode().split(":", 1)
        if name in result:
            result[name][source] = value == b"off"
    return result
