"""Write-behind: from the persistence stream in Redis to the user shards in MySQL.

Every mutation script appends the absolute state of the lines it changed, with the new
cart version, to a Redis stream in the same atomic call. Consumers (a Celery worker
bootstep, see ``cart.persistence.consumer``) read it through a consumer group in batches, collapse
the batch to the newest state per line, and write each shard with one multi-row upsert
that applies a row only when its version is newer. So a message may arrive twice, late
or out of order and MySQL ends up the same.

Failures: a shard that fails leaves its messages pending in the group; they are claimed
again after a backoff (2 s, 8 s, 32 s by default) and after the fourth failed attempt
become dead letters in ``default`` that staff replay from admin.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError, connections, transaction

from cart import metrics
from cart.engine import keys, streams
from cart.engine.codec import LineState, state_from_payload, state_to_payload, states_from_stream
from cart.engine.lines import ms_to_datetime
from cart.models import DeadLetter
from cart.persistence.sql import upsert_sql
from core.redis_client import AnyRedis, get_redis
from core.sharding import shard_for_user

logger = logging.getLogger(__name__)

GROUP = "persist"
# One first try plus three retries; the fourth failure makes a dead letter.
MAX_ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class Message:
    entry_id: str
    user_id: int
    version: int
    changed_at_ms: int
    lines: tuple[LineState, ...]
    stream: str = ""  # where it was read from (to acknowledge it there)

    def as_payload(self) -> dict:
        """The message as stored in a dead letter (and read back by ``decode_payload``)."""
        return {
            "u": self.user_id,
            "v": self.version,
            "ts": self.changed_at_ms,
            "l": [state_to_payload(s) for s in self.lines],
        }


def decode_payload(entry_id: str, payload: dict, stream: str = "") -> Message:
    """A stream entry (field ``c``, format 2; ``l``, format 1's JSON, from before the
    change) or a dead letter's payload (``as_payload``)."""
    user_id, version = int(payload["u"]), int(payload["v"])
    if "c" in payload:
        states = states_from_stream(payload["c"], user_id=user_id, version=version)
    else:
        lines = payload["l"]
        if isinstance(lines, str | bytes):
            lines = orjson.loads(lines)
        states = tuple(state_from_payload(raw, user_id=user_id, version=version) for raw in lines)
    # Format 2 entries carry no time of their own: every line they change was changed at
    # it (the entry's id can be a millisecond later: XADD reads the clock again).
    latest = max((state.updated_at_ms for state in states), default=0)
    changed_at_ms = int(payload["ts"]) if "ts" in payload else latest
    return Message(
        entry_id=entry_id,
        user_id=user_id,
        version=version,
        changed_at_ms=changed_at_ms,
        lines=states,
        stream=stream,
    )


def decode_entry(entry_id: bytes | str, fields: dict, stream: str = "") -> Message:
    entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    payload = {(k.decode() if isinstance(k, bytes) else k): v for k, v in fields.items()}
    return decode_payload(entry_id, payload, stream)


# --- the upsert ---------------------------------------------------------------------
# One statement per table per batch, version-guarded (``cart.persistence.sql``).

_LINE_COLUMNS = (
    "user_id",
    "item_id",
    "sku_id",
    "quantity",
    "checked",
    "price_at_add",
    "currency",
    "status",
    "version",
    "deleted",
    "create_time",
    "update_time",
)
_GUARDED = ("quantity", "checked", "price_at_add", "currency", "status", "deleted", "create_time", "update_time")
# Saved lines are never selected: their table has no ``checked``.
_SAVED_COLUMNS = tuple(c for c in _LINE_COLUMNS if c != "checked")
_SAVED_GUARDED = tuple(c for c in _GUARDED if c != "checked")


# On MySQL the two times travel as epoch milliseconds and the server makes the DATETIMEs
# (UTC, as Django stores them): adapting two datetimes per row in Python cost more than
# the rest of the row. Arithmetic from the epoch, not FROM_UNIXTIME: that one reads the
# session time zone.
_MS_TO_DATETIME = "TIMESTAMPADD(MICROSECOND, %s * 1000, '1970-01-01')"


def _times_in_sql(vendor: str) -> bool:
    return vendor == "mysql"


def _row(vendor: str, plain: int, times: int) -> str:
    time_placeholder = _MS_TO_DATETIME if _times_in_sql(vendor) else "%s"
    return "(" + ", ".join(["%s"] * plain + [time_placeholder] * times) + ")"


def _line_upsert_sql(vendor: str, rows: int, *, saved: bool = False) -> str:
    columns = _SAVED_COLUMNS if saved else _LINE_COLUMNS
    return upsert_sql(
        vendor,
        table="saved_item" if saved else "cart_item",
        columns=columns,
        key=("user_id", "item_id", "sku_id"),
        rows=rows,
        update=_SAVED_GUARDED if saved else _GUARDED,
        version_guarded=True,
        row=_row(vendor, len(columns) - 2, 2),
    )


def _cart_upsert_sql(vendor: str, rows: int) -> str:
    return upsert_sql(
        vendor,
        table="cart",
        columns=("user_id", "version", "update_time"),
        key=("user_id",),
        rows=rows,
        update=("update_time",),
        version_guarded=True,
        row=_row(vendor, 2, 1),
    )


def write_states(alias: str, states: list[LineState], headers: dict[int, tuple[int, int]]) -> None:
    """Upsert line states (cart and saved lines) and cart headers ``{user_id: (version,
    changed_at_ms)}`` on one shard.

    One transaction, one statement per table, whatever the number of lines. Rows older than
    what the shard holds are left alone.
    """
    connection = connections[alias]
    time: Callable[[int], Any]
    if _times_in_sql(connection.vendor):
        time = int
    else:
        adapt = connection.ops.adapt_datetimefield_value

        def time(ms: int):
            return adapt(ms_to_datetime(ms))

    newest: dict[tuple[int, int, int, bool], LineState] = {}
    for state in states:
        if state.key not in newest or state.version > newest[state.key].version:
            newest[state.key] = state
    cart_states = [s for s in newest.values() if not s.saved]
    saved_states = [s for s in newest.values() if s.saved]

    def row(s: LineState) -> list:
        # The columns of _LINE_COLUMNS, or of _SAVED_COLUMNS (no ``checked``) for a saved line.
        checked = [] if s.saved else [s.checked]
        return [
            s.user_id,
            s.item_id,
            s.sku_id,
            s.quantity,
            *checked,
            None if s.price_at_add is None else str(s.price_at_add),
            s.currency,
            s.status,
            s.version,
            s.deleted,
            time(s.added_at_ms),
            time(s.updated_at_ms),
        ]

    header_params: list = []
    for user_id, (version, changed_at_ms) in headers.items():
        header_params += [user_id, version, time(changed_at_ms)]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        for table_states, saved in ((cart_states, False), (saved_states, True)):
            if table_states:
                sql = _line_upsert_sql(connection.vendor, len(table_states), saved=saved)
                cursor.execute(sql, [value for s in table_states for value in row(s)])
        if headers:
            cursor.execute(_cart_upsert_sql(connection.vendor, len(headers)), header_params)


def write_messages(alias: str, messages: list[Message]) -> None:
    """Persist a batch of messages that all belong to shard ``alias``."""
    headers: dict[int, tuple[int, int]] = {}
    for m in messages:
        if m.user_id not in headers or m.version > headers[m.user_id][0]:
            headers[m.user_id] = (m.version, m.changed_at_ms)
    write_states(alias, [s for m in messages for s in m.lines], headers)


# --- the consumer -------------------------------------------------------------------


@dataclass
class DrainReport:
    read: int = 0
    written: int = 0
    retried: int = 0
    dead_lettered: int = 0
    failed_shards: set[str] = field(default_factory=set)
    busy_streams: set[str] = field(default_factory=set)  # streams that had new entries

    def add(self, other: "DrainReport") -> None:
        self.read += other.read
        self.written += other.written
        self.retried += other.retried
        self.dead_lettered += other.dead_lettered
        self.failed_shards |= other.failed_shards
        self.busy_streams |= other.busy_streams


def _backoff_ms(deliveries: int) -> int:
    return settings.CART_PERSIST_RETRY_BASE_MS * 4 ** (deliveries - 1)


def _dead_letter(messages: list[Message], alias: str, error: str, attempts: int) -> None:
    DeadLetter.objects.bulk_create(
        [
            DeadLetter(
                user_id=m.user_id,
                shard=alias,
                version=m.version,
                payload=m.as_payload(),
                error=error,
                attempts=attempts,
            )
            for m in messages
        ]
    )
    metrics.DEAD_LETTERS.inc(len(messages))
    logger.error(
        "dead-lettered %d persistence messages for %s after %d attempts: %s", len(messages), alias, attempts, error
    )


def _process(client: AnyRedis, batches: list[tuple[str, list]], attempts: dict[str, int]) -> DrainReport:
    """Write the entries of ``batches`` ``[(stream, entries)]`` shard by shard, all streams
    together (one upsert per shard, however many streams they came from); ack what
    committed or was dead-lettered."""
    report = DrainReport()
    by_shard: dict[str, list[Message]] = defaultdict(list)
    done: dict[str, list[str]] = defaultdict(list)
    for stream, entries in batches:
        report.read += len(entries)
        for entry_id, fields in entries:
            if not fields:  # deleted while pending
                done[stream].append(entry_id.decode() if isinstance(entry_id, bytes) else entry_id)
                continue
            message = decode_entry(entry_id, fields, stream)
            by_shard[shard_for_user(message.user_id)].append(message)
    for alias, messages in by_shard.items():
        try:
            write_messages(alias, messages)
        except DatabaseError as exc:
            report.failed_shards.add(alias)
            error = f"{type(exc).__name__}: {exc}"
            exhausted = [m for m in messages if attempts.get(m.entry_id, 1) >= MAX_ATTEMPTS]
            if exhausted:
                try:
                    _dead_letter(exhausted, alias, error, MAX_ATTEMPTS)
                except DatabaseError:
                    logger.exception("could not record dead letters; they stay pending")
                    continue
                for m in exhausted:
                    done[m.stream].append(m.entry_id)
                report.dead_lettered += len(exhausted)
            metrics.PERSIST_MESSAGES.labels("failed").inc(len(messages) - len(exhausted))
            logger.warning("persisting %d messages to %s failed: %s", len(messages), alias, error)
            continue
        # Timed after the commit, shard by shard: the later shards of a batch wait for
        # the earlier ones' writes, and that is lag too.
        committed_ms = time.time() * 1000
        for m in messages:
            done[m.stream].append(m.entry_id)
            metrics.PERSIST_LAG.observe(max(committed_ms - m.changed_at_ms, 0) / 1000)
        report.written += len(messages)
        metrics.PERSIST_MESSAGES.labels("written").inc(len(messages))
    if done:
        streams.ack(client, GROUP, done)
    return report


def _retry_pending(client: AnyRedis, stream: str, consumer: str, count: int) -> DrainReport:
    """Claim messages whose last delivery failed (or whose consumer died) once their backoff passed."""
    pending: list[dict[str, Any]] = client.xpending_range(
        stream, GROUP, min="-", max="+", count=count, idle=_backoff_ms(1)
    )
    due = [p for p in pending if p["time_since_delivered"] >= _backoff_ms(p["times_delivered"])]
    if not due:
        return DrainReport()
    claimed = client.xclaim(
        stream, GROUP, consumer, min_idle_time=_backoff_ms(1), message_ids=[p["message_id"] for p in due]
    )
    attempts = {
        (p["message_id"].decode() if isinstance(p["message_id"], bytes) else p["message_id"]): p["times_delivered"] + 1
        for p in due
    }
    report = _process(client, [(stream, claimed)], attempts)
    report.retried = len(claimed)
    return report


def persistence_drain(
    *,
    consumer: str | None = None,
    count: int = 500,
    block_ms: int | None = None,
    client: AnyRedis | None = None,
    stream_keys: list[str] | None = None,
) -> DrainReport:
    """Persist one batch of new messages per stream and retry what is due. Idempotent.

    ``stream_keys`` defaults to every persistence stream (the consumer loop passes a
    ``StreamPoller`` window on a cluster). ``block_ms`` waits that long for new messages
    when there are none, on a single stream only; tests and the drain task pass None to
    return at once.
    """
    redis_client: AnyRedis = client or get_redis()
    consumer = consumer or streams.consumer_name()
    stream_keys = keys.log_keys() if stream_keys is None else stream_keys
    report = DrainReport()
    if len(stream_keys) == 1:
        (stream,) = stream_keys
        streams.ensure_group(redis_client, stream, GROUP)
        report.add(_retry_pending(redis_client, stream, consumer, count))
        response: Any = redis_client.xreadgroup(GROUP, consumer, {stream: ">"}, count=count, block=block_ms)
        report.add(_process(redis_client, [(stream, entries) for _, entries in response or []], {}))
        return report
    batches = streams.streams_read(stream_keys, group=GROUP, consumer=consumer, count=count, client=redis_client)
    for batch in batches:
        if batch.pending:
            report.add(_retry_pending(redis_client, batch.stream, consumer, count))
    report.add(_process(redis_client, [(b.stream, b.entries) for b in batches if b.entries], {}))
    report.busy_streams = {b.stream for b in batches if b.entries}
    return report


def persistence_drain_all(*, consumer: str | None = None, max_seconds: float = 30.0) -> DrainReport:
    """Drain until no new message is left (or ``max_seconds`` passed). For tests and operators."""
    report = DrainReport()
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        batch = persistence_drain(consumer=consumer)
        report.add(batch)
        if batch.read == 0:
            break
    return report


def persistence_backlog(client: AnyRedis | None = None) -> int:
    """Messages in the streams that are not yet in MySQL (new or pending)."""
    pipe = (client or get_redis()).pipeline(transaction=False)
    for stream in keys.log_keys():
        pipe.xlen(stream)
    return sum(pipe.execute())
