"""Token-bucket rate limits: per caller and global, per endpoint class.

A caller's bucket lives in Redis under the caller's hash tag (``ops.keys.
rate_limit_bucket_key``): a user's beside the user's cart and token digests, so a cart
request takes its token in the very script that does its work (``ops.gate``); other
requests take it in one call of their own. The global limit costs the request path
nothing: each process spends a share it leased in the background
(``ops.global_budget``).

Classes: core writes (add, update, remove, select, merge, checkout) get the largest
share, then core reads, then non-core features, so under pressure the cart degrades
before it refuses an add. Limits come from settings and can be changed in admin.
"""

import math
from dataclasses import dataclass

from django.conf import settings
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from core.redis_client import UNREACHABLE, get_redis
from core.redis_snapshot import RedisHashSnapshot
from ops import global_budget, metrics
from ops.gate import Bucket, Gate, GateState, gate_pass
from ops.global_budget import STATS_WINDOW_SECONDS, current_window  # noqa: F401  (the load monitor's windows)
from ops.keys import rate_limit_bucket_key, rate_limit_overrides_key


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


def caller_bucket(endpoint_class: str, tag: str) -> Bucket:
    """The bucket of one caller (``tag``: a user's id, or ``ip<address>``)."""
    limit = limit_for(endpoint_class)
    return Bucket(
        endpoint_class, rate_limit_bucket_key(endpoint_class, tag), limit.user_rate, max(1, math.ceil(limit.user_burst))
    )


def take(endpoint_class: str, tag: str) -> float:
    """Take a token for one caller, from its bucket and from this process's global share,
    in one call; return 0 when allowed, else seconds to wait."""
    if not global_budget.take(endpoint_class):
        return settings.RATE_LIMIT_LEASE_SECONDS
    gate = Gate(user_id=None, state=GateState.KNOWN, bucket=caller_bucket(endpoint_class, tag))
    try:
        gate_pass(gate)
    except exceptions.Throttled:
        return gate.refused_ms / 1000
    return 0.0


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
        if not global_budget.take(self.endpoint_class):
            self._wait = settings.RATE_LIMIT_LEASE_SECONDS
            return False
        http_request = getattr(request, "_request", request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            gate = getattr(http_request, "gate", None)
            if gate is None:
                gate = http_request.gate = Gate(user_id=user.pk, state=GateState.KNOWN)
            if gate.state is GateState.PASSED:
                self._wait = 0.0  # the token's check took this request's token already
                return True
            gate.bucket = caller_bucket(self.endpoint_class, str(user.pk))
            if getattr(view, "one_call", False):
                return True  # the view's script passes the gate, in the same call as its work
        else:
            bucket = caller_bucket(self.endpoint_class, f"ip{self.get_ident(request)}")
            gate = Gate(user_id=None, state=GateState.KNOWN, bucket=bucket)
        try:
            gate_pass(gate)
            self._wait = 0.0
        except exceptions.Throttled:
            self._wait = gate.refused_ms / 1000
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
