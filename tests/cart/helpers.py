import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from django.db import connections
from redis.cluster import RedisCluster

from cart.engine.store import CartStore
from cart.models import Cart, CartItem, LineStatus
from cart.persistence.write_behind import persistence_drain_all
from core.redis_client import get_redis


def cached(user_id: int) -> dict[str, tuple]:
    """The cart in Redis as {line id: (quantity, checked, version)}; {} when not loaded."""
    raw = CartStore().read_many([user_id])[user_id]
    return {} if raw is None else {line.id: (line.quantity, line.checked, line.version) for line in raw.lines}


def cached_version(user_id: int) -> int | None:
    raw = CartStore().read_many([user_id])[user_id]
    return None if raw is None else raw.version


def catalog_checked(user_id: int) -> bool:
    """Whether every line of the cart in Redis has had its catalog check (which bumps its version)."""
    lines = CartStore().read(user_id).lines
    return bool(lines) and all(line.status != LineStatus.UNKNOWN for line in lines)


def persisted(user_id: int) -> dict[str, tuple]:
    """The live (not tombstoned) rows on the user's shard, shaped like ``cached``."""
    return {
        f"{r.item_id}:{r.sku_id}": (r.quantity, r.checked, r.version)
        for r in CartItem.objects.for_user(user_id).filter(deleted=False)
    }


def persisted_version(user_id: int) -> int | None:
    return Cart.objects.for_user(user_id).values_list("version", flat=True).first()


def drain() -> int:
    return persistence_drain_all().written


def compactly_encoded(client, key: str) -> bool:
    """Whether Redis keeps ``key`` in its compact encoding: a listpack (Redis 7) or a
    ziplist (the embedded server's Redis 6.2)."""
    return client.object("encoding", key) in (b"listpack", b"ziplist")


def in_parallel(count: int, work) -> list:
    """Run ``work(n)`` for n in range(count) in as many threads, released together; the
    results in order. Each thread closes its database connections when done."""
    barrier = threading.Barrier(count)

    def run(n):
        barrier.wait()
        try:
            return work(n)
        finally:
            for connection in connections.all():
                connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@contextmanager
def redis_configured(name: str, value: str | int, *, all_but_default_node: bool = False):
    """Set a Redis setting for the block and put it back after. On a cluster: on every
    master, or with ``all_but_default_node`` on every master but the one a plain
    ``CONFIG GET`` asks."""
    client = get_redis()
    if isinstance(client, RedisCluster):
        default = client.get_default_node().name
        nodes = [node for node in client.get_primaries() if not (all_but_default_node and node.name == default)]
        before = [(node, client.config_get(name, target_nodes=node)[name]) for node in nodes]
        for node in nodes:
            client.config_set(name, value, target_nodes=node)
    else:
        before = [(None, client.config_get(name)[name])]
        client.config_set(name, value)
    try:
        yield
    finally:
        for node, old in before:
            if node is None:
                client.config_set(name, old)
            else:
                client.config_set(name, old, target_nodes=node)
