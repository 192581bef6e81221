"""Live cart versions for devices that listen (API.md, "Multi-device sync").

Every cart mutation script publishes ``{"version": v}`` on the user's channel
(``cart.engine.keys.events_channel``). A process does not open one Redis connection per
listening device: one pub/sub connection per process (per event loop) carries every
channel its listeners need, subscribed while at least one listener of that user is
connected. Waiting is a coroutine, never a thread, so ten thousand idle listeners cost
ten thousand small objects.

Listeners only ever need the newest version, so a burst of changes collapses into one
wake-up instead of a queue that a slow client could let grow without bound.
"""

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from django.conf import settings

from cart.engine import keys
from core.redis_client import is_cluster, plain_url

logger = logging.getLogger(__name__)


class EventsLost(Exception):
    """The pub/sub connection broke: changes may have been missed, so the stream must end
    (the client reconnects and starts from the current version)."""


class Listener:
    """One connected device: the newest version heard, and a flag to wake it."""

    __slots__ = ("_wake", "latest", "lost")

    def __init__(self):
        self.latest = 0
        self.lost = False
        self._wake = asyncio.Event()

    def offer(self, version: int) -> None:
        if version > self.latest:
            self.latest = version
            self._wake.set()

    def fail(self) -> None:
        self.lost = True
        self._wake.set()

    async def wait(self, timeout: float) -> int | None:
        """Return the newest version heard since the last call, or None after ``timeout``
        seconds without one. Raises ``EventsLost`` when the connection broke."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            return None
        self._wake.clear()
        if self.lost:
            raise EventsLost()
        return self.latest


class CartEventHub:
    """Fan one Redis pub/sub connection out to every listener of this event loop."""

    def __init__(self, client: aioredis.Redis | aioredis.RedisCluster):
        self.client = client
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._listeners: dict[str, set[Listener]] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task | None = None
        self.closed = False

    @property
    def channels(self) -> set[str]:
        return set(self._listeners)

    async def add(self, channel: str, listener: Listener) -> None:
        """Deliver ``channel``'s versions to ``listener``; subscribed before this returns,
        so a change made after it is never missed."""
        async with self._lock:
            listeners = self._listeners.get(channel)
            if listeners is None:
                if isinstance(self.client, aioredis.RedisCluster):
                    await self.client.initialize()  # learn the slot map first (once; then a no-op)
                await self._pubsub.subscribe(channel)
                listeners = self._listeners[channel] = set()
            listeners.add(listener)
            if self._reader is None:
                self._reader = asyncio.create_task(self._read(), name="cart-events-reader")

    async def remove(self, channel: str, listener: Listener) -> None:
        async with self._lock:
            listeners = self._listeners.get(channel)
            if listeners is None:
                return
            listeners.discard(listener)
            if not listeners:
                del self._listeners[channel]
                if not self.closed:
                    with contextlib.suppress(Exception):  # a broken connection unsubscribes anyway
                        await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        try:
            while True:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                if message is None or message.get("type") != "message":
                    continue
                channel = message["channel"].decode()
                try:
                    version = int(json.loads(message["data"])["version"])
                except (ValueError, KeyError, TypeError):
                    logger.warning("ignoring a malformed cart event on %s", channel)
                    continue
                for listener in tuple(self._listeners.get(channel, ())):
                    listener.offer(version)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure ends every stream of this hub
            logger.warning("cart events connection lost: %s", exc)
        self._fail_all()

    def _fail_all(self) -> None:
        self.closed = True
        if _hubs.get(_loop()) is self:
            del _hubs[_loop()]  # the next listener starts a fresh connection
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.fail()

    async def aclose(self) -> None:
        """Stop reading and close the connection (tests, shutdown)."""
        self.closed = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self.client.aclose()


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CartEventHub]" = weakref.WeakKeyDictionary()


def _loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def _new_client() -> aioredis.Redis | aioredis.RedisCluster:
    # Its own client: asyncio connections belong to one event loop, and the
    # synchronous client of ``core.redis_client`` must not be used from a coroutine.
    # A blocking pool: when many streams open at once their first reads queue for a
    # connection instead of failing (the plain pool raises past its limit).
    if is_cluster():
        # PUBLISH reaches every node of a cluster, so one node's subscription hears all.
        return aioredis.RedisCluster.from_url(plain_url(settings.REDIS_URL), socket_connect_timeout=2)
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.REDIS_URL, max_connections=50, timeout=5, socket_connect_timeout=2, socket_timeout=5
    )
    return aioredis.Redis(connection_pool=pool)


def cart_event_hub() -> CartEventHub:
    """The hub of the running event loop, created on first use."""
    hub = _hubs.get(_loop())
    if hub is None or hub.closed:
        hub = _hubs[_loop()] = CartEventHub(_new_client())
    return hub


@contextlib.asynccontextmanager
async def cart_events_listen(user_id: int) -> AsyncIterator[Listener]:
    """Listen to the versions of ``user_id``'s cart for the duration of the block.

    Subscribed on entry (before the block reads the current version, so nothing falls
    between), unsubscribed on exit, also when the client went away (cancellation).
    """
    hub = cart_event_hub()
    channel = keys.events_channel(user_id)
    listener = Listener()
    await hub.add(channel, listener)
    try:
        yield listener
    finally:
        await asyncio.shield(hub.remove(channel, listener))
