"""What a cart line shows about its SKU (title, attributes, price, stock), cached in layers.

Cart reads need this for every line but must not query MySQL: a process-local cache
answers warm reads with no I/O at all; behind it one Redis pipeline fetches what the
process lacks; behind that one set of MySQL queries fills Redis for the rest. Entries
are short-lived (seconds locally, minutes in Redis) and dropped by ``sku_info_forget``
when the catalog or a price changes.
"""

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.conf import settings

from catalog.models import Sku
from ops.redis_client import get_redis
from pricing.selectors import price_effective_many


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
        data = asdict(self)
        data["price"] = None if self.price is None else str(self.price)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> "SkuInfo":
        data = json.loads(raw)
        data["price"] = None if data["price"] is None else Decimal(data["price"])
        return cls(**data)


def sku_info_key(sku_id: int) -> str:
    return f"{settings.REDIS_KEY_PREFIX}sku:{sku_id}"


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

    def forget(self, sku_ids: Iterable[int]) -> None:
        with self._lock:
            for sku_id in sku_ids:
                self._data.pop(sku_id, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


local_cache = _LocalCache(max_entries=100_000)


def _from_database(sku_ids: list[int]) -> dict[int, SkuInfo]:
    skus = Sku.objects.filter(sku_id__in=sku_ids).select_related("item", "stock")
    prices = price_effective_many(sku_ids=sku_ids)
    infos = {}
    for sku in skus:
        price = prices.get(sku.sku_id)
        stock = getattr(sku, "stock", None)
        infos[sku.sku_id] = SkuInfo(
            sku_id=sku.sku_id,
            item_id=sku.item_id,
            title=sku.item.title,
            attributes=sku.attributes,
            sellable=sku.active and sku.item.active and price is not None,
            price=price.amount if price else None,
            currency=price.currency if price else "",
            stock=stock.quantity if stock is not None else None,
        )
    return infos


def sku_info_many(sku_ids: Iterable[int]) -> dict[int, SkuInfo]:
    """Return what is known of each SKU; unknown SKUs are absent.

    Warm: no I/O. Otherwise one Redis round trip, plus three queries for SKUs Redis
    does not have either (never one per line).
    """
    wanted = list(dict.fromkeys(sku_ids))
    found = local_cache.get_many(wanted)
    missing = [s for s in wanted if s not in found]
    if missing:
        client = get_redis()
        fetched: dict[int, SkuInfo | None] = {}
        for sku_id, raw in zip(missing, client.mget([sku_info_key(s) for s in missing]), strict=True):
            if raw is not None:
                fetched[sku_id] = None if raw == _UNKNOWN else SkuInfo.from_json(raw)
        from_db_wanted = [s for s in missing if s not in fetched]
        if from_db_wanted:
            from_db = _from_database(from_db_wanted)
            pipe = client.pipeline(transaction=False)
            for sku_id in from_db_wanted:
                info = from_db.get(sku_id)
                fetched[sku_id] = info
                value = info.to_json() if info else _UNKNOWN
                pipe.set(sku_info_key(sku_id), value, ex=settings.SKU_INFO_REDIS_TTL_SECONDS)
            pipe.execute()
        local_cache.put_many(fetched, ttl=settings.SKU_INFO_LOCAL_TTL_SECONDS)
        found.update(fetched)
    return {sku_id: info for sku_id, info in found.items() if info is not None}


def sku_info_forget(sku_ids: Iterable[int]) -> None:
    """Drop SKUs from Redis and this process's cache, so the next read sees the change."""
    sku_ids = list(sku_ids)
    if sku_ids:
        get_redis().delete(*[sku_info_key(s) for s in sku_ids])
        local_cache.forget(sku_ids)
