"""Reconciliation: compare carts changed since the last pass in Redis and MySQL, and
repair MySQL. A safety net under the write-behind stream, for anything that slipped
past it (a message lost with a Redis failover, a dead letter nobody replayed yet, a
row edited by hand)."""

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from cart import metrics
from cart.engine import keys
from cart.engine.codec import LineState, line_agrees_with_row, row_content_of_line, state_of_line, tombstone_of_row
from cart.engine.lines import CartLine, datetime_to_ms
from cart.engine.store import CartStore, RawCart
from cart.models import Cart, CartItem, ReconciliationRun, SavedItem
from cart.persistence.write_behind import write_states
from core.sharding import SHARD_ALIASES, shard_for_user

logger = logging.getLogger(__name__)

BATCH = 200
# Look back a little before the previous pass started: a change made while it ran may
# have been read by neither side.
OVERLAP = timedelta(minutes=1)


Row = CartItem | SavedItem


def _compare(
    user_id: int, version: int, lines: list[CartLine], rows: list[Row], *, saved: bool = False
) -> tuple[list[LineState], list[tuple[Row, CartLine | None]]]:
    """Return the upserts that bring MySQL's rows of one list (the cart's lines, or its
    saved lines when ``saved``) to Redis's state, and same-version repairs.

    Redis is the truth for a loaded cart, except where MySQL holds a newer version (a
    cart reloaded from a lagging shard): such rows are left alone.
    """
    by_id = {(r.item_id, r.sku_id): r for r in rows}
    upserts: list[LineState] = []
    same_version: list[tuple[Row, CartLine | None]] = []
    for line in lines:
        row = by_id.pop((line.item_id, line.sku_id), None)
        if row is None or row.version < line.version:
            if not line_agrees_with_row(line, row):
                upserts.append(state_of_line(user_id, line, version=line.version, saved=saved))
        elif row.version == line.version and not line_agrees_with_row(line, row):
            same_version.append((row, line))
    for row in by_id.values():
        if row.deleted:
            continue
        if row.version < version:
            upserts.append(tombstone_of_row(row, version=version, now=timezone.now()))
        elif row.version == version:
            same_version.append((row, None))
    return upserts, same_version


def _repair_same_version(alias: str, row: Row, line: CartLine | None) -> int:
    """Make a row that has Redis's version but not its content match it (``line`` None:
    Redis no longer has the line)."""
    # The version guard cannot apply an equal version; compare-and-set on the version
    # read, so a newer write that lands meanwhile is never overwritten.
    rows = (
        type(row)
        .objects.using(alias)
        .filter(user_id=row.user_id, item_id=row.item_id, sku_id=row.sku_id, version=row.version)
    )
    if line is None:
        return rows.update(deleted=True, quantity=0)
    content = row_content_of_line(line)
    if isinstance(row, SavedItem):
        del content["checked"]
    return rows.update(**content, deleted=False)


def _rows_by_user(model: type[Row], alias: str, user_ids: list[int]) -> dict[int, list[Row]]:
    rows: dict[int, list[Row]] = defaultdict(list)
    for row in model.objects.using(alias).filter(user_id__in=user_ids):
        rows[row.user_id].append(row)
    return rows


def _reconcile_shard(alias: str, carts: dict[int, tuple[RawCart, list[CartLine]]]) -> int:
    rows_by_user = _rows_by_user(CartItem, alias, list(carts))
    saved_rows_by_user = _rows_by_user(SavedItem, alias, list(carts))
    stored_versions = dict(Cart.objects.using(alias).filter(user_id__in=list(carts)).values_list("user_id", "version"))
    upserts: list[LineState] = []
    headers: dict[int, tuple[int, int]] = {}
    fixed = 0
    for user_id, (cart, saved) in carts.items():
        cart_upserts, same_version = _compare(user_id, cart.version, cart.lines, rows_by_user[user_id])
        saved_upserts, saved_same_version = _compare(
            user_id, cart.version, saved, saved_rows_by_user[user_id], saved=True
        )
        upserts += cart_upserts + saved_upserts
        for row, line in same_version + saved_same_version:
            fixed += _repair_same_version(alias, row, line)
        if stored_versions.get(user_id, -1) < cart.version:
            headers[user_id] = (cart.version, max([0, *(line.updated_at_ms for line in (*cart.lines, *saved))]))
    if upserts or headers:
        write_states(alias, upserts, headers)
    return fixed + len(upserts)


def _purge_tombstones() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.CART_TOMBSTONE_RETENTION_HOURS)
    purged = 0
    for alias in SHARD_ALIASES:
        try:
            for model in (CartItem, SavedItem):
                purged += model.objects.using(alias).filter(deleted=True, update_time__lt=cutoff).delete()[0]
        except DatabaseError:
            logger.exception("could not purge tombstones on %s", alias)
    return purged


def _dirty_users(client, since_ms: int) -> list[int]:
    """Users changed since ``since_ms``, from every dirty index (one per slot on a cluster)."""
    pipe = client.pipeline(transaction=False)
    for key in keys.dirty_keys():
        pipe.zrangebyscore(key, since_ms, "+inf")
    return [int(u) for members in pipe.execute() for u in members]


def reconcile_run(*, progress: Callable[[int, int], None] | None = None) -> ReconciliationRun:
    """Run one pass and record it. Safe to run concurrently with writes and with itself.

    ``progress(done, total)`` is called after each batch of carts.
    """
    started = time.monotonic()
    previous = ReconciliationRun.objects.filter(error="", finished_at__isnull=False).order_by("-started_at").first()
    since = previous.started_at - OVERLAP if previous else None
    run = ReconciliationRun.objects.create(started_at=timezone.now(), changed_since=since)
    store = CartStore()
    since_ms = datetime_to_ms(since) if since else 0
    user_ids = _dirty_users(store.client, since_ms)
    errors = []
    for start in range(0, len(user_ids), BATCH):
        batch = user_ids[start : start + BATCH]
        carts = {user_id: pair for user_id, pair in store.read_many_with_saved(batch).items() if pair is not None}
        run.carts_checked += len(carts)
        by_shard: dict[str, dict[int, tuple[RawCart, list[CartLine]]]] = defaultdict(dict)
        for user_id, cart in carts.items():
            by_shard[shard_for_user(user_id)][user_id] = cart
        for alias, shard_carts in by_shard.items():
            try:
                run.lines_fixed += _reconcile_shard(alias, shard_carts)
            except DatabaseError as exc:
                errors.append(f"{alias}: {type(exc).__name__}: {exc}")
                logger.exception("reconciliation could not repair %s", alias)
        if progress:
            progress(start + len(batch), len(user_ids))
    run.tombstones_purged = _purge_tombstones()
    if not errors:
        # The next pass starts at this one's start less the overlap; older entries are done.
        horizon_ms = datetime_to_ms(run.started_at - OVERLAP)
        pipe = store.client.pipeline(transaction=False)
        for key in keys.dirty_keys():
            pipe.zremrangebyscore(key, "-inf", f"({horizon_ms}")
        pipe.execute()
    run.error = "\n".join(errors)
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.save()
    metrics.RECONCILE_FIXES.inc(run.lines_fixed)
    return run
