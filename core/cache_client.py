"""Django's cache on the request path's own Redis client.

The cache (token lookups, sessions) talks to the same Redis as the cart, so it uses the
same client (``core.redis_client.get_redis``): one pool, the same short timeouts and the
same circuit breaker, on a single server and on a Redis Cluster alike (a cluster needs
redis-py's ``RedisCluster``, which django-redis would not build). The cache holds single
keys only, so every command it sends stays in one slot.
"""

from django_redis.pool import ConnectionFactory

from core.redis_client import get_redis


class SharedClientConnectionFactory(ConnectionFactory):
    def connect(self, url: str):
        return get_redis()

    def disconnect(self, connection) -> None:
        """The client is shared with the rest of the process: never closed from here."""
