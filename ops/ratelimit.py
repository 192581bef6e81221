"""Token-bucket rate limits in Redis: per user and global, per endpoint class.

One script call takes a token from the caller's bucket and from a global bucket, or
from neither. The global limit is split into ``GLOBAL_SPLIT`` sub-buckets, each with
its share of the rate, and a user's bucket shares the hash tag of its sub-bucket: the
two keys live in one Redis Cluster slot (one script may touch both) and no single key
takes the whole store's traffic.

Classes: core writes (add, update, remove, select, merge, checkout) get the largest
share, then core reads, then non-core features, so under pressure the cart degrades
before it refuses an add. Limits come from settings and can be changed in admin.
"""

import math
import time
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from core.redis_client import UNREACHABLE, get_redis
from core.redis_snapshot import RedisHashSnapshot
from ops import metrics
from ops.keys import rate_limit_bucket_keys, rate_limit_overrides_key, rate_limit_stats_key

GLOBAL_SPLIT = 64
SCRIPT = (Path(__file__).with_name("redis_scripts") / "token_bucket.lua").read_text()


@dataclass(frozen=True, slots=True)
class Limit:
    user_rate: float  # tokens per second
    user_burst: int
    global_rate: float
    global_burst: int


def _parse_limits(raw: dict[bytes, bytes]) -> dict[str, Limit]:
    return {k.decode(): Limit(*(float(x) for x in v.split(b","))) for k, v in raw.items()}


# Admin overrides of the settings.
_overrides = RedisHashSnapshot(key=rate_limit_overrides_key, parse=_parse_limits, empty={}, what="rate-limit overrides")


def limit_for(endpoint_class: str) -> Limit:
    override = _overrides.get().get(endpoint_class)
    if override is not None:
        return override
    return Limit(**settings.RATE_LIMITS[endpoint_class])


def limit_set(endpoint_class: str, limit: Limit | None) -> None:
    """Override (or, with None, restore) a class's limits for every process."""
    if limit is None:
        get_redis().hdel(rate_limit_overrides_key(), endpoint_class)
    else:
        value = f"{limit.user_rate},{limit.user_burst},{limit.global_rate},{limit.global_burst}"
        get_redis().hset(rate_limit_overrides_key(), endpoint_class, value)
    _overrides.expire()


@cache
def _script(client):
    return client.register_script(SCRIPT)


# Decisions are counted per window of this many seconds (for the load monitor).
STATS_WINDOW_SECONDS = 10


def current_window() -> int:
    return int(time.time()) // STATS_WINDOW_SECONDS


def _keys(endpoint_class: str, identity: str) -> list[str]:
    sub_bucket = zlib.crc32(identity.encode()) % GLOBAL_SPLIT
    return [
        *rate_limit_bucket_keys(endpoint_class, identity, sub_bucket),
        rate_limit_stats_key(sub_bucket, current_window()),
    ]


def script_call(endpoint_class: str, identity: str) -> tuple[list[str], list]:
    """KEYS and ARGV of the token-bucket script for one request of ``identity``."""
    limit = limit_for(endpoint_class)
    return _keys(endpoint_class, identity), [
        limit.user_rate,
        limit.user_burst,
        limit.global_rate / GLOBAL_SPLIT,
        max(1, math.ceil(limit.global_burst / GLOBAL_SPLIT)),
        STATS_WINDOW_SECONDS * 6,
    ]


def take_reading(endpoint_class: str, identity: str, key: str) -> tuple[int, bytes | None]:
    """Take a token for ``identity`` and read ``key`` in the same script call, on one
    server: (0 when allowed, else milliseconds to wait; the key's value). Not counted
    yet: the caller's throttle does that with ``decided``."""
    script_keys, args = script_call(endpoint_class, identity)
    wait_ms, value = _script(get_redis())(keys=[*script_keys, key], args=args)
    return wait_ms, value


def decided(endpoint_class: str, wait_ms: int) -> float:
    """Count the script's answer; return 0 when allowed, else seconds to wait."""
    allowed = wait_ms == 0
    metrics.RATE_LIMIT_DECISIONS.labels(endpoint_class, "allowed" if allowed else "rejected").inc()
    return 0.0 if allowed else wait_ms / 1000


def take(endpoint_class: str, identity: str) -> float:
    """Take a token for ``identity``; return 0 when allowed, else seconds to wait."""
    script_keys, args = script_call(endpoint_class, identity)
    return decided(endpoint_class, _script(get_redis())(keys=script_keys, args=args))


def endpoint_class_of(view) -> str | None:
    """The endpoint class a view is throttled as, if any."""
    for throttle in getattr(view, "throttle_classes", ()):
        if issubclass(throttle, EndpointClassThrottle):
            return throttle.endpoint_class
    return None


class EndpointClassThrottle(BaseThrottle):
    """DRF throttle for one endpoint class; 429 ``system_busy`` with Retry-After when out."""

    endpoint_class = "core_read"

    def allow_request(self, request, view):
        if not settings.RATE_LIMITS_ENABLED:
            return True
        user = getattr(request, "user", None)
        identity = f"u{user.pk}" if user is not None and user.is_authenticated else f"ip{self.get_ident(request)}"
        # Token authentication may have taken this decision already, in the call that read the token.
        taken = getattr(getattr(request, "_request", request), "rate_limit_taken", None)
        if taken is not None and taken[:2] == (self.endpoint_class, identity):
            self._wait = decided(self.endpoint_class, taken[2])
        else:
            try:
                self._wait = take(self.endpoint_class, identity)
            except UNREACHABLE:
                # Fail open: with Redis gone the request fails on its own where it needs
                # Redis, and serves from MySQL where it does not (the catalog).
                metrics.RATE_LIMIT_FAILED_OPEN.labels(self.endpoint_class).inc()
                self._wait = 0.0
        return self._wait == 0

    def wait(self):
        return max(1, math.ceil(self._wait))


class CoreWriteThrottle(EndpointClassThrottle):
    endpoint_class = "core_write"


class CoreReadThrottle(EndpointClassThrottle):
    endpoint_class = "core_read"


class NonCoreThrottle(EndpointClassThrottle):
    endpoint_class = "non_core"
