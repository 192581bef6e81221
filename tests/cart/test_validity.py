"""The asynchronous catalog check of cart lines: status and price at add."""

from dataclasses import replace
from decimal import Decimal

import pytest
from redis.cluster import RedisCluster

from cart.engine import keys
from cart.engine.store import CartStore
from cart.models import CartItem, SavedItem
from cart.selectors import cart_get
from cart.services import (
    LineCheck,
    MergeEntry,
    cart_add_line,
    cart_merge,
    cart_remove_line,
    cart_save_for_later,
    cart_update_line,
    carts_record_checks,
)
from cart.validity import line_checks_drain, lines_recheck_for_skus
from catalog.cache import SkuInfo, local_cache, sku_info_many
from catalog.keys import changes_channel
from catalog.models import Sku, Stock
from core.redis_client import get_redis
from pricing.models import Price
from tests.cart.helpers import cached_version, drain
from tests.conftest import db_all
from tests.costs import count_redis
from tests.factories import PromotionFactory, SkuFactory

pytestmark = db_all


def _status(user_id: int) -> dict[str, tuple]:
    return {v.line.id: (v.line.status, v.line.price_at_add) for v in cart_get(user_id=user_id).items}


def test_a_new_line_is_queued_for_its_check_in_the_same_call(_clean_redis):
    sku = SkuFactory()
    cart_add_line(user_id=1, item_id=sku.item_id, sku_id=sku.sku_id)
    cart_add_line(user_id=1, item_id=sku.item_id, sku_id=sku.sku_id)  # grows: nothing new to check
    assert _clean_redis.xlen(keys.check_key(1)) == 1


def test_checks_set_status_and_price_at_add():
    good = SkuFactory(price__amount=Decimal("20.00"))
    PromotionFactory(sku=good, percent_off=Decimal("10"))
    inactive = SkuFactory(active=False)
    sold_out = SkuFactory(stock__quantity=0)
    for sku in (good, inactive, sold_out):
        cart_add_line(user_id=2, item_id=sku.item_id, sku_id=sku.sku_id)
    cart_add_line(user_id=2, item_id=77, sku_id=77)  # no such SKU
    assert {s for s, _ in _status(2).values()} == {"unknown"}

    assert line_checks_drain() == 4

    assert _status(2) == {
        f"{good.item_id}:{good.sku_id}": ("available", Decimal("18.00")),
        f"{inactive.item_id}:{inactive.sku_id}": ("unavailable", Decimal("19.99")),
        f"{sold_out.item_id}:{sold_out.sku_id}": ("out_of_stock", Decimal("19.99")),
        "77:77": ("unavailable", None),
    }


def test_checked_statuses_are_persisted_like_any_change():
    sku = SkuFactory(price__amount=Decimal("5.50"))
    cart_add_line(user_id=3, item_id=sku.item_id, sku_id=sku.sku_id)
    line_checks_drain()
    drain()
    row = CartItem.objects.for_user(3).get(sku_id=sku.sku_id)
    assert (row.status, row.price_at_add, row.currency) == ("available", Decimal("5.50"), "USD")


def test_a_check_never_brings_back_a_removed_line_nor_touches_quantity():
    removed, kept = SkuFactory(), SkuFactory()
    cart_add_line(user_id=4, item_id=removed.item_id, sku_id=removed.sku_id)
    cart_add_line(user_id=4, item_id=kept.item_id, sku_id=kept.sku_id)
    cart_remove_line(user_id=4, item_id=removed.item_id, sku_id=removed.sku_id)
    cart_update_line(user_id=4, item_id=kept.item_id, sku_id=kept.sku_id, quantity=5)

    line_checks_drain()

    view = cart_get(user_id=4)
    assert [(v.line.sku_id, v.line.quantity, v.line.status) for v in view.items] == [(kept.sku_id, 5, "available")]


def test_running_checks_twice_changes_nothing_the_second_time(_clean_redis):
    sku = SkuFactory()
    cart_add_line(user_id=5, item_id=sku.item_id, sku_id=sku.sku_id)
    entries = _clean_redis.xrange(keys.check_key(5))
    line_checks_drain()
    version = cached_version(5)
    for _, fields in entries:  # the same check delivered again
        _clean_redis.xadd(keys.check_key(5), fields)

    assert line_checks_drain() == 0
    assert cached_version(5) == version


def test_a_later_check_keeps_the_price_the_line_was_added_at():
    sku = SkuFactory(price__amount=Decimal("10.00"))
    cart_add_line(user_id=6, item_id=sku.item_id, sku_id=sku.sku_id)
    line_checks_drain()
    sku.price.amount = Decimal("12.00")
    sku.price.save()
    lines_recheck_for_skus(sku_ids=[sku.sku_id])
    (view,) = cart_get(user_id=6).items
    assert (view.line.price_at_add, view.unit_price, view.price_change) == (
        Decimal("10.00"),
        Decimal("12.00"),
        Decimal("2.00"),
    )


def test_merged_lines_are_checked_too(_clean_redis):
    skus = [SkuFactory() for _ in range(3)]
    cart_merge(user_id=7, entries=[MergeEntry(item_id=s.item_id, sku_id=s.sku_id, quantity=1) for s in skus])
    line_checks_drain()
    assert {status for status, _ in _status(7).values()} == {"available"}


def test_a_cart_reloaded_with_unchecked_lines_queues_them_again(_clean_redis):
    sku = SkuFactory()
    cart_add_line(user_id=8, item_id=sku.item_id, sku_id=sku.sku_id)
    drain()
    _clean_redis.delete(keys.cart_key(8), keys.check_key(8))  # Redis lost the cart and the queue

    cart_get(user_id=8)
    line_checks_drain()

    assert _status(8)[f"{sku.item_id}:{sku.sku_id}"][0] == "available"


def test_deactivating_a_product_marks_the_lines_of_every_cart_that_holds_it(_clean_redis):
    sku, other = SkuFactory(), SkuFactory()
    for user_id in (11, 12, 13):
        cart_add_line(user_id=user_id, item_id=sku.item_id, sku_id=sku.sku_id)
        cart_add_line(user_id=user_id, item_id=other.item_id, sku_id=other.sku_id)
    line_checks_drain()
    drain()
    _clean_redis.delete(keys.cart_key(13))  # one cart is not in Redis: its shard row is marked
    Sku.objects.filter(pk=sku.pk).update(active=False)

    lines_recheck_for_skus(sku_ids=[sku.sku_id])
    drain()

    for user_id in (11, 12):
        statuses = {v.line.sku_id: v.line.status for v in cart_get(user_id=user_id).items}
        assert statuses == {sku.sku_id: "unavailable", other.sku_id: "available"}
    assert CartItem.objects.for_user(13).get(sku_id=sku.sku_id).status == "unavailable"
    assert CartItem.objects.for_user(11).get(sku_id=sku.sku_id).status == "unavailable"
    assert lines_recheck_for_skus(sku_ids=[sku.sku_id]) == 0  # twice: nothing more to do


def test_reads_show_a_sell_out_before_any_event_reached_the_cart():
    sku = SkuFactory(stock__quantity=3)
    cart_add_line(user_id=14, item_id=sku.item_id, sku_id=sku.sku_id)
    line_checks_drain()
    Stock.objects.filter(sku=sku).update(quantity=0)
    from catalog.tasks import sync_stock

    sync_stock()
    local_cache.clear()

    (view,) = cart_get(user_id=14).items
    assert (view.line.status, view.status, view.info.stock) == ("available", "out_of_stock", 0)
    assert cart_get(user_id=14).summary.checked_subtotal == Decimal("0.00")


def _saved_status(user_id: int) -> dict[int, str]:
    """Saved lines as Redis stores them (not as a read dresses them): the status recorded."""
    raw = CartStore().read_many_with_saved([user_id])[user_id]
    return {} if raw is None else {line.sku_id: line.status for line in raw[1]}


def test_deactivating_a_product_marks_saved_lines_too_warm_and_cold(_clean_redis):
    sku, other = SkuFactory(), SkuFactory()
    for user_id in (21, 22):
        cart_add_line(user_id=user_id, item_id=sku.item_id, sku_id=sku.sku_id)
        cart_add_line(user_id=user_id, item_id=other.item_id, sku_id=other.sku_id)
        line_checks_drain()
        cart_save_for_later(user_id=user_id, item_id=sku.item_id, sku_id=sku.sku_id)
    drain()
    _clean_redis.delete(keys.cart_key(22), keys.saved_key(22))  # one cart is not in Redis
    Sku.objects.filter(pk=sku.pk).update(active=False)

    changed = lines_recheck_for_skus(sku_ids=[sku.sku_id])
    drain()

    assert changed == 2
    assert _saved_status(21) == {sku.sku_id: "unavailable"}
    assert SavedItem.objects.for_user(21).get(sku_id=sku.sku_id).status == "unavailable"
    assert SavedItem.objects.for_user(22).get(sku_id=sku.sku_id).status == "unavailable"
    assert {v.line.sku_id: v.line.status for v in cart_get(user_id=21).items} == {other.sku_id: "available"}
    assert lines_recheck_for_skus(sku_ids=[sku.sku_id]) == 0


def test_a_saved_line_reloaded_unchecked_is_queued_and_checked(_clean_redis):
    sku = SkuFactory()
    cart_add_line(user_id=23, item_id=sku.item_id, sku_id=sku.sku_id, quantity=2)
    cart_save_for_later(user_id=23, item_id=sku.item_id, sku_id=sku.sku_id)  # before its check
    drain()
    _clean_redis.delete(keys.cart_key(23), keys.saved_key(23), keys.check_key(23))
    assert SavedItem.objects.for_user(23).get(sku_id=sku.sku_id).status == "unknown"

    cart_get(user_id=23)  # reloads the cart and its saved lines, and queues the unchecked
    line_checks_drain()

    assert _saved_status(23) == {sku.sku_id: "available"}
    assert cart_get(user_id=23).items == []  # checked where it is: the saved list


# --- what a batch of checks costs the caches and Redis ---------------------------------


def _announced(pubsub) -> set[int]:
    """The SKU ids announced on the changes channel since ``pubsub`` subscribed."""
    ids: set[int] = set()
    while (message := pubsub.get_message(timeout=0.2)) is not None:
        if message["type"] == "message":
            ids |= {int(s) for s in message["data"].decode().split(",")}
    return ids


def _listening(client):
    pubsub = client.pubsub()
    pubsub.subscribe(changes_channel())
    pubsub.get_message(timeout=1)  # the subscription's confirmation
    return pubsub


def test_a_check_that_confirms_the_caches_announces_nothing_and_web_copies_stay(_clean_redis):
    skus = [SkuFactory(stock__quantity=5) for _ in range(3)]
    sku_info_many([s.sku_id for s in skus])  # Redis and this process hold them, as a web process would
    Stock.objects.filter(sku=skus[0]).update(quantity=4)  # a level the hint may lag by design
    for sku in skus:
        cart_add_line(user_id=31, item_id=sku.item_id, sku_id=sku.sku_id)
    pubsub = _listening(_clean_redis)

    line_checks_drain()

    assert _announced(pubsub) == set()
    assert set(local_cache.get_many([s.sku_id for s in skus])) == {s.sku_id for s in skus}
    assert {s for s, _ in _status(31).values()} == {"available"}


def test_a_check_that_finds_a_cache_stale_corrects_and_announces_that_sku_only(_clean_redis):
    stale, sold_out, kept = SkuFactory(price__amount=Decimal("10.00")), SkuFactory(), SkuFactory()
    sku_info_many([stale.sku_id, sold_out.sku_id, kept.sku_id])
    # Changed behind the caches' back (no event): what the check is there to catch.
    Price.objects.filter(sku=stale).update(amount=Decimal("12.00"))
    Stock.objects.filter(sku=sold_out).update(quantity=0)
    for sku in (stale, sold_out, kept):
        cart_add_line(user_id=32, item_id=sku.item_id, sku_id=sku.sku_id)
    pubsub = _listening(_clean_redis)

    line_checks_drain()

    assert _announced(pubsub) == {stale.sku_id, sold_out.sku_id}
    local_cache.clear()
    fresh = sku_info_many([stale.sku_id, sold_out.sku_id])
    assert (fresh[stale.sku_id].price, fresh[sold_out.sku_id].stock) == (Decimal("12.00"), 0)
    assert _status(32)[f"{sold_out.item_id}:{sold_out.sku_id}"][0] == "out_of_stock"


def test_a_batch_of_checks_records_every_cart_in_one_round_trip(_clean_redis):
    sku = SkuFactory()
    info = sku_info_many([sku.sku_id])[sku.sku_id]
    users = range(51, 59)
    for user_id in users:
        cart_add_line(user_id=user_id, item_id=sku.item_id, sku_id=sku.sku_id)
    check = LineCheck.of(item_id=sku.item_id, sku_id=sku.sku_id, info=info)
    checks = {user_id: [check] for user_id in [*users, 99]}  # 99 has no cart in Redis

    store = CartStore()  # its scripts loaded before counting
    with count_redis() as log:
        changed, cold = carts_record_checks(checks, store=store)

    assert (changed, cold) == (0, [99])  # born as the catalog says: nothing to change
    assert log.commands.count("EVALSHA") == 9  # one script call per cart …
    # … in one pipeline per Redis server the carts live on (a cluster: one per master),
    # after the SCRIPT EXISTS redis-py sends before a single server's pipeline of scripts.
    client = get_redis()
    assert log.round_trips <= (len(client.get_primaries()) if isinstance(client, RedisCluster) else 2)


@pytest.mark.parametrize(
    ("change", "same"),
    [
        ({}, True),
        ({"stock": 3}, True),  # a level, within the hints' lag
        ({"stock": None}, True),  # untracked: in stock either way
        ({"stock": 0}, False),  # sold out
        ({"price": Decimal("9.99")}, False),
        ({"sellable": False}, False),
        ({"title": "Renamed"}, False),
    ],
)
def test_which_cached_sku_data_a_cart_reads_the_same(change, same):
    held = SkuInfo(1, 2, "Mug", {"colour": "red"}, True, Decimal("12.00"), "USD", 7)
    assert held.same_for_carts(replace(held, **change)) is same
    assert held.same_for_carts(None) is False
