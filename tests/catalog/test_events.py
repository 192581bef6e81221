"""Price and catalog change events reach the caches that cart reads use."""

import time
from decimal import Decimal

from django.utils import timezone

from cart.selectors import cart_get
from cart.services import cart_add_line
from cart.validity import line_checks_drain
from catalog.cache import local_cache, sku_info_many, sku_info_refresh
from catalog.events import publish_sku_changes
from catalog.keys import changes_channel
from catalog.models import Stock
from catalog.tasks import promotion_boundaries, refresh_skus, sync_stock
from pricing.models import Price
from tests.conftest import db_all
from tests.factories import PromotionFactory, SkuFactory, UserFactory

pytestmark = db_all


def _price(sku) -> Decimal:
    return sku_info_many([sku.sku_id])[sku.sku_id].price


def _wait_until(condition, seconds=3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_price_change_event_refreshes_the_cache_at_once():
    sku = SkuFactory(price__amount=Decimal("30.00"))
    assert _price(sku) == Decimal("30.00")
    Price.objects.filter(sku=sku).update(amount=Decimal("25.00"))
    assert _price(sku) == Decimal("30.00")  # cached

    refresh_skus.run([sku.sku_id])

    assert _price(sku) == Decimal("25.00")
    refresh_skus.run([sku.sku_id])  # twice: the same answer
    assert _price(sku) == Decimal("25.00")


def test_another_process_refreshing_a_sku_drops_this_processs_copy(_clean_redis):
    sku = SkuFactory(price__amount=Decimal("30.00"))
    _price(sku)  # cached locally, listener started
    Price.objects.filter(sku=sku).update(amount=Decimal("20.00"))
    sku_info_refresh([sku.sku_id])
    local_cache.put_many({sku.sku_id: None}, ttl=60)  # as if this process still held an old copy
    assert local_cache.get_many([sku.sku_id]) == {sku.sku_id: None}

    _clean_redis.publish(changes_channel(), str(sku.sku_id))  # what the other process announces

    assert _wait_until(lambda: local_cache.get_many([sku.sku_id]) == {})
    assert _price(sku) == Decimal("20.00")


def test_a_promotion_starting_on_schedule_changes_the_cart_price_within_a_run():
    sku = SkuFactory(price__amount=Decimal("50.00"))
    user = UserFactory()
    cart_add_line(user_id=user.pk, item_id=sku.item_id, sku_id=sku.sku_id)
    line_checks_drain()
    promotion_boundaries.run()  # sets the watermark
    PromotionFactory(sku=sku, percent_off=Decimal("20"), starts_at=timezone.now())

    assert promotion_boundaries.run() == 1

    (view,) = cart_get(user_id=user.pk).items
    assert (view.unit_price, view.line.price_at_add, view.price_change) == (
        Decimal("40.00"),
        Decimal("50.00"),
        Decimal("-10.00"),
    )
    assert promotion_boundaries.run() == 0


def test_stock_sync_copies_changed_levels_into_the_hints():
    sku = SkuFactory(stock__quantity=8)
    assert sku_info_many([sku.sku_id])[sku.sku_id].stock == 8
    sync_stock.run(full=True)
    Stock.objects.filter(sku=sku).update(quantity=2, updated_at=timezone.now())

    assert sync_stock.run() >= 1

    local_cache.clear()
    assert sku_info_many([sku.sku_id])[sku.sku_id].stock == 2


def test_events_of_an_edit_wait_for_its_commit_and_survive_a_dead_broker(
    dead_broker, django_capture_on_commit_callbacks
):
    sku = SkuFactory(price__amount=Decimal("9.00"))
    _price(sku)
    Price.objects.filter(sku=sku).update(amount=Decimal("8.00"))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        publish_sku_changes(sku_ids=[sku.sku_id])
        assert _price(sku) == Decimal("9.00")  # nothing before the commit

    assert len(callbacks) == 1
    assert _price(sku) == Decimal("8.00")  # refreshed in-process when the broker is gone
