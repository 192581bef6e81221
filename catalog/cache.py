"""What a cart line shows about its SKU (title, attributes, price, stock), cached in layers.

Cart reads need this for every line but must not query MySQL: a process-local cache
answers warm reads with no I/O at all; behind it one Redis ``MGET`` fetches what the
process lacks (``sku:<id>`` for the SKU and its current price, ``stock:<id>`` for the
stock hint); behind that one set of MySQL queries fills Redis for the rest.

Freshness: the price in ``sku:<id>`` lives at most ``SKU_PRICE_MAX_AGE_SECONDS`` and is
replaced at once by the price-change event (``sku_info_refresh``); stock hints are synced
every five minutes. Every refresh is announced on a pub/sub channel, and each process
drops its local copies when it hears of them, so a change shows within milliseconds
instead of the local TTL.
"""

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings

from catalog.keys import changes_channel, sku_info_key, stock_key
from catalog.metrics import SKU_CACHE
from catalog.models import Sku
from core.redis_client import UNREACHABLE, get_redis, mget
from pricing.selectors import price_effective_many

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SkuInfo:
    sku_id: int
    item_id: int
    title: str
    attributes: dict
    sellable: bool
    price: Decimal | None
    currency: str
    stock: int | None

    def to_json(self) -> str:
        # By hand, not dataclasses.asdict: that deep-copies every value, and a check of a
        # batch of lines stores up to hundreds of these.
        data = {
            "sku_id": self.sku_id,
            "item_id": self.item_id,
            "title": self.title,
            "attributes": self.attributes,
            "sellable": self.sellable,
            "price": None if self.price is None else str(self.price),
            "currency": self.currency,
            "stock": self.stock,
        }
        return json.dumps(data, separators=(",", ":"))

    def same_for_carts(self, other: "SkuInfo | None") -> bool:
        """Whether ``other`` tells a cart what this does: everything equal but the stock
        level, of which only "in stock or not" counts (stock hints may lag the database
        by a sync interval by design)."""
        if other is None:
            return False
        in_stock = self.stock is None or self.stock > 0
        other_in_stock = other.stock is None or other.stock > 0
        return in_stock == other_in_stock and replace(self, stock=None) == replace(other, stock=None)

    @classmethod
    def from_json(cls, raw: bytes | str) -> "SkuInfo":
        data = json.loads(raw)
        data["price"] = None if data["price"] is None else Decimal(data["price"])
        return cls(**data)


# Stands for "no such SKU" in both cache layers, so carts holding an unknown SKU do not
# send a query to MySQL on every read.
_UNKNOWN = b"-"


class _LocalCache:
    """A bounded, thread-safe LRU with a time-to-live per entry; None means unknown SKU."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._data: OrderedDict[int, tuple[float, SkuInfo | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, sku_ids: Iterable[int]) -> dict[int, SkuInfo | None]:
        now = time.monotonic()
        found = {}
        with self._lock:
            for sku_id in sku_ids:
                entry = self._data.get(sku_id)
                if entry and entry[0] > now:
                    found[sku_id] = entry[1]
                    self._data.move_to_end(sku_id)
        return found

    def put_many(self, infos: dict[int, SkuInfo | None], ttl: float) -> None:
        expires = time.monotonic() + ttl
        with self._lock:
            for sku_id, info in infos.items():
                self._data[sku_id] = (expires, info)
                self._data.move_to_end(sku_id)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def still_holds(self, infos: dict[int, SkuInfo]) -> bool:
        """Whether every one of these is still what this cache hands out for its SKU, and
        unexpired: a check of objects already looked up, without a lookup's bookkeeping
        (lock, recency, counters). Dict reads are atomic; a change racing the check is
        seen by the next one, as it would be by a lookup."""
        now = time.monotonic()
        data = self._data
        for sku_id, info in infos.items():
            entry = data.get(sku_id)
            if entry is None or entry[1] is not info or entry[0] <= now:
                return False
        return True

    def forget(self, sku_ids: Iterable[int]) -> None:
        with self._lock:
            for sku_id in sku_ids:
                self._data.pop(sku_id, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


local_cache = _LocalCache(max_entries=100_000)
_listener_lock = threading.Lock()
_listener: threading.Thread | None = None
# Set while the listener is subscribed. Only then may this process keep SKU data: a copy
# taken while no one listens could miss the announcement of its change.
_listening = threading.Event()
# How long the listener waits before subscribing again after Redis failed it.
LISTENER_RETRY_SECONDS = 1.0


def _on_change(message) -> None:
    if message.get("type") == "message":
        local_cache.forget(int(sku_id) for sku_id in message["data"].split(b","))


def _listen_for_changes() -> None:
    """Start (once per process) the thread that drops local copies of changed SKUs. It
    subscribes in its own thread: a request never waits on the subscription, not even
    when Redis hangs."""
    global _listener
    if _listener is not None:
        return
    with _listener_lock:
        if _listener is None:
            _listener = threading.Thread(target=_listen, name="sku-changes", daemon=True)
            _listener.start()
            # A moment for the subscription, once per process, so that the first
            # lookups already keep what they read.
            _listening.wait(0.2)


def _listen() -> None:
    """Own the pub/sub connection for the life of the process. When Redis fails it, drop
    everything local (changes may be missed meanwhile), wait and subscribe again."""
    while True:
        pubsub = get_redis().pubsub()
        try:
            pubsub.subscribe(**{changes_channel(): _on_change})
            confirmation = pubsub.get_message(timeout=LISTENER_RETRY_SECONDS)
            if not confirmation or confirmation["type"] != "subscribe":
                raise TimeoutError("no confirmation of the subscription")
            _listening.set()
            while True:
                pubsub.get_message(timeout=1.0)  # calls _on_change for each announcement
        except Exception as exc:  # noqa: BLE001 - Redis gone or hung: start over
            if _listening.is_set():
                logger.warning("catalog change listener stopped: %s", exc)
            _listening.clear()
            local_cache.clear()
        finally:
            pubsub.close()
        time.sleep(LISTENER_RETRY_SECONDS)


def _keep_locally(infos: dict[int, SkuInfo | None]) -> None:
    if _listening.is_set():
        local_cache.put_many(infos, ttl=settings.SKU_INFO_LOCAL_TTL_SECONDS)


def _from_database(sku_ids: list[int]) -> dict[int, SkuInfo]:
    # Plain rows, not models: only the columns a line shows (not the item's description
    # or features), and no model instances, which cost more than the query for a batch.
    rows = Sku.objects.filter(sku_id__in=sku_ids).values_list(
        "sku_id", "item_id", "item__title", "attributes", "active", "item__active", "stock__quantity"
    )
    prices = price_effective_many(sku_ids=sku_ids)
    infos = {}
    for sku_id, item_id, title, attributes, active, item_active, stock in rows:
        price = prices.get(sku_id)
        infos[sku_id] = SkuInfo(
            sku_id=sku_id,
            item_id=item_id,
            title=title,
            attributes=attributes,
            sellable=active and item_active and price is not None,
            price=price.amount if price else None,
            currency=price.currency if price else "",
            stock=stock,
        )
    return infos


def _store(pipe, sku_ids: Iterable[int], infos: dict[int, SkuInfo]) -> None:
    for sku_id in sku_ids:
        info = infos.get(sku_id)
        pipe.set(sku_info_key(sku_id), info.to_json() if info else _UNKNOWN, ex=settings.SKU_PRICE_MAX_AGE_SECONDS)
        if info is not None and info.stock is not None:
            pipe.set(stock_key(sku_id), info.stock, ex=settings.STOCK_HINT_TTL_SECONDS)


def _held(sku_ids: list[int]) -> tuple[dict[int, SkuInfo | None], list[int]]:
    """What the two cache layers hold of these SKUs, and the ids neither holds.

    ``None`` in the result means "known not to exist". No I/O when this process holds
    them all; otherwise one Redis round trip. Never MySQL.
    """
    _listen_for_changes()
    found = local_cache.get_many(sku_ids)
    missing = [s for s in sku_ids if s not in found]
    SKU_CACHE.labels("local").inc(len(found))
    if not missing:
        return found, []
    values = mget(get_redis(), [sku_info_key(s) for s in missing] + [stock_key(s) for s in missing])
    infos, stocks = values[: len(missing)], values[len(missing) :]
    fetched: dict[int, SkuInfo | None] = {}
    for sku_id, raw, stock in zip(missing, infos, stocks, strict=True):
        if raw == _UNKNOWN:
            fetched[sku_id] = None
        elif raw is not None:
            info = SkuInfo.from_json(raw)
            fetched[sku_id] = info if stock is None else replace(info, stock=int(stock))
    SKU_CACHE.labels("redis").inc(len(fetched))
    _keep_locally(fetched)
    found.update(fetched)
    return found, [s for s in missing if s not in fetched]


def sku_info_held(sku_ids: Iterable[int]) -> dict[int, SkuInfo | None]:
    """What this process or Redis already holds of each SKU, for the request paths that
    must never query MySQL (adding a line).

    A SKU known not to exist maps to None; one neither layer holds is absent. Warm: no
    I/O; otherwise one Redis round trip.
    """
    found, _ = _held(list(dict.fromkeys(sku_ids)))
    return found


def sku_info_many(sku_ids: Iterable[int]) -> dict[int, SkuInfo]:
    """Return what is known of each SKU; unknown SKUs are absent.

    Warm: no I/O. Otherwise one Redis round trip, plus three queries for SKUs Redis
    does not have either (never one per line).
    """
    wanted = list(dict.fromkeys(sku_ids))
    try:
        found, from_db_wanted = _held(wanted)
        cache_answered = True
    except UNREACHABLE:
        # Redis is down: the catalog is still readable from MySQL (product pages, a
        # guest's cart), just without filling the cache.
        found = local_cache.get_many(wanted)
        from_db_wanted, cache_answered = [s for s in wanted if s not in found], False
    if from_db_wanted:
        SKU_CACHE.labels("database").inc(len(from_db_wanted))
        from_db = _from_database(from_db_wanted)
        if cache_answered:
            pipe = get_redis().pipeline(transaction=False)
            _store(pipe, from_db_wanted, from_db)
            pipe.execute()
        fetched = {s: from_db.get(s) for s in from_db_wanted}
        _keep_locally(fetched)
        found.update(fetched)
    return {sku_id: info for sku_id, info in found.items() if info is not None}


def _announce(client, sku_ids: list[int]) -> None:
    """Tell every process to drop its copies, once the new values are stored. Not in the
    storing pipeline: a cluster pipeline refuses PUBLISH."""
    for start in range(0, len(sku_ids), 1000):
        client.publish(changes_channel(), ",".join(str(s) for s in sku_ids[start : start + 1000]))


def _replace(client, sku_ids: list[int], infos: dict[int, SkuInfo]) -> None:
    """Store what the database says of these SKUs and have every process drop its copies."""
    pipe = client.pipeline(transaction=False)
    _store(pipe, sku_ids, infos)
    pipe.execute()
    _announce(client, sku_ids)
    local_cache.forget(sku_ids)


def sku_info_refresh(sku_ids: Iterable[int]) -> dict[int, SkuInfo]:
    """Reload SKUs from MySQL into Redis now and tell every process to drop its copies.

    The consumer of price and catalog change events. Returns what it loaded.
    """
    sku_ids = list(dict.fromkeys(sku_ids))
    if not sku_ids:
        return {}
    infos = _from_database(sku_ids)
    _replace(get_redis(), sku_ids, infos)
    return infos


def sku_info_verify(sku_ids: Iterable[int]) -> dict[int, SkuInfo]:
    """The catalog's truth for these SKUs, read from MySQL, for the lines' asynchronous
    check; returns what it read.

    Unlike ``sku_info_refresh`` it corrects the caches only where Redis holds something a
    cart would read differently (``SkuInfo.same_for_carts``), and announces only those:
    every announcement makes each web process drop its copy and fetch the SKU from Redis
    again on its next request that needs it, so a check that confirms what the caches
    hold, the usual case, must cost the request path nothing.
    """
    sku_ids = list(dict.fromkeys(sku_ids))
    if not sku_ids:
        return {}
    infos = _from_database(sku_ids)
    client = get_redis()
    values = mget(client, [sku_info_key(s) for s in sku_ids] + [stock_key(s) for s in sku_ids])
    stale = []
    for sku_id, raw, stock in zip(sku_ids, values[: len(sku_ids)], values[len(sku_ids) :], strict=True):
        info = infos.get(sku_id)
        if info is None:
            if raw != _UNKNOWN:
                stale.append(sku_id)
            continue
        cached = None if raw is None or raw == _UNKNOWN else SkuInfo.from_json(raw)
        if cached is not None and stock is not None:
            cached = replace(cached, stock=int(stock))
        if not info.same_for_carts(cached):
            stale.append(sku_id)
    if stale:
        _replace(client, stale, infos)
    return infos


def stock_hints_store(levels: dict[int, int]) -> None:
    """Write stock hints and announce them (the periodic stock sync)."""
    if not levels:
        return
    client = get_redis()
    pipe = client.pipeline(transaction=False)
    for sku_id, quantity in levels.items():
        pipe.set(stock_key(sku_id), quantity, ex=settings.STOCK_HINT_TTL_SECONDS)
    pipe.execute()
    _announce(client, list(levels))
    local_cache.forget(levels)
