"""Move one logical cart shard to another database server (``manage.py move_shard``).

The move copies the shard's two tables (``cart_item``, ``cart``) while the service keeps
running: writes go on landing on the old database, and the copy catches up with them.
The steps, each a function here:

1. ``attach_target``: register the new database as a temporary alias (``move_…``, which
   the router migrates like a shard), create the database if missing and migrate it.
2. ``copy_table``: copy every row in primary-key order, in batches, upserting (so a
   rerun or an interrupted run is safe).
3. ``catch_up``: copy again the rows whose ``update_time`` falls in the window of the
   previous pass, until a pass finds nothing that differs from the target. Write-behind
   stamps rows with the time of the change, not of the commit, so the window reaches
   back ``lag_margin`` seconds further than the pass start.
4. ``verify``: row count and an ordered SHA-256 of every row, computed the same way on
   both sides (so it also works between different server versions, where ``CHECKSUM
   TABLE`` may differ for identical data).

Nothing here switches traffic: the operator changes ``CART_SHARD_URLS`` (``new_shard_urls``
prints the value) once the final catch-up ran with the consumers stopped. See
docs/operations.md for the procedure.
"""

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.utils import load_backend
from django.utils.connection import ConnectionDoesNotExist

from cart.models import Cart, CartItem, SavedItem
from cart.persistence.sql import upsert_sql
from core.db_router import MOVE_ALIAS_PREFIX
from core.sharding import SHARD_ALIASES, expand_shard_urls

# Children before parents is irrelevant (no foreign keys); lines first because they are
# the bulk of the data and the longest pass.
MODELS = (CartItem, SavedItem, Cart)


class MoveError(Exception):
    """The move cannot go on (bad alias or URL, the target is the source, …)."""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]

    @classmethod
    def of(cls, model) -> "Table":
        columns = tuple(f.column for f in model._meta.concrete_fields)
        key = tuple(f.column for f in model._meta.pk_fields)
        return cls(name=model._meta.db_table, columns=columns, key=key)


TABLES = tuple(Table.of(model) for model in MODELS)


@dataclass
class TableReport:
    table: str
    copied: int = 0
    caught_up: int = 0
    source_rows: int = 0
    target_rows: int = 0
    source_sha256: str = ""
    target_sha256: str = ""

    @property
    def matches(self) -> bool:
        return self.source_rows == self.target_rows and self.source_sha256 == self.target_sha256


@dataclass
class MoveReport:
    alias: str
    target_url: str
    started_at: dt.datetime
    tables: dict[str, TableReport] = field(default_factory=dict)
    catch_up_passes: int = 0

    @property
    def verified(self) -> bool:
        return all(t.matches for t in self.tables.values())


# --- the target database ------------------------------------------------------------


def attach_target(url: str, *, source_alias: str, migrate: bool = True) -> str:
    """Register ``url`` as a temporary ``move_…`` alias and return the alias.

    Creates the database when it does not exist and, with ``migrate``, applies the
    migrations (the router gives a ``move_`` alias the shard tables only). Connection
    options (charset, timeouts) are taken from the source alias when the engines match.
    Raises ``MoveError`` when the URL names the source database itself.
    """
    config = dj_database_url.parse(url)
    source = connections[source_alias].settings_dict
    if config["ENGINE"] == source["ENGINE"]:
        config["OPTIONS"] = dict(source.get("OPTIONS") or {})
        config["TEST"] = dict(source.get("TEST") or {})
    if _same_database(config, source):
        raise MoveError(f"{url} is the database {source_alias} already uses.")
    alias = f"{MOVE_ALIAS_PREFIX}{source_alias}_{uuid.uuid4().hex[:8]}"
    config = connections.configure_settings({DEFAULT_DB_ALIAS: {}, alias: config})[alias]
    # A connection of this thread only, outside DATABASES: nothing else (request
    # handling, connection cleanup, the test runner's per-alias guards) ever sees it.
    connections[alias] = load_backend(config["ENGINE"]).DatabaseWrapper(config, alias)
    if config["ENGINE"] == "django.db.backends.mysql":
        _create_mysql_database(alias)
    if migrate:
        call_command("migrate", database=alias, interactive=False, verbosity=0)
    return alias


def detach_target(alias: str) -> None:
    """Close and forget a temporary alias made by ``attach_target``."""
    try:
        connection = connections[alias]
    except ConnectionDoesNotExist:  # never attached, or already detached
        return
    connection.close()
    del connections[alias]


def _same_database(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    def where(c: Mapping[str, Any]) -> tuple:
        host = c.get("HOST") or "localhost"
        return (c["ENGINE"], "127.0.0.1" if host == "localhost" else host, str(c.get("PORT") or ""), c.get("NAME"))

    return where(a) == where(b)


def _create_mysql_database(alias: str) -> None:
    connection = connections[alias]
    name = connection.settings_dict["NAME"]
    charset = connection.settings_dict["TEST"].get("CHARSET") or "utf8mb4"
    collation = connection.settings_dict["TEST"].get("COLLATION") or "utf8mb4_unicode_ci"
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            f"CREATE DATABASE IF NOT EXISTS {connection.ops.quote_name(name)} "
            f"CHARACTER SET {charset} COLLATE {collation}"
        )


# --- reading and writing rows -------------------------------------------------------


def _after_key_sql(key: tuple[str, ...]) -> str:
    """``(a, b, c) > (%s, %s, %s)`` spelled out, which every engine's range optimizer uses."""
    first, *rest = key
    if not rest:
        return f"{first} > %s"
    return f"({first} > %s OR ({first} = %s AND {_after_key_sql(tuple(rest))}))"


def _after_key_params(values: tuple) -> list:
    first, *rest = values
    return [first] if not rest else [first, first, *_after_key_params(tuple(rest))]


def iter_batches(
    alias: str, table: Table, *, batch: int, where: str = "", params: list | None = None
) -> Iterator[list]:
    """Yield the rows of ``table`` on ``alias`` in primary-key order, ``batch`` at a time.

    Keyset pagination (each batch starts after the last key seen), so every batch is one
    index range read however deep into the table it is.
    """
    connection = connections[alias]
    order = ", ".join(table.key)
    key_at = [table.columns.index(k) for k in table.key]
    last: tuple | None = None
    while True:
        clauses = [where] if where else []
        args = list(params or [])
        if last is not None:
            clauses.append(_after_key_sql(table.key))
            args += _after_key_params(last)
        condition = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {', '.join(table.columns)} FROM {table.name}{condition} ORDER BY {order} LIMIT {int(batch)}"
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            rows = [tuple(r) for r in cursor.fetchall()]
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        last = tuple(rows[-1][i] for i in key_at)


def write_rows(alias: str, table: Table, rows: list[tuple]) -> None:
    """Upsert ``rows`` (full rows, source column order) into ``table`` on ``alias``.

    The source is the truth during a move, so a row overwrites whatever the target has.
    """
    if not rows:
        return
    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        sql = upsert_sql(connection.vendor, table=table.name, columns=table.columns, key=table.key, rows=len(rows))
        cursor.execute(sql, [v for row in rows for v in row])


def count_rows(alias: str, table: Table) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table.name}")
        return cursor.fetchone()[0]


# --- the passes ---------------------------------------------------------------------


def copy_table(source: str, target: str, table: Table, *, batch: int, progress: Callable[[int], None]) -> int:
    """Copy every row of ``table``; return the number of rows written."""
    copied = 0
    for rows in iter_batches(source, table, batch=batch):
        write_rows(target, table, rows)
        copied += len(rows)
        progress(len(rows))
    return copied


def catch_up_table(source: str, target: str, table: Table, *, since: dt.datetime, batch: int) -> int:
    """Copy rows changed at or after ``since`` that differ on the target; return how many."""
    adapt = connections[source].ops.adapt_datetimefield_value
    written = 0
    key_at = [table.columns.index(k) for k in table.key]
    for rows in iter_batches(source, table, batch=batch, where="update_time >= %s", params=[adapt(since)]):
        theirs = _rows_by_key(target, table, [tuple(r[i] for i in key_at) for r in rows])
        changed = [r for r in rows if theirs.get(tuple(r[i] for i in key_at)) != r]
        write_rows(target, table, changed)
        written += len(changed)
    return written


def _rows_by_key(alias: str, table: Table, keys: list[tuple]) -> dict[tuple, tuple]:
    """The target's rows for ``keys``, by key (one statement)."""
    if not keys:
        return {}
    one = "(" + " AND ".join(f"{k} = %s" for k in table.key) + ")"
    sql = f"SELECT {', '.join(table.columns)} FROM {table.name} WHERE " + " OR ".join([one] * len(keys))
    key_at = [table.columns.index(k) for k in table.key]
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [v for key in keys for v in key])
        return {tuple(r[i] for i in key_at): tuple(r) for r in cursor.fetchall()}


def table_digest(alias: str, table: Table, *, batch: int) -> tuple[int, str]:
    """Return ``(rows, sha256)`` of ``table`` on ``alias``, rows hashed in key order.

    Values are hashed in a canonical text form (UTC times, plain decimals, booleans as
    0/1), so two servers holding the same data agree whatever their versions.
    """
    digest = hashlib.sha256()
    rows = 0
    for chunk in iter_batches(alias, table, batch=batch):
        for row in chunk:
            digest.update("\x1f".join(_canonical(v) for v in row).encode())
            digest.update(b"\x1e")
        rows += len(chunk)
    return rows, digest.hexdigest()


def _canonical(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return str(value)


# --- the whole move -----------------------------------------------------------------


def check_alias(alias: str) -> None:
    if alias not in SHARD_ALIASES:
        raise MoveError(f"{alias!r} is not a cart shard alias (cart_00 … cart_15).")


def move_shard(
    alias: str,
    target_url: str,
    *,
    batch: int = 2000,
    since: dt.datetime | None = None,
    lag_margin: dt.timedelta = dt.timedelta(minutes=2),
    max_passes: int = 10,
    progress_factory: Callable[[str, int], Callable[[int], None]] | None = None,
) -> MoveReport:
    """Copy shard ``alias`` to the database at ``target_url`` and verify it.

    With ``since``, skip the full copy and only catch up the rows changed from then on
    (the final pass at cut-over). ``progress_factory(table, total)`` returns a callback
    that receives the number of rows of each copied batch. Returns the report; the caller
    decides what a failed verification means.
    """
    check_alias(alias)
    started = dt.datetime.now(dt.UTC)
    report = MoveReport(alias=alias, target_url=target_url, started_at=started)
    target = attach_target(target_url, source_alias=alias)
    try:
        for table in TABLES:
            report.tables[table.name] = TableReport(table=table.name)
        if since is None:
            for table in TABLES:
                total = count_rows(alias, table)
                progress = progress_factory(table.name, total) if progress_factory else (lambda n: None)
                report.tables[table.name].copied = copy_table(alias, target, table, batch=batch, progress=progress)
            window = started - lag_margin
        else:
            window = since - lag_margin
        for _ in range(max_passes):
            pass_started = dt.datetime.now(dt.UTC)
            written = 0
            for table in TABLES:
                n = catch_up_table(alias, target, table, since=window, batch=batch)
                report.tables[table.name].caught_up += n
                written += n
            report.catch_up_passes += 1
            if not written:
                break
            window = pass_started - lag_margin
        verify(alias, target, report, batch=batch)
    finally:
        detach_target(target)
    return report


def verify_shard(alias: str, target_url: str, *, batch: int = 2000) -> MoveReport:
    """Compare shard ``alias`` with the database at ``target_url`` without copying."""
    check_alias(alias)
    report = MoveReport(alias=alias, target_url=target_url, started_at=dt.datetime.now(dt.UTC))
    target = attach_target(target_url, source_alias=alias, migrate=False)
    try:
        for table in TABLES:
            report.tables[table.name] = TableReport(table=table.name)
        verify(alias, target, report, batch=batch)
    finally:
        detach_target(target)
    return report


def verify(source: str, target: str, report: MoveReport, *, batch: int) -> None:
    for table in TABLES:
        entry = report.tables[table.name]
        entry.source_rows, entry.source_sha256 = table_digest(source, table, batch=batch)
        entry.target_rows, entry.target_sha256 = table_digest(target, table, batch=batch)


def new_shard_urls(alias: str, target_url: str) -> list[str]:
    """The 16 shard URLs after the move: today's map with ``alias`` at ``target_url``.

    Validated like the setting itself (16 distinct databases).
    """
    urls = dict(settings.CART_SHARD_URLS)
    urls[alias] = target_url
    entries = [urls[a] for a in SHARD_ALIASES]
    expand_shard_urls(entries)
    return entries
