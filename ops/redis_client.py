"""The process-wide Redis client used by the cart (not Django's cache).

``REDIS_URL`` names one server (``redis://``, ``unix://``) or, with ``redis+cluster://``,
any node of a Redis Cluster; callers get the matching redis-py client and never need
to know which, as long as each command or script stays inside one hash slot (the key
functions in ``cart.keys`` and ``ops.ratelimit`` see to that).
"""

from functools import cache

import redis
from django.conf import settings
from redis.cluster import RedisCluster

CLIENT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "health_check_interval": 30}


def plain_url(url: str) -> str:
    """The URL redis-py understands: ``redis+cluster://h:p/0`` → ``redis://h:p/0``."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.removesuffix('+cluster')}{sep}{rest}"


def is_cluster() -> bool:
    return settings.REDIS_CLUSTER


@cache
def get_redis() -> redis.Redis | RedisCluster:
    """Return the shared client for ``settings.REDIS_URL`` (thread-safe connection pool)."""
    if is_cluster():
        return RedisCluster.from_url(plain_url(settings.REDIS_URL), **CLIENT_OPTIONS)
    return redis.Redis.from_url(settings.REDIS_URL, **CLIENT_OPTIONS)


def mget(client: redis.Redis | RedisCluster, names: list[str]) -> list:
    """MGET across hash slots: one command on one server, per-slot commands on a cluster."""
    if isinstance(client, RedisCluster):
        return client.mget_nonatomic(names)
    return client.mget(names)
