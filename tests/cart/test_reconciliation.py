"""Reconciliation repairs MySQL from Redis for carts that changed since the last pass."""

import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.utils import timezone

from cart.engine import keys
from cart.models import CartItem, ReconciliationRun
from cart.persistence.reconciliation import reconcile_run
from cart.services import cart_add_line, cart_remove_line, cart_update_line
from core.sharding import shard_for_user
from tests.cart.helpers import cached, cached_version, drain, persisted, persisted_version
from tests.conftest import db_all, db_all_tx

pytestmark = db_all


def test_lost_stream_messages_are_repaired_in_one_pass(_clean_redis):
    cart_add_line(user_id=601, item_id=1, sku_id=1, quantity=2)
    cart_add_line(user_id=601, item_id=2, sku_id=2)
    _clean_redis.delete(keys.log_key(601))  # the messages never reach a consumer

    run = reconcile_run()

    assert persisted(601) == cached(601) != {}
    assert persisted_version(601) == cached_version(601)
    assert (run.carts_checked, run.lines_fixed) == (1, 2)


def test_drift_made_by_hand_is_repaired(_clean_redis):
    for n in range(1, 5):
        cart_add_line(user_id=602, item_id=n, sku_id=n, quantity=n)
    cart_remove_line(user_id=602, item_id=4, sku_id=4)
    drain()
    rows = CartItem.objects.for_user(602)
    rows.filter(item_id=1).delete()  # a lost row
    rows.filter(item_id=2).update(quantity=77)  # edited, same version
    rows.filter(item_id=3).update(deleted=True)  # wrongly tombstoned
    rows.filter(item_id=4).update(deleted=False, quantity=4)  # a removed line back from the dead
    assert persisted(602) != cached(602)

    run = reconcile_run()

    assert persisted(602) == cached(602)
    assert run.lines_fixed == 4
    assert rows.get(item_id=4).deleted is True


def test_a_pass_with_nothing_to_fix_records_zero(_clean_redis):
    cart_add_line(user_id=603, item_id=1, sku_id=1)
    drain()
    run = reconcile_run()
    assert (run.carts_checked, run.lines_fixed, run.error) == (1, 0, "")
    assert run.finished_at is not None and ReconciliationRun.objects.count() == 1


def test_the_next_pass_only_looks_at_carts_changed_since_the_previous_one(_clean_redis):
    cart_add_line(user_id=604, item_id=1, sku_id=1)
    first = reconcile_run()
    ReconciliationRun.objects.filter(pk=first.pk).update(started_at=timezone.now() - timedelta(minutes=10))
    # 604 was last changed before that pass; its dirty mark is older than the overlap.
    _clean_redis.zadd(keys.dirty_key(604), {"604": 1})
    cart_add_line(user_id=605, item_id=1, sku_id=1)

    second = reconcile_run()

    assert second.carts_checked == 1
    assert second.changed_since is not None
    assert _clean_redis.zscore(keys.dirty_key(604), "604") is None


def test_mysql_rows_newer_than_redis_are_left_alone(_clean_redis):
    cart_add_line(user_id=606, item_id=1, sku_id=1, quantity=3)
    drain()
    newer = cached(606)["1:1"][2] + 1000
    CartItem.objects.for_user(606).filter(item_id=1).update(quantity=9, version=newer)
    reconcile_run()
    assert persisted(606)["1:1"] == (9, True, newer)


def test_old_tombstones_are_purged_and_recent_ones_kept(_clean_redis, settings):
    cart_add_line(user_id=607, item_id=1, sku_id=1)
    cart_add_line(user_id=607, item_id=2, sku_id=2)
    cart_remove_line(user_id=607, item_id=1, sku_id=1)
    cart_remove_line(user_id=607, item_id=2, sku_id=2)
    drain()
    old = timezone.now() - timedelta(hours=settings.CART_TOMBSTONE_RETENTION_HOURS + 1)
    CartItem.objects.for_user(607).filter(item_id=1).update(update_time=old)

    run = reconcile_run()

    assert run.tombstones_purged == 1
    assert list(CartItem.objects.for_user(607).values_list("item_id", "deleted")) == [(2, True)]


def test_the_command_prints_what_it_fixed(_clean_redis):
    cart_add_line(user_id=608, item_id=1, sku_id=1)
    cart_update_line(user_id=608, item_id=1, sku_id=1, quantity=4)
    _clean_redis.delete(keys.log_key(608))
    out = StringIO()
    call_command("reconcile", stdout=out)
    assert "checked 1 carts" in out.getvalue() and "fixed 1 lines" in out.getvalue()
    assert persisted(608) == cached(608)


@db_all_tx
def test_changes_made_while_the_broker_is_down_reach_mysql_in_one_pass(_clean_redis, dead_broker):
    from tests.api_client import ApiClient

    # No broker at all (dead_broker): the cart's write path must not need one.
    api = ApiClient()
    for item in (1, 2, 3):
        assert api.send("POST", "/api/v1/cart/items", {"item_id": item, "sku_id": item}).status_code == 200
    user_id = api.user.pk
    # And no consumer ran: only reconciliation moves the changes.
    reconcile_run()
    assert set(persisted(user_id)) == {"1:1", "2:2", "3:3"}
    assert persisted(user_id) == cached(user_id)
    assert shard_for_user(user_id).startswith("cart_")


def test_the_command_line_entry_point_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "help", "reconcile"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0 and "reconciliation pass" in result.stdout
