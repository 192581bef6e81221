"""Exact cost accounting for tests: Redis round trips and SQL queries on every alias."""

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connections
from django.test.utils import CaptureQueriesContext
from redis.cluster import RedisCluster

from core.redis_client import get_redis


def _command_names(args) -> list[str]:
    """Command names in one packed write (several for a pipeline)."""
    names = []
    for chunk in args:
        text = bytes(chunk) if not isinstance(chunk, bytes) else chunk
        # A packed command starts "*<n>\r\n$<len>\r\n<NAME>\r\n"; pick every NAME.
        parts = text.split(b"\r\n")
        index = 0
        while index < len(parts):
            if parts[index].startswith(b"*") and index + 2 < len(parts):
                names.append(parts[index + 2].decode(errors="replace").upper())
                count = int(parts[index][1:] or 0)
                index += 1 + 2 * count
            else:
                index += 1
    return names


@dataclass
class RedisLog:
    round_trips: int = 0
    commands: list[str] = field(default_factory=list)


def _counting(base, log: RedisLog):
    class Counting(base):
        def send_packed_command(self, command, check_health=True):
            log.round_trips += 1
            log.commands += _command_names(command if isinstance(command, list | tuple) else [command])
            return super().send_packed_command(command, check_health)

    return Counting


def _settle_shared_settings() -> None:
    """Refresh the per-process copies of switches and rate-limit overrides now, so their
    once-a-second reload does not land inside a measured request, and lease this
    process's first share of the global budgets."""
    from django.conf import settings

    from ops import global_budget, ratelimit, switches

    ratelimit._overrides.expire()
    ratelimit.limit_for("core_read")
    for endpoint_class in settings.RATE_LIMITS:  # a process's first lease is on a request otherwise
        global_budget.prime(endpoint_class)
    switches._snapshot.expire()
    switches.feature_enabled("recommendations")


@contextmanager
def count_redis():
    """Count round trips (one per packed write: a command or a whole pipeline) and the
    commands they carried, on the cart's client and on Django's cache (tokens)."""
    _settle_shared_settings()
    clients = [get_redis(), cache.client.get_client(write=True)]
    log = RedisLog()
    pools = [pool for client in clients for pool in _pools(client)]
    originals = [pool.connection_class for pool in pools]
    for pool, original in zip(pools, originals, strict=True):
        pool.connection_class = _counting(original, log)
        pool.reset()
    for pool in pools:
        # Open a connection first, so its handshake (HELLO, CLIENT SETINFO) is not counted.
        pool.release(pool.get_connection())
    log.round_trips, log.commands = 0, []
    try:
        yield log
    finally:
        for pool, original in zip(pools, originals, strict=True):
            pool.connection_class = original
            pool.reset()


def _pools(client) -> list:
    """The connection pools of a client: one, or one per node of a cluster."""
    if isinstance(client, RedisCluster):
        return [node.redis_connection.connection_pool for node in client.get_nodes()]
    return [client.connection_pool]


@contextmanager
def capture_sql():
    """Capture the SQL sent to every database alias; yields {alias: [sql, …]}."""
    with ExitStack() as stack:
        contexts = {alias: stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections}
        result: dict[str, list[str]] = {}
        yield result
    for alias, context in contexts.items():
        if context.captured_queries:
            result[alias] = [q["sql"] for q in context.captured_queries]
