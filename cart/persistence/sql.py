"""The one multi-row upsert the persistence code writes, for MySQL/MariaDB and SQLite.

Write-behind applies a row only when its version is newer (``version_guarded``): the
guard is in SQL, so concurrent consumers and replays never read-modify-write in Python.
A shard move copies rows as they are and overwrites (the source is the truth then).
"""

from collections.abc import Sequence


def upsert_sql(
    vendor: str,
    *,
    table: str,
    columns: Sequence[str],
    key: Sequence[str],
    rows: int,
    update: Sequence[str] | None = None,
    version_guarded: bool = False,
    row: str | None = None,
) -> str:
    """``INSERT … VALUES (…), (…) ON DUPLICATE KEY UPDATE`` (MySQL) or ``ON CONFLICT … DO
    UPDATE`` (SQLite) for ``rows`` rows of ``columns``.

    ``update`` names the columns a conflict overwrites (default: every column outside
    ``key``). With ``version_guarded`` they change only when the incoming ``version`` is
    newer, and ``version`` itself only grows. ``row`` is one row's placeholders when a
    column needs a server-side expression (default ``(%s, …)``).
    """
    if update is None:
        update = [c for c in columns if c not in key]
    if version_guarded:
        update = [c for c in update if c != "version"]  # set last, by the guard itself
    row = row or "(" + ", ".join(["%s"] * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * rows)}"
    if vendor == "mysql":
        if not version_guarded:
            return f"{head} ON DUPLICATE KEY UPDATE " + ", ".join(f"{c} = VALUES({c})" for c in update)
        # MySQL assigns left to right and later expressions see earlier results, so
        # `version` must come last or the guard would compare against the new value.
        sets = ", ".join(f"{c} = IF(VALUES(version) > version, VALUES({c}), {c})" for c in update)
        return f"{head} ON DUPLICATE KEY UPDATE {sets}, version = GREATEST(version, VALUES(version))"
    conflict = f"{head} ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
    if not version_guarded:
        return conflict + ", ".join(f"{c} = excluded.{c}" for c in update)
    sets = ", ".join(f"{c} = excluded.{c}" for c in (*update, "version"))
    return f"{conflict}{sets} WHERE excluded.version > {table}.version"
