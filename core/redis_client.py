"""The process-wide Redis clients: the request path's and the background's.

``REDIS_URL`` names one server (``redis://``, ``unix://``) or, with ``redis+cluster://``,
any node of a Redis Cluster; callers get the matching redis-py client and never need
to know which, as long as each command or script stays inside one hash slot (the key
functions in ``cart.engine.keys`` and ``ops.ratelimit`` see to that).

**Failing fast.** A request must not wait on a Redis that is gone or hung: ``get_redis``
(the request path, and Django's cache through ``core.cache_client``) connects and reads
with short timeouts (``REDIS_CONNECT_TIMEOUT_SECONDS``, ``REDIS_SOCKET_TIMEOUT_SECONDS``),
retries a refused connection once but never a timeout, and goes through a circuit
breaker: after ``REDIS_BREAKER_FAILURES`` failures in a row it stops calling Redis for
``REDIS_BREAKER_OPEN_SECONDS`` and fails at once (``RedisUnavailable``), then lets one
call through to see whether Redis is back. The views answer 503 with ``Retry-After``
(``core.api.exceptions``). Background work that blocks on purpose (the persistence
consumer's ``XREADGROUP … BLOCK``) uses ``get_background_redis``, with long timeouts
and a breaker of its own, so a slow background call never opens the request path's.
"""

import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.cluster import ClusterPipeline, RedisCluster
from redis.retry import Retry

from core import metrics

# What the process-wide client is: a single server's client or a cluster's.
AnyRedis = redis.Redis | RedisCluster

# Errors that say "Redis did not answer", as opposed to a command's own error.
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)


class RedisUnavailable(redis.ConnectionError):
    """Redis failed moments ago: not called again until the breaker lets a try through."""


class CircuitBreaker:
    """Closed: calls go through. ``failures`` unreachable answers in a row open it for
    ``open_seconds``, during which calls fail at once; then one call at a time may try
    (half-open), and the first success closes it again. Thread-safe, per process."""

    def __init__(self, name: str, *, failures: int, open_seconds: float):
        self.name = name
        self.threshold = failures
        self.open_seconds = open_seconds
        self.failures = 0
        self.open_until = 0.0
        self.lock = threading.Lock()

    def before(self) -> None:
        """Raise ``RedisUnavailable`` while open; past the open period, let one call try
        and keep the rest failing until it has answered."""
        if self.failures < self.threshold:
            return
        with self.lock:
            now = time.monotonic()
            if now < self.open_until:
                metrics.REDIS_BREAKER_REFUSED.labels(self.name).inc()
                raise RedisUnavailable(f"Redis ({self.name}) did not answer moments ago; not calling it for a while")
            self.open_until = now + self.open_seconds  # this call is the one try

    def failed(self) -> None:
        with self.lock:
            self.failures += 1
            if self.failures == self.threshold:
                metrics.REDIS_BREAKER_OPENED.labels(self.name).inc()
            if self.failures >= self.threshold:
                self.open_until = time.monotonic() + self.open_seconds

    def succeeded(self) -> None:
        if self.failures:
            with self.lock:
                self.failures = 0
                self.open_until = 0.0


# Within one request, a Redis that did not answer is not asked again: the request fails
# at once instead of waiting out a timeout per call (token, rate limit, cart …). A list
# so the request's context can be marked from wherever the call was made.
_failed_in_request: ContextVar[list[bool] | None] = ContextVar("redis_failed_in_request", default=None)


@contextmanager
def one_redis_timeout_per_request():
    """Scope of one request: the first unreachable answer makes every later Redis call of
    this request fail at once (``RedisUnavailable``)."""
    token = _failed_in_request.set([False])
    try:
        yield
    finally:
        _failed_in_request.reset(token)


def _guard(call, breaker: CircuitBreaker):
    def guarded(*args, **kwargs):
        failed = _failed_in_request.get()
        if failed is not None and failed[0]:
            raise RedisUnavailable("Redis did not answer earlier in this request")
        breaker.before()
        try:
            result = call(*args, **kwargs)
        except UNREACHABLE:
            breaker.failed()
            if failed is not None:
                failed[0] = True
            raise
        except redis.RedisError:
            breaker.succeeded()  # an error of the command's own: Redis answered
            raise
        breaker.succeeded()
        return result

    return guarded


class GuardedRedis(redis.Redis):
    """``redis.Redis`` whose commands and pipelines go through a circuit breaker."""

    breaker: CircuitBreaker

    def execute_command(self, *args, **options):
        return _guard(super().execute_command, self.breaker)(*args, **options)

    def pipeline(self, transaction=True, shard_hint=None):
        pipe = super().pipeline(transaction, shard_hint)
        pipe.execute = _guard(pipe.execute, self.breaker)
        return pipe


class GuardedRedisCluster(RedisCluster):
    """The same for a Redis Cluster."""

    breaker: CircuitBreaker

    def execute_command(self, *args, **kwargs):
        return _guard(super().execute_command, self.breaker)(*args, **kwargs)

    def pipeline(self, transaction=None, shard_hint=None) -> ClusterPipeline:
        pipe = super().pipeline(transaction, shard_hint)
        pipe.execute = _guard(pipe.execute, self.breaker)
        return pipe


def plain_url(url: str) -> str:
    """The URL redis-py understands: ``redis+cluster://h:p/0`` → ``redis://h:p/0``."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.removesuffix('+cluster')}{sep}{rest}"


def is_cluster() -> bool:
    return settings.REDIS_CLUSTER


def _client(name: str, *, connect_timeout: float, socket_timeout: float) -> redis.Redis | RedisCluster:
    breaker = CircuitBreaker(
        name, failures=settings.REDIS_BREAKER_FAILURES, open_seconds=settings.REDIS_BREAKER_OPEN_SECONDS
    )
    options = {
        "socket_connect_timeout": connect_timeout,
        "socket_timeout": socket_timeout,
        "health_check_interval": 30,
        # A refused or dropped connection (a restart) is worth one immediate second try; a
        # timeout is not: it would double the wait on a hung server.
        "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    }
    # The breaker is a class attribute of a class made for this client: a cluster client
    # already sends commands while it is being built (it discovers the nodes).
    base = GuardedRedisCluster if is_cluster() else GuardedRedis
    client_class = type(f"{base.__name__}_{name}", (base,), {"breaker": breaker})
    if is_cluster():
        return client_class.from_url(plain_url(settings.REDIS_URL), **options)
    return client_class.from_url(settings.REDIS_URL, **options)


@cache
def get_redis() -> AnyRedis:
    """The shared client of the request path (thread-safe connection pool): short
    timeouts and a circuit breaker, so a request fails fast when Redis does not answer."""
    return _client(
        "requests",
        connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT_SECONDS,
    )


@cache
def get_background_redis() -> redis.Redis | RedisCluster:
    """The client of background loops that block on Redis on purpose (the consumers'
    ``XREADGROUP … BLOCK``): timeouts longer than any block they ask for."""
    return _client("background", connect_timeout=2, socket_timeout=10)


def mget(client: redis.Redis | RedisCluster, names: list[str]) -> list:
    """MGET across hash slots: one command on one server, per-slot commands on a cluster."""
    if isinstance(client, RedisCluster):
        return client.mget_nonatomic(names)
    return client.mget(names)


def config_of_every_master(client: redis.Redis | RedisCluster, pattern: str) -> list[dict[str, str]]:
    """``CONFIG GET pattern`` of the one server, or of every master of a cluster (a
    cluster client asks a single node unless told otherwise)."""
    if isinstance(client, RedisCluster):
        answer = client.config_get(pattern, target_nodes=RedisCluster.PRIMARIES)
        # An answer per node; a cluster of one master answers as a single server does.
        if all(isinstance(value, dict) for value in answer.values()):
            return list(answer.values())
        return [answer]
    return [client.config_get(pattern)]
