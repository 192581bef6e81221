"""The one upsert builder: what it writes, and that the guarded form keeps the newest
version on the real database whatever order rows arrive in."""

import pytest
from django.db import connections

from cart.persistence.sql import upsert_sql
from tests.conftest import db_all_tx

MYSQL_GUARDED = (
    "INSERT INTO cart (user_id, version, update_time) VALUES (%s, %s, %s) ON DUPLICATE KEY UPDATE "
    "update_time = IF(VALUES(version) > version, VALUES(update_time), update_time), "
    "version = GREATEST(version, VALUES(version))"
)
SQLITE_GUARDED = (
    "INSERT INTO cart (user_id, version, update_time) VALUES (%s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET "
    "update_time = excluded.update_time, version = excluded.version WHERE excluded.version > cart.version"
)


@pytest.mark.parametrize(("vendor", "expected"), [("mysql", MYSQL_GUARDED), ("sqlite", SQLITE_GUARDED)])
def test_the_version_guarded_form(vendor, expected):
    sql = upsert_sql(
        vendor,
        table="cart",
        columns=("user_id", "version", "update_time"),
        key=("user_id",),
        rows=1,
        version_guarded=True,
    )
    assert sql == expected


def test_the_plain_form_overwrites_every_column_outside_the_key():
    sql = upsert_sql("mysql", table="t", columns=("a", "b", "c"), key=("a",), rows=2)
    assert sql == (
        "INSERT INTO t (a, b, c) VALUES (%s, %s, %s), (%s, %s, %s) ON DUPLICATE KEY UPDATE b = VALUES(b), c = VALUES(c)"
    )
    sql = upsert_sql("sqlite", table="t", columns=("a", "b", "c"), key=("a",), rows=1, row="(%s, %s, now())")
    assert (
        sql
        == "INSERT INTO t (a, b, c) VALUES (%s, %s, now()) ON CONFLICT (a) DO UPDATE SET b = excluded.b, c = excluded.c"
    )


@db_all_tx
def test_an_older_version_never_overwrites_a_newer_one_on_the_real_database():
    connection = connections["cart_03"]
    columns = ("user_id", "version", "update_time")
    sql = upsert_sql(connection.vendor, table="cart", columns=columns, key=("user_id",), rows=1, version_guarded=True)
    with connection.cursor() as cursor:
        for version in (5, 3, 7, 6):
            cursor.execute(sql, [424242, version, f"2026-12-0{version % 9 + 1} 00:00:00"])
        cursor.execute("SELECT version, update_time FROM cart WHERE user_id = %s", [424242])
        version, update_time = cursor.fetchone()
    assert version == 7
    assert str(update_time).startswith("2026-12-08")  # the time that came with version 7
