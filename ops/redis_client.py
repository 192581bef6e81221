"""The process-wide Redis client used by the cart (not Django's cache)."""

from functools import cache

import redis
from django.conf import settings


@cache
def get_redis() -> redis.Redis:
    """Return the shared client for ``settings.REDIS_URL`` (thread-safe connection pool)."""
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=30,
    )
