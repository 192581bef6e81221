"""Write-behind from the Redis stream to the shards: order, duplicates, failures."""

import random
import time

from django.db import connections
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from cart.engine import keys
from cart.engine.lines import ms_to_datetime
from cart.engine.store import CartStore
from cart.engine.streams import ensure_group
from cart.models import Cart, CartItem, DeadLetter
from cart.persistence.write_behind import (
    GROUP,
    decode_entry,
    persistence_backlog,
    persistence_drain,
    write_messages,
)
from cart.selectors import cart_get
from cart.services import MergeEntry, cart_add_line, cart_merge, cart_remove_line, cart_select, cart_update_line
from core.sharding import shard_for_user
from tests.cart.helpers import cached, drain, persisted, persisted_version
from tests.cart.shard_faults import shard_down
from tests.conftest import db_all, db_all_tx, needs_mysql
from tests.factories import UserFactory


def _messages(client, user_id):
    return [decode_entry(entry_id, fields) for entry_id, fields in client.xrange(keys.log_key(user_id))]


def _users_on_two_shards() -> tuple[int, int]:
    first = 101
    second = next(u for u in range(102, 200) if shard_for_user(u) != shard_for_user(first))
    return first, second


@db_all
def test_drained_changes_leave_mysql_equal_to_redis(_clean_redis):
    users = [201, 202, 203, 204]
    for user_id in users:
        cart_add_line(user_id=user_id, item_id=1, sku_id=1, quantity=2)
        cart_add_line(user_id=user_id, item_id=2, sku_id=2)
        cart_update_line(user_id=user_id, item_id=1, sku_id=1, delta=3)
        cart_merge(user_id=user_id, entries=[MergeEntry(3, 3, 4), MergeEntry(2, 2, 9)])
        cart_select(user_id=user_id, checked=False, ids=["3:3"])
        cart_remove_line(user_id=user_id, item_id=2, sku_id=2)

    drain()

    for user_id in users:
        assert persisted(user_id) == cached(user_id) != {}
        assert persisted_version(user_id) == cart_get(user_id=user_id).version
    assert persistence_backlog() == 0


@db_all
def test_persisted_times_are_the_lines_times_to_the_millisecond(_clean_redis):
    cart_add_line(user_id=205, item_id=1, sku_id=1)
    time.sleep(0.01)
    cart_update_line(user_id=205, item_id=1, sku_id=1, quantity=4)
    drain()

    (line,) = CartStore().read(205).lines
    row = CartItem.objects.for_user(205).get(item_id=1, sku_id=1)
    assert line.updated_at_ms > line.added_at_ms
    assert (row.create_time, row.update_time) == (ms_to_datetime(line.added_at_ms), ms_to_datetime(line.updated_at_ms))
    header = Cart.objects.for_user(205).get()
    assert header.update_time == ms_to_datetime(line.updated_at_ms)


@db_all
def test_duplicate_reordered_and_late_messages_change_nothing(_clean_redis):
    for n in range(1, 6):
        cart_add_line(user_id=301, item_id=n, sku_id=n)
        cart_update_line(user_id=301, item_id=n, sku_id=n, quantity=n * 10)
    cart_remove_line(user_id=301, item_id=3, sku_id=3)
    cart_select(user_id=301, checked=False)
    messages = _messages(_clean_redis, 301)
    drain()
    expected = cached(301)
    assert persisted(301) == expected

    alias = shard_for_user(301)
    shuffled = messages * 2
    random.Random(7).shuffle(shuffled)
    for message in shuffled:
        write_messages(alias, [message])
    write_messages(alias, list(reversed(messages)))

    assert persisted(301) == expected


@db_all
def test_messages_applied_in_reverse_order_to_an_empty_shard_converge(_clean_redis):
    for n in range(1, 4):
        cart_add_line(user_id=302, item_id=n, sku_id=n, quantity=n)
    cart_update_line(user_id=302, item_id=2, sku_id=2, delta=5)
    cart_remove_line(user_id=302, item_id=1, sku_id=1)
    messages = _messages(_clean_redis, 302)

    write_messages(shard_for_user(302), list(reversed(messages)))

    assert (
        persisted(302) == cached(302) == {"2:2": (7, True, messages[3].version), "3:3": (3, True, messages[2].version)}
    )


@db_all
def test_a_removed_line_never_comes_back_after_redis_loses_the_cart(_clean_redis):
    cart_add_line(user_id=303, item_id=1, sku_id=1)
    cart_add_line(user_id=303, item_id=2, sku_id=2)
    cart_remove_line(user_id=303, item_id=1, sku_id=1)
    add, _, remove = _messages(_clean_redis, 303)
    alias = shard_for_user(303)

    write_messages(alias, [remove])
    write_messages(alias, [add])  # the add arrives late
    drain()
    assert CartItem.objects.for_user(303).get(item_id=1, sku_id=1).deleted is True

    _clean_redis.delete(keys.cart_key(303))
    assert [v.line.id for v in cart_get(user_id=303).items] == ["2:2"]


@db_all
def test_a_line_added_again_after_removal_is_persisted_again(_clean_redis):
    cart_add_line(user_id=304, item_id=1, sku_id=1)
    cart_remove_line(user_id=304, item_id=1, sku_id=1)
    cart_add_line(user_id=304, item_id=1, sku_id=1, quantity=5)
    drain()
    assert persisted(304) == cached(304)
    assert persisted(304)["1:1"][0] == 5


@db_all
def test_one_batch_costs_two_statements_per_shard_whatever_its_size(_clean_redis):
    for n in range(1, 61):
        cart_add_line(user_id=305, item_id=n, sku_id=n)
    alias = shard_for_user(305)
    with CaptureQueriesContext(connections[alias]) as queries:
        drain()
    statements = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(statements) == 2
    assert len(persisted(305)) == 60


@db_all
def test_lag_is_timed_at_each_shards_commit_so_a_slow_shard_counts_for_the_ones_after_it(_clean_redis, monkeypatch):
    first, second = _users_on_two_shards()
    cart_add_line(user_id=first, item_id=1, sku_id=1)
    cart_add_line(user_id=second, item_id=1, sku_id=1)
    written = []

    def slow_write(alias, messages):
        time.sleep(0.3)  # a shard that takes this long to commit
        write_messages(alias, messages)
        written.append(alias)

    monkeypatch.setattr("cart.persistence.write_behind.write_messages", slow_write)
    count, total = _lag_samples()

    drain()

    assert len(written) == 2
    new_count, new_total = _lag_samples()
    assert new_count == count + 2
    # One message waited for its own shard's write, the other for both shards' writes.
    assert new_total - total >= 0.3 + 0.6
    assert persisted(first) and persisted(second)


def _lag_samples() -> tuple[float, float]:
    sample = REGISTRY.get_sample_value
    return sample("cart_persist_lag_seconds_count") or 0.0, sample("cart_persist_lag_seconds_sum") or 0.0


@db_all
def test_a_consumer_that_died_before_acking_has_its_messages_redelivered(_clean_redis, settings):
    settings.CART_PERSIST_RETRY_BASE_MS = 20
    cart_add_line(user_id=306, item_id=1, sku_id=1, quantity=3)
    ensure_group(_clean_redis, keys.log_key(306), GROUP)
    # Consumer "a" receives the message and dies before writing it.
    delivered = _clean_redis.xreadgroup(GROUP, "a", {keys.log_key(306): ">"}, count=10)
    assert delivered and persisted(306) == {}

    time.sleep(0.05)
    report = persistence_drain(consumer="b")

    assert report.retried == 1 and report.written == 1
    assert persisted(306) == cached(306)
    assert _clean_redis.xpending(keys.log_key(306), GROUP)["pending"] == 0


@db_all
def test_a_redelivery_after_the_commit_but_before_the_ack_is_a_no_op(_clean_redis, settings):
    settings.CART_PERSIST_RETRY_BASE_MS = 20
    cart_add_line(user_id=307, item_id=1, sku_id=1, quantity=3)
    ensure_group(_clean_redis, keys.log_key(307), GROUP)
    ((_, entries),) = _clean_redis.xreadgroup(GROUP, "a", {keys.log_key(307): ">"}, count=10)
    write_messages(shard_for_user(307), [decode_entry(*entries[0])])  # committed, then "a" died
    cart_update_line(user_id=307, item_id=1, sku_id=1, quantity=8)
    drain()
    assert persisted(307) == cached(307)

    time.sleep(0.05)
    persistence_drain(consumer="b")  # redelivers the old add

    assert persisted(307) == cached(307) == {"1:1": (8, True, cached(307)["1:1"][2])}


@db_all_tx
def test_a_shard_that_stays_down_turns_messages_into_dead_letters_and_spares_other_shards(_clean_redis, settings):
    settings.CART_PERSIST_RETRY_BASE_MS = 20
    down_user, other_user = _users_on_two_shards()
    cart_add_line(user_id=down_user, item_id=1, sku_id=1, quantity=2)
    cart_update_line(user_id=down_user, item_id=1, sku_id=1, delta=1)
    cart_add_line(user_id=other_user, item_id=9, sku_id=9)

    with shard_down(shard_for_user(down_user)):
        first = persistence_drain(consumer="c")
        assert first.written == 1 and first.failed_shards == {shard_for_user(down_user)}
        assert persisted(other_user) == cached(other_user)
        attempts = 1
        deadline = time.monotonic() + 10
        while DeadLetter.objects.count() < 2 and time.monotonic() < deadline:
            time.sleep(0.03)
            if persistence_drain(consumer="c").retried:
                attempts += 1

    assert attempts == 4  # the first try and three retries
    letters = list(DeadLetter.objects.order_by("version"))
    assert [(d.user_id, d.shard, d.attempts, d.state) for d in letters] == [
        (down_user, shard_for_user(down_user), 4, "pending")
    ] * 2
    assert letters[0].error and letters[1].version > letters[0].version
    assert persistence_backlog() == 0
    assert persisted(down_user) == {}


@db_all_tx
def test_staff_replay_dead_letters_from_admin_and_a_second_replay_changes_nothing(_clean_redis, settings, client):
    settings.CART_PERSIST_RETRY_BASE_MS = 1
    user_id = 401
    cart_add_line(user_id=user_id, item_id=1, sku_id=1, quantity=2)
    cart_add_line(user_id=user_id, item_id=2, sku_id=2)
    cart_remove_line(user_id=user_id, item_id=2, sku_id=2)
    with shard_down(shard_for_user(user_id)):
        for _ in range(4):
            persistence_drain(consumer="d")
            time.sleep(0.02)
    assert DeadLetter.objects.count() == 3
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    ids = list(DeadLetter.objects.values_list("pk", flat=True))

    response = client.post("/admin/cart/deadletter/", {"action": "replay", "_selected_action": ids}, follow=True)
    assert "Replayed 3" in response.content.decode()
    assert persisted(user_id) == cached(user_id) == {"1:1": (2, True, cached(user_id)["1:1"][2])}
    assert set(DeadLetter.objects.values_list("state", flat=True)) == {"replayed"}

    response = client.post("/admin/cart/deadletter/", {"action": "replay", "_selected_action": ids}, follow=True)
    assert "Replayed 0; 3 were already replayed" in response.content.decode()
    assert persisted(user_id) == cached(user_id)


@db_all_tx
def test_the_replay_task_is_idempotent(_clean_redis, settings):
    from cart.tasks import replay_dead_letter

    settings.CART_PERSIST_RETRY_BASE_MS = 1
    cart_add_line(user_id=402, item_id=1, sku_id=1, quantity=6)
    with shard_down(shard_for_user(402)):
        for _ in range(4):
            persistence_drain(consumer="e")
            time.sleep(0.02)
    (letter,) = DeadLetter.objects.all()

    assert replay_dead_letter.run(letter.pk) is True
    assert replay_dead_letter.run(letter.pk) is False
    assert persisted(402) == cached(402)


@db_all
@needs_mysql
def test_row_writes_by_key_use_an_index_not_a_scan(_clean_redis):
    cart_add_line(user_id=501, item_id=1, sku_id=1)
    drain()
    alias = shard_for_user(501)
    with CaptureQueriesContext(connections[alias]) as queries:
        CartItem.objects.for_user(501).filter(item_id=1, sku_id=1, version=0).update(quantity=2)
    (sql,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    with connections[alias].cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        columns = [c[0] for c in cursor.description]
        plan = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    # An index lookup (the primary key or the (sku_id, user_id) index), never a scan.
    assert plan[0]["key"] in {"PRIMARY", "cart_item_by_sku"}
    assert plan[0]["type"] in {"range", "const", "eq_ref", "ref"}
    assert int(plan[0]["rows"]) <= 2


def test_a_format_2_entry_is_dated_by_its_lines_not_by_its_id():
    from cart.engine.codec import LineState, states_to_stream
    from cart.persistence.write_behind import decode_payload

    state = LineState(
        user_id=9,
        item_id=1,
        sku_id=2,
        quantity=3,
        checked=True,
        status="available",
        price_at_add=None,
        currency="",
        added_at_ms=1_796_534_478_000,
        updated_at_ms=1_796_534_479_000,
        version=1_796_534_479_000,
        deleted=False,
    )
    # XADD took the clock a millisecond after the script did.
    message = decode_payload("1796534479001-0", {"u": "9", "v": str(state.version), "c": states_to_stream([state])})
    assert message.changed_at_ms == 1_796_534_479_000
    assert message.lines == (state,)
