"""Pre-warming: load the carts (and saved lines) of recently active shoppers into Redis before an event,
so the first minutes of a sale do not send every shopper to MySQL at once."""

import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

from cart.engine.codec import redis_value, redis_value_mysql
from cart.engine.lines import SAVED_PREFIX, datetime_to_ms
from cart.engine.store import CartStore, fill_keys
from cart.models import Cart
from core.redis_batch import Call, scripts_pipelined
from core.sharding import SHARD_ALIASES

BATCH = 500
_CENTS = Decimal("0.01")  # price_at_add's places, as MySQL gives them
_FILL_HEAD = 3  # the fill script's arguments before its lines: version, TTL, user id
# Cart lines and saved lines in one query (``saved`` first; saved lines are never checked).
_LINES_SQL = (
    "SELECT 0, user_id, item_id, sku_id, quantity, checked, price_at_add, currency, status, version, "
    "create_time, update_time FROM cart_item WHERE deleted = %s AND user_id IN ({ids}) UNION ALL "
    "SELECT 1, user_id, item_id, sku_id, quantity, 0, price_at_add, currency, status, version, "
    "create_time, update_time FROM saved_item WHERE deleted = %s AND user_id IN ({ids})"
)
# On MySQL the server hands over each line's hash field and value as the cart stores
# them. Building them in Python from rows of twelve columns took about a third of the
# client's time, and the client is what a pre-warm waits for.
_LINES_SQL_MYSQL = " UNION ALL ".join(
    f"SELECT user_id, version, CONCAT('{prefix}', item_id, ':', sku_id), {redis_value_mysql(checked=checked)} "
    f"FROM {table} WHERE deleted = %s AND user_id IN ({{ids}})"
    for prefix, checked, table in (("", "checked", "cart_item"), (SAVED_PREFIX, "0", "saved_item"))
)


@dataclass
class PrewarmSummary:
    carts: int = 0  # loaded by this run
    already_loaded: int = 0  # left alone: Redis had them (and may be newer)
    lines: int = 0
    seconds: float = 0.0

    @property
    def carts_per_second(self) -> float:
        return (self.carts + self.already_loaded) / self.seconds if self.seconds else 0.0

    def __str__(self):
        return (
            f"{self.carts} carts loaded ({self.lines} lines), {self.already_loaded} already in Redis, "
            f"{self.seconds:.1f} s, {self.carts_per_second:,.0f} carts/s"
        )


def _lines(connection, cursor):
    """(user id, version, hash field, hash value) of each line the query found."""
    if connection.vendor == "mysql":
        yield from cursor.fetchall()  # one call, not one wrapper call per row
        return
    convert = connection.ops.convert_datetimefield_value if connection.vendor == "sqlite" else None
    for saved, user_id, item_id, sku_id, quantity, checked, price, currency, status, version, *times in cursor:
        if convert is not None:  # SQLite returns text
            times = [convert(moment, None, connection) for moment in times]
        elif timezone.is_naive(times[0]):
            times = [timezone.make_aware(moment) for moment in times]
        value = redis_value(
            quantity=quantity,
            checked=bool(checked),
            status=status,
            added_at_ms=datetime_to_ms(times[0]),
            updated_at_ms=datetime_to_ms(times[1]),
            version=version,
            price=None if price is None else Decimal(str(price)).quantize(_CENTS),  # SQLite's is a float
            currency=currency,
        )
        yield user_id, version, f"{SAVED_PREFIX if saved else ''}{item_id}:{sku_id}", value


def _fill_calls(alias: str, headers: list[tuple[int, int]], store: CartStore) -> list[Call]:
    """The fill script's call for each cart of ``headers``, with its lines read from ``alias``."""
    connection = connections[alias]
    user_ids = [user_id for user_id, _ in headers]
    lines: dict[int, list] = {user_id: [] for user_id in user_ids}  # field, value, field, value …
    newest = dict(headers)  # the cart version: the header's, or a newer line's
    with connection.cursor() as cursor:
        sql = _LINES_SQL_MYSQL if connection.vendor == "mysql" else _LINES_SQL
        cursor.execute(sql.format(ids=", ".join(["%s"] * len(user_ids))), [False, *user_ids] * 2)
        for user_id, version, field, value in _lines(connection, cursor):
            lines[user_id] += (field, value)
            if version > newest[user_id]:
                newest[user_id] = version
    return [(fill_keys(user_id), [newest[user_id], store.ttl_ms, user_id, *lines[user_id]]) for user_id in user_ids]


def _all_fill_calls(active: Mapping[str, QuerySet], store: CartStore) -> Iterator[list[Call]]:
    """Each batch's fill calls, shard by shard; only one shard's headers are held at a time."""
    for alias, query in active.items():
        headers = list(query.order_by("user_id").values_list("user_id", "version"))
        for start in range(0, len(headers), BATCH):
            yield _fill_calls(alias, headers[start : start + BATCH], store)


def _finish(
    batch: tuple[list[Call], Future], summary: PrewarmSummary, progress: Callable[[int, int], None] | None, total: int
) -> None:
    """Wait for a batch's pipeline, count what it loaded, report progress."""
    calls, replies = batch
    for (_, args), loaded in zip(calls, replies.result(), strict=True):
        if loaded:
            summary.carts += 1
            summary.lines += (len(args) - _FILL_HEAD) // 2
        else:
            summary.already_loaded += 1
    if progress:
        progress(summary.carts + summary.already_loaded, total)


def carts_prewarm(*, active_since: timedelta, progress: Callable[[int, int], None] | None = None) -> PrewarmSummary:
    """Load every cart changed since ``now - active_since`` into Redis, unless already there.

    Per shard, per batch of 500 carts: one query for the headers' page, one for their lines,
    one Redis pipeline of fill scripts (which never overwrite a loaded cart). Returns
    what it did; ``progress(done, total)`` is called after each batch.

    A batch's pipeline runs in a second thread while this one reads the next batch from
    MySQL, so both servers work at once where the client would otherwise wait on each in
    turn. Only this thread touches the database: it reads in the caller's transaction.
    """
    started = time.monotonic()
    cutoff = timezone.now() - active_since
    store = CartStore()
    summary = PrewarmSummary()
    active = {alias: Cart.objects.using(alias).filter(update_time__gte=cutoff) for alias in SHARD_ALIASES}
    total = sum(query.count() for query in active.values())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prewarm-fill") as filler:
        in_flight = None
        for calls in _all_fill_calls(active, store):  # reads the next batch while one fills
            if in_flight is not None:
                _finish(in_flight, summary, progress, total)
            in_flight = calls, filler.submit(scripts_pipelined, store.client, store.scripts["fill"], calls)
        if in_flight is not None:
            _finish(in_flight, summary, progress, total)
    summary.seconds = time.monotonic() - started
    return summary
