"""Pre-warming: load the carts (and saved lines) of recently active shoppers into Redis before an event,
so the first minutes of a sale do not send every shopper to MySQL at once."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import connections
from django.utils import timezone

from cart.engine.codec import redis_value
from cart.engine.lines import SAVED_PREFIX, datetime_to_ms
from cart.engine.store import CartStore, fill_keys
from cart.models import Cart
from core.redis_batch import scripts_pipelined
from core.sharding import SHARD_ALIASES

BATCH = 500
# Cart lines and saved lines in one query (``saved`` first; saved lines are never checked).
_LINES_SQL = (
    "SELECT 0, user_id, item_id, sku_id, quantity, checked, price_at_add, currency, status, version, "
    "create_time, update_time FROM cart_item WHERE deleted = %s AND user_id IN ({ids}) UNION ALL "
    "SELECT 1, user_id, item_id, sku_id, quantity, 0, price_at_add, currency, status, version, "
    "create_time, update_time FROM saved_item WHERE deleted = %s AND user_id IN ({ids})"
)
# On MySQL the server hands over what the line format wants: epoch milliseconds and the
# price as text. Parsing 800,000 DATETIMEs into aware datetimes and back took over half
# of a pre-warm's time. (Stored datetimes are naive UTC, so plain arithmetic from the
# epoch is right whatever the session time zone.)
_LINES_SQL_MYSQL = " UNION ALL ".join(
    f"SELECT {saved}, user_id, item_id, sku_id, quantity, {checked}, CAST(price_at_add AS CHAR), currency, status, "
    "version, TIMESTAMPDIFF(MICROSECOND, '1970-01-01', create_time) DIV 1000, "
    "TIMESTAMPDIFF(MICROSECOND, '1970-01-01', update_time) DIV 1000 "
    f"FROM {table} WHERE deleted = %s AND user_id IN ({{ids}})"
    for saved, checked, table in ((0, "checked", "cart_item"), (1, "0", "saved_item"))
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


def _rows_ms(connection, cursor):
    """The rows with their two times as epoch milliseconds (converted here off MySQL)."""
    if connection.vendor == "mysql":
        yield from cursor.fetchall()  # one call, not one wrapper call per row
        return
    convert = connection.ops.convert_datetimefield_value if connection.vendor == "sqlite" else None
    for *head, created, updated in cursor:
        if convert is not None:  # SQLite returns text
            created, updated = convert(created, None, connection), convert(updated, None, connection)
        elif timezone.is_naive(created):
            created, updated = timezone.make_aware(created), timezone.make_aware(updated)
        yield (*head, datetime_to_ms(created), datetime_to_ms(updated))


def _warm_batch(alias: str, headers: list[tuple[int, int]], store: CartStore, summary: PrewarmSummary) -> None:
    connection = connections[alias]
    user_ids = [user_id for user_id, _ in headers]
    lines: dict[int, list] = {user_id: [] for user_id in user_ids}  # field, value, field, value …
    newest = dict(headers)  # the cart version: the header's, or a newer line's
    with connection.cursor() as cursor:
        sql = _LINES_SQL_MYSQL if connection.vendor == "mysql" else _LINES_SQL
        cursor.execute(sql.format(ids=", ".join(["%s"] * len(user_ids))), [False, *user_ids] * 2)
        for row in _rows_ms(connection, cursor):
            saved, user_id, item_id, sku_id, quantity, checked, price, currency, status, version, created, updated = row
            lines[user_id] += [
                f"{SAVED_PREFIX if saved else ''}{item_id}:{sku_id}",
                redis_value(
                    quantity=quantity,
                    checked=bool(checked),
                    status=status,
                    added_at_ms=created,
                    updated_at_ms=updated,
                    version=version,
                    price=price,
                    currency=currency,
                ),
            ]
            newest[user_id] = max(newest[user_id], version)
    calls = [(fill_keys(user_id), [newest[user_id], store.ttl_ms, user_id, *lines[user_id]]) for user_id in user_ids]
    replies = scripts_pipelined(store.client, store.scripts["fill"], calls)
    for user_id, loaded in zip(user_ids, replies, strict=True):
        if loaded:
            summary.carts += 1
            summary.lines += len(lines[user_id]) // 2
        else:
            summary.already_loaded += 1


def carts_prewarm(*, active_since: timedelta, progress: Callable[[int, int], None] | None = None) -> PrewarmSummary:
    """Load every cart changed since ``now - active_since`` into Redis, unless already there.

    Per shard, per batch of 500 carts: one query for the headers' page, one for their lines,
    one Redis pipeline of fill scripts (which never overwrite a loaded cart). Returns
    what it did; ``progress(done, total)`` is called after each batch.
    """
    started = time.monotonic()
    cutoff = timezone.now() - active_since
    store = CartStore()
    summary = PrewarmSummary()
    active = {alias: Cart.objects.using(alias).filter(update_time__gte=cutoff) for alias in SHARD_ALIASES}
    total = sum(query.count() for query in active.values())
    done = 0
    for alias, query in active.items():
        headers = list(query.order_by("user_id").values_list("user_id", "version"))
        for start in range(0, len(headers), BATCH):
            batch = headers[start : start + BATCH]
            _warm_batch(alias, batch, store, summary)
            done += len(batch)
            if progress:
                progress(done, total)
    summary.seconds = time.monotonic() - started
    return summary
