"""Pre-warming loads recent carts from the shards without overwriting Redis."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import redis
from django.core.management import call_command
from django.utils import timezone
from redis.cluster import RedisCluster

from cart.engine import keys
from cart.engine.codec import CURRENCY_CODES, redis_value
from cart.engine.lines import datetime_to_ms
from cart.engine.loading import cart_read_persisted
from cart.engine.store import CartStore
from cart.models import Cart, CartItem, LineStatus, SavedItem
from cart.persistence import prewarm
from cart.persistence.prewarm import carts_prewarm
from cart.services import cart_add_line, cart_save_for_later, cart_update_line
from cart.validity import line_checks_drain
from tests.cart.helpers import cached, drain, persisted
from tests.conftest import db_all
from tests.costs import count_redis
from tests.factories import SkuFactory

pytestmark = db_all


def _persist_carts(user_ids, lines=3):
    for user_id in user_ids:
        for n in range(1, lines + 1):
            cart_add_line(user_id=user_id, item_id=n, sku_id=n, quantity=n)
    drain()


def test_recent_carts_come_back_into_redis_exactly_as_persisted(_clean_redis):
    users = list(range(41, 61))
    _persist_carts(users)
    expected = {u: persisted(u) for u in users}
    _clean_redis.delete(*[keys.cart_key(u) for u in users])

    summary = carts_prewarm(active_since=timedelta(days=7))

    assert (summary.carts, summary.lines, summary.already_loaded) == (20, 60, 0)
    assert {u: cached(u) for u in users} == expected


def test_a_prewarmed_line_is_the_line_the_loader_would_build_to_the_millisecond(_clean_redis):
    sku = SkuFactory(price__amount=Decimal("12.30"))
    cart_add_line(user_id=66, item_id=sku.item_id, sku_id=sku.sku_id, quantity=2)
    cart_add_line(user_id=66, item_id=7, sku_id=7)
    line_checks_drain()  # status and price at add recorded
    drain()
    _clean_redis.delete(keys.cart_key(66))
    _, loader_lines, _ = cart_read_persisted(user_id=66)

    carts_prewarm(active_since=timedelta(days=7))

    prewarmed = sorted(CartStore().read_many([66])[66].lines, key=lambda line: line.id)
    assert prewarmed == sorted(loader_lines, key=lambda line: line.id)
    assert any(line.price_at_add == Decimal("12.30") for line in prewarmed)


def test_a_cart_already_in_redis_is_never_overwritten(_clean_redis):
    _persist_carts([62])
    cart_update_line(user_id=62, item_id=1, sku_id=1, quantity=9)  # newer than MySQL

    summary = carts_prewarm(active_since=timedelta(days=7))

    assert summary.already_loaded == 1 and summary.carts == 0
    assert cached(62)["1:1"][0] == 9


def test_only_carts_active_in_the_window_are_loaded(_clean_redis):
    _persist_carts([63, 64])
    Cart.objects.for_user(63).update(update_time=timezone.now() - timedelta(days=30))
    _clean_redis.delete(keys.cart_key(63), keys.cart_key(64))

    summary = carts_prewarm(active_since=timedelta(days=7))

    assert summary.carts == 1 and cached(63) == {} and cached(64) != {}


def test_a_batch_of_carts_costs_one_pipeline_whatever_its_size(_clean_redis):
    from core.sharding import shard_for_user

    users = list(range(70, 90))
    _persist_carts(users, lines=1)
    _clean_redis.delete(*[keys.cart_key(u) for u in users])
    with count_redis() as log:
        carts_prewarm(active_since=timedelta(days=7))
    by_shard = defaultdict(set)
    for user in users:
        by_shard[shard_for_user(user)].add(user)
    if isinstance(_clean_redis, RedisCluster):
        # Per shard: one pipeline of fills to each master that holds some of its carts.
        nodes = {u: _clean_redis.get_node_from_key(keys.cart_key(u)).name for u in users}
        assert log.round_trips == sum(len({nodes[u] for u in shard}) for shard in by_shard.values())
    else:
        # Per shard: redis-py's SCRIPT EXISTS check, then one pipeline with every cart's fill.
        assert log.round_trips == 2 * len(by_shard)
    assert log.commands.count("EVALSHA") == 20


def test_the_command_shows_a_summary(_clean_redis):
    _persist_carts([91])
    _clean_redis.delete(keys.cart_key(91))
    out = StringIO()
    call_command("prewarm", "--active-since", "1", stdout=out)
    assert "1 carts loaded (3 lines)" in out.getvalue() and "carts/s" in out.getvalue()


def test_saved_lines_are_prewarmed_beside_their_cart_as_the_loader_builds_them(_clean_redis):
    sku = SkuFactory(price__amount=Decimal("7.25"))
    cart_add_line(user_id=67, item_id=sku.item_id, sku_id=sku.sku_id, quantity=4)
    cart_add_line(user_id=67, item_id=8, sku_id=8)
    line_checks_drain()
    cart_save_for_later(user_id=67, item_id=sku.item_id, sku_id=sku.sku_id)
    drain()
    _clean_redis.delete(keys.cart_key(67), keys.saved_key(67))
    _, loader_lines, loader_saved = cart_read_persisted(user_id=67)

    summary = carts_prewarm(active_since=timedelta(days=7))

    cart, saved = CartStore().read_many_with_saved([67])[67]
    assert saved == loader_saved
    assert [(line.id, line.quantity, line.price_at_add) for line in saved] == [
        (f"{sku.item_id}:{sku.sku_id}", 4, Decimal("7.25"))
    ]
    assert [line.id for line in cart.lines] == [line.id for line in loader_lines] == ["8:8"]
    assert summary.lines == 2


def test_every_kind_of_row_is_prewarmed_as_the_codec_writes_it(_clean_redis):
    """On MySQL the server builds each field and value (``codec.redis_value_mysql``):
    it must give the codec's own text for every status, currency, price and table."""
    user_id = 68
    version = 1_796_000_000_000
    added = datetime(2026, 11, 27, 9, 30, 15, 123456, tzinfo=UTC)
    rows = [
        (status, currency, price, checked)
        for status in LineStatus.values
        for currency, price in [(c, Decimal("12.30")) for c in [*CURRENCY_CODES, "SEK"]] + [("", None)]
        for checked in (True, False)
    ]
    Cart.objects.for_user(user_id).create(user_id=user_id, version=version, update_time=timezone.now())
    expected_cart, expected_saved = {}, {}
    for n, (status, currency, price, checked) in enumerate(rows, start=1):
        times = {"create_time": added + timedelta(days=n), "update_time": added + timedelta(days=n, milliseconds=n)}
        line = {"user_id": user_id, "item_id": n, "sku_id": 1000 + n, "quantity": n, "version": version - n}
        line |= {"status": status, "currency": currency, "price_at_add": price, **times}
        saved = n % 3 == 0
        if saved:
            SavedItem.objects.for_user(user_id).create(**line)
        else:
            CartItem.objects.for_user(user_id).create(checked=checked, **line)
        (expected_saved if saved else expected_cart)[f"{n}:{1000 + n}"] = redis_value(
            quantity=n,
            checked=checked and not saved,
            status=status,
            added_at_ms=datetime_to_ms(times["create_time"]),
            updated_at_ms=datetime_to_ms(times["update_time"]),
            version=version - n,
            price=price,
            currency=currency,
        )

    assert carts_prewarm(active_since=timedelta(days=7)).lines == len(rows)

    def stored(key: str) -> dict[str, str]:
        pairs = _clean_redis.hgetall(key).items()
        return {_text(field): _text(value) for field, value in pairs if _text(field) != "_v"}

    assert stored(keys.cart_key(user_id)) == expected_cart
    assert stored(keys.saved_key(user_id)) == expected_saved
    assert len(expected_cart) > len(LineStatus.values) and len(expected_saved) > len(LineStatus.values)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def test_progress_counts_each_batch_once_its_fill_is_done(_clean_redis, monkeypatch):
    users = list(range(120, 131))
    _persist_carts(users, lines=1)
    _clean_redis.delete(*[keys.cart_key(u) for u in users])
    monkeypatch.setattr(prewarm, "BATCH", 2)
    reports = []

    summary = carts_prewarm(active_since=timedelta(days=7), progress=lambda done, total: reports.append((done, total)))

    assert reports[-1] == (11, 11) and summary.carts == 11
    assert [done for done, _ in reports] == sorted({done for done, _ in reports})  # rising, each batch once
    assert all(cached(u) != {} for u in users)


def test_a_fill_that_fails_stops_the_prewarm_with_its_error(_clean_redis, monkeypatch):
    users = list(range(140, 150))
    _persist_carts(users, lines=1)
    _clean_redis.delete(*[keys.cart_key(u) for u in users])
    monkeypatch.setattr(prewarm, "BATCH", 2)
    fills, real = [], prewarm.scripts_pipelined

    def second_fails(client, script, calls):
        fills.append(calls)
        if len(fills) == 2:
            raise redis.ConnectionError("Redis went away")
        return real(client, script, calls)

    monkeypatch.setattr(prewarm, "scripts_pipelined", second_fails)
    with pytest.raises(redis.ConnectionError, match="Redis went away"):
        carts_prewarm(active_since=timedelta(days=7))
    assert len(fills) == 2  # no batch is sent after the one that failed
