"""``move_shard``: copy a logical shard to another server, catch up, verify, print the map.

MySQL only. The target is a fresh database on the second server when CART_SECOND_MYSQL
(host:port) is set, as in CI, otherwise a fresh database on the shard's own server.
"""

import io
import os
import re
import uuid

import pytest
from django.conf import settings
from django.core.management import call_command, execute_from_command_line
from django.db import connections
from django.utils import timezone

from cart.models import CartItem
from cart.persistence import shard_move
from cart.persistence.shard_move import TABLES, attach_target, detach_target
from cart.services import cart_add_line, cart_save_for_later, cart_update_line
from core.sharding import SHARD_ALIASES, expand_shard_urls, shard_for_user
from tests.cart.helpers import drain
from tests.conftest import db_all, needs_mysql

pytestmark = [db_all, needs_mysql]

ALIAS = "cart_03"  # on the first server in CI's two-server map, so the move crosses servers


def _users(alias: str, n: int) -> list[int]:
    return [uid for uid in range(7001, 9000) if shard_for_user(uid) == alias][:n]


@pytest.fixture
def target_url():
    """A database name nobody uses, dropped afterwards."""
    source = connections[ALIAS].settings_dict
    host, port = source["HOST"] or "127.0.0.1", source["PORT"] or 3306
    if os.environ.get("CART_SECOND_MYSQL"):
        host, port = os.environ["CART_SECOND_MYSQL"].rsplit(":", 1)
    user = source["USER"] + (f":{source['PASSWORD']}" if source["PASSWORD"] else "")
    url = f"mysql://{user}@{host}:{port}/test_move_{uuid.uuid4().hex[:10]}"
    yield url
    alias = attach_target(url, source_alias=ALIAS, migrate=False)
    try:
        with connections[alias]._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connections[alias].settings_dict['NAME']}")
    finally:
        detach_target(alias)


@pytest.fixture
def shard_with_carts():
    users = _users(ALIAS, 12)
    for uid in users:
        for n in range(1, 6):
            cart_add_line(user_id=uid, item_id=n, sku_id=n * 10, quantity=n)
        # One line saved for later: a saved_item row, and a tombstone in cart_item.
        cart_save_for_later(user_id=uid, item_id=5, sku_id=50)
    drain()
    return users


def _target_rows(url: str, sql: str, params=()) -> list[tuple]:
    alias = attach_target(url, source_alias=ALIAS, migrate=False)
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
    finally:
        detach_target(alias)


def _printed_urls(output: str) -> list[str]:
    match = re.search(r"^CART_SHARD_URLS='([^']+)'$", output, re.MULTILINE)
    assert match, output
    return match.group(1).split(",")


def test_a_shard_is_copied_verified_and_the_new_map_printed(shard_with_carts, target_url):
    out = io.StringIO()
    call_command("move_shard", ALIAS, "--to", target_url, "--batch", "7", stdout=out)
    output = out.getvalue()

    assert f"{ALIAS} verified on the new server" in output
    assert "MISMATCH" not in output
    lines = len(shard_with_carts) * 5
    assert f"cart_item: copied {lines}," in output and f"rows {lines} / {lines}" in output
    assert _target_rows(target_url, "SELECT COUNT(*) FROM cart_item") == [(lines,)]
    assert _target_rows(target_url, "SELECT COUNT(*) FROM cart") == [(len(shard_with_carts),)]
    assert f"saved_item: copied {len(shard_with_carts)}," in output
    assert _target_rows(target_url, "SELECT SUM(quantity), COUNT(*) FROM saved_item") == [
        (5 * len(shard_with_carts), len(shard_with_carts))
    ]
    # The same partitioned tables as a shard: the migrations ran on the target.
    assert _target_rows(
        target_url,
        "SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = 'cart_item'",
    ) == [(8,)]

    printed = _printed_urls(output)
    assert len(printed) == 16
    new_map = expand_shard_urls(printed)
    assert new_map[ALIAS] == target_url
    assert all(new_map[a] == settings.CART_SHARD_URLS[a] for a in SHARD_ALIASES if a != ALIAS)


def test_a_change_made_during_the_copy_is_carried_over_by_the_catch_up(shard_with_carts, target_url, monkeypatch):
    uid = shard_with_carts[0]
    real_copy = shard_move.copy_table

    def copy_then_change(source, target, table, **kwargs):
        copied = real_copy(source, target, table, **kwargs)
        if table.name == "cart_item":
            # The service keeps writing while the copy runs: one line changes, one is new.
            cart_update_line(user_id=uid, item_id=1, sku_id=10, delta=40)
            cart_add_line(user_id=uid, item_id=9, sku_id=90, quantity=3)
            drain()
        return copied

    monkeypatch.setattr(shard_move, "copy_table", copy_then_change)
    out = io.StringIO()
    call_command("move_shard", ALIAS, "--to", target_url, stdout=out)

    output = out.getvalue()
    assert f"{ALIAS} verified on the new server" in output
    assert re.search(r"cart_item: copied \d+, caught up 2;", output), output
    rows = _target_rows(
        target_url, "SELECT item_id, quantity FROM cart_item WHERE user_id = %s ORDER BY item_id", [uid]
    )
    assert rows == [(1, 41), (2, 2), (3, 3), (4, 4), (5, 0), (9, 3)]  # 5 was saved for later: a tombstone


def test_the_cut_over_pass_copies_only_what_changed_since(shard_with_carts, target_url):
    call_command("move_shard", ALIAS, "--to", target_url, stdout=io.StringIO())
    since = timezone.now()
    uid = shard_with_carts[1]
    cart_update_line(user_id=uid, item_id=2, sku_id=20, delta=1)
    drain()

    out = io.StringIO()
    call_command("move_shard", ALIAS, "--to", target_url, "--since", since.isoformat(), stdout=out)

    output = out.getvalue()
    assert "cart_item: copied 0, caught up 1;" in output and "cart: copied 0, caught up 1;" in output
    assert f"{ALIAS} verified on the new server" in output


def test_a_damaged_target_fails_verification_with_exit_status_1(shard_with_carts, target_url, capsys):
    call_command("move_shard", ALIAS, "--to", target_url, stdout=io.StringIO())
    victim = shard_with_carts[2]
    alias = attach_target(target_url, source_alias=ALIAS, migrate=False)
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("DELETE FROM cart_item WHERE user_id = %s AND item_id = 3", [victim])
    finally:
        detach_target(alias)

    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(["manage.py", "move_shard", ALIAS, "--to", target_url, "--verify-only"])

    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert "verification failed" in captured.err
    assert "MISMATCH" in captured.out and "CART_SHARD_URLS=" not in captured.out


def test_a_changed_value_is_caught_even_when_the_count_matches(shard_with_carts, target_url):
    call_command("move_shard", ALIAS, "--to", target_url, stdout=io.StringIO())
    alias = attach_target(target_url, source_alias=ALIAS, migrate=False)
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("UPDATE cart_item SET quantity = quantity + 1 WHERE user_id = %s", [shard_with_carts[0]])
    finally:
        detach_target(alias)

    report = shard_move.verify_shard(ALIAS, target_url)

    item = report.tables["cart_item"]
    assert item.source_rows == item.target_rows and item.source_sha256 != item.target_sha256
    assert not report.verified and report.tables["cart"].matches


def test_the_source_itself_and_unknown_aliases_are_refused(target_url):
    source = connections[ALIAS].settings_dict
    own = f"mysql://{source['USER']}@{source['HOST'] or '127.0.0.1'}:{source['PORT'] or 3306}/{source['NAME']}"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already uses"):
        call_command("move_shard", ALIAS, "--to", own, stdout=io.StringIO())
    with pytest.raises(CommandError, match="not a cart shard"):
        call_command("move_shard", "default", "--to", target_url, stdout=io.StringIO())


def test_every_shard_table_is_moved():
    assert {t.name for t in TABLES} == {"cart_item", "saved_item", "cart"}
    assert not CartItem._meta.get_field("update_time").null
