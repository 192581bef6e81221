"""Django's cache on a Redis Cluster.

django-redis builds a plain ``redis.Redis`` on a connection pool; a cluster needs
redis-py's ``RedisCluster``, which manages one pool per node itself. The cache holds
single keys only (token lookups, sessions), so every command it sends stays in one slot.
"""

from django_redis.pool import ConnectionFactory
from redis.cluster import RedisCluster

from ops.redis_client import plain_url


class ClusterConnectionFactory(ConnectionFactory):
    def connect(self, url: str) -> RedisCluster:
        return RedisCluster.from_url(
            plain_url(url),
            socket_connect_timeout=self.options.get("SOCKET_CONNECT_TIMEOUT"),
            socket_timeout=self.options.get("SOCKET_TIMEOUT"),
        )

    def disconnect(self, connection: RedisCluster) -> None:
        connection.close()
