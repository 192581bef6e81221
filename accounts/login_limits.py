"""Limits on failed logins, per username and per client address (API.md, "Auth").

Every password check (the API's token login, the shop's and the admin's login forms)
asks ``login_wait`` first and reports a failure with ``login_failed``. Each username and
each client address has a token bucket of failures in Redis that refills at a steady
rate (``LOGIN_LIMITS``): a few mistakes cost nothing, a guesser is slowed to the refill
rate, and the owner of a targeted account waits at most one refill period (a minute by
default) for the next try, never a long lockout. The username counts whatever address
the guesses come from; the address counts whatever usernames it tries.

Why not django-axes: it counts failures against one limit for every parameter and locks
out for a fixed cool-off, where a username and a shared address (mobile carriers put
thousands of shoppers behind one) need different limits, and a refilling bucket gives
the exact ``Retry-After`` a client can wait for. The buckets are one small script on the
Redis the rate limits already use, in the hash slot of their own key.

Redis unreachable: logins go on unlimited (fail open, counted in ``/metrics``); refusing
every login while the cache is down would lock out everyone instead of slowing a few.
"""

import logging
import math
from functools import cache
from pathlib import Path

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

from accounts.keys import login_failures_key
from core.redis_client import get_redis
from ops import metrics

logger = logging.getLogger(__name__)

SCRIPT = (Path(__file__).with_name("redis_scripts") / "login_failures.lua").read_text()


@cache
def _script(client):
    return client.register_script(SCRIPT)


def client_address(request) -> str:
    """The client's address: the connection's, or the one the configured number of
    trusted proxies (``TRUSTED_PROXY_COUNT``) put in ``X-Forwarded-For``; never one a
    client can set alone. The same rule as the API's rate limits (DRF's ``NUM_PROXIES``)."""
    return BaseThrottle().get_ident(request)


def _buckets(*, username: str, address: str) -> list[tuple[str, dict]]:
    limits = settings.LOGIN_LIMITS
    # Usernames are matched case-insensitively, as sign-up makes them unique.
    return [
        (login_failures_key("user", username.casefold()), limits["username"]),
        (login_failures_key("addr", address), limits["address"]),
    ]


def _call(mode: str, *, username: str, address: str) -> float | None:
    """Seconds until a try is allowed (0: now), after spending a token on 'take'; None
    when Redis did not answer."""
    script = _script(get_redis())
    wait_ms = 0
    try:
        for key, limit in _buckets(username=username, address=address):
            wait_ms = max(wait_ms, script(keys=[key], args=[limit["rate"], limit["burst"], mode]))
    except redis.RedisError as exc:
        logger.warning("login limits unavailable, not applied: %s", exc)
        return None
    return wait_ms / 1000


def login_wait(request, username: str) -> int:
    """Whole seconds this login must wait before its password is checked; 0 when it may
    go ahead now."""
    if not settings.LOGIN_LIMITS_ENABLED:
        return 0
    wait = _call("peek", username=username, address=client_address(request))
    metrics.LOGIN_LIMIT_DECISIONS.labels("failed_open" if wait is None else "refused" if wait else "allowed").inc()
    return math.ceil(wait or 0)


def login_failed(request, username: str) -> None:
    """Count a failed password check against the username and the client address."""
    if settings.LOGIN_LIMITS_ENABLED:
        _call("take", username=username, address=client_address(request))
