"""Hot carts: the few carts read far more than others, served from process memory.

Each process keeps a decaying read counter per cart. A cart whose score passes the
threshold is subscribed to on its change channel (every mutation script publishes
there), and only once Redis has confirmed the subscription is a copy kept, for at most
``HOT_CART_TTL_SECONDS``. Any change, from any process, drops the copy everywhere as
soon as its announcement arrives; this process also drops it at once when it makes the
change itself. A copy is therefore never older than the latest change minus the
delivery time of one pub/sub message (sub-millisecond on one network).

Apart from those copies, the process remembers the carts it read last
(``CART_HELD_COPIES`` of them), hot or not. Such a copy is never served on its own: a
request's read sends its version to Redis, which answers "same" instead of the lines
when nothing changed (``CartStore.read``), so the version, not a subscription, keeps it
exact.
"""

import logging
import math
import queue
import threading
import time
from collections import OrderedDict

from django.conf import settings

from cart.engine import keys
from cart.engine.store import RawCart
from core.redis_client import get_redis

logger = logging.getLogger(__name__)

HALF_LIFE_SECONDS = 10.0
_DECAY = math.log(2) / HALF_LIFE_SECONDS


class HotCarts:
    def __init__(self):
        self._lock = threading.Lock()
        self._scores: dict[int, tuple[float, float]] = {}  # user → (score, at)
        self._copies: dict[int, tuple[float, RawCart]] = {}  # user → (expires, cart)
        self._held: OrderedDict[int, RawCart] = OrderedDict()  # user → the cart as last read
        self._confirmed: set[int] = set()
        self._requested: set[int] = set()
        self._subscribe: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._listener: threading.Thread | None = None

    # --- reads -------------------------------------------------------------------------

    def get(self, user_id: int) -> RawCart | None:
        entry = self._copies.get(user_id)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._copies.pop(user_id, None)
            return None
        return entry[1]

    def held(self, user_id: int) -> RawCart | None:
        """The cart as this process read it last, if it still remembers it: for Redis to
        confirm, never to serve as it is."""
        return self._held.get(user_id)

    def seen(self, user_id: int, cart: RawCart) -> None:
        """Count a read of ``cart`` (just read from Redis); keep a copy if it is hot."""
        now = time.monotonic()
        with self._lock:
            self._held[user_id] = cart
            self._held.move_to_end(user_id)
            if len(self._held) > settings.CART_HELD_COPIES:
                self._held.popitem(last=False)
            score, at = self._scores.get(user_id, (0.0, now))
            score = score * math.exp(-_DECAY * (now - at)) + 1
            self._scores[user_id] = (score, now)
            if len(self._scores) > 100_000:
                self._forget_cold(now)
        if score < settings.HOT_CART_READ_SCORE:
            return
        if user_id in self._confirmed:
            self._copies[user_id] = (now + settings.HOT_CART_TTL_SECONDS, cart)
        elif user_id not in self._requested:
            self._requested.add(user_id)
            self._ensure_listener()
            self._subscribe.put(user_id)

    def _forget_cold(self, now: float) -> None:
        for user_id, (score, at) in list(self._scores.items()):
            if score * math.exp(-_DECAY * (now - at)) < 1:
                del self._scores[user_id]

    def drop(self, user_id: int) -> None:
        self._copies.pop(user_id, None)

    def clear(self) -> None:
        """Forget every copy and score (tests: user ids repeat from one test to the next).

        Subscriptions stay open; a cart that turns hot again asks for one anew and keeps
        no copy until Redis has confirmed it.
        """
        self._copies.clear()
        self._held.clear()
        self._scores.clear()
        self._confirmed.clear()
        self._requested.clear()

    # --- invalidation ------------------------------------------------------------------

    def _ensure_listener(self) -> None:
        if self._listener is None or not self._listener.is_alive():
            with self._lock:
                if self._listener is None or not self._listener.is_alive():
                    self._listener = threading.Thread(target=self._listen, name="hot-carts", daemon=True)
                    self._listener.start()

    def _listen(self) -> None:
        """Own the pub/sub connection: subscribe on request, drop copies on changes."""
        pubsub = get_redis().pubsub()
        channels: dict[bytes, int] = {}
        try:
            while True:
                while not self._subscribe.empty():
                    user_id = self._subscribe.get()
                    channel = keys.events_channel(user_id)
                    channels[channel.encode()] = user_id
                    pubsub.subscribe(channel)
                if not channels:
                    time.sleep(0.01)
                    continue
                message = pubsub.get_message(timeout=0.01)
                if message is None:
                    continue
                listened = channels.get(message["channel"])
                if listened is None:
                    continue
                user_id = listened
                if message["type"] == "subscribe":
                    self._confirmed.add(user_id)
                elif message["type"] == "message":
                    self._copies.pop(user_id, None)
        except Exception:
            logger.warning("hot-cart listener stopped; serving every read from Redis", exc_info=True)
        finally:
            self._copies.clear()
            self._confirmed.clear()
            self._requested.clear()
            pubsub.close()


hot_carts = HotCarts()
