from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from pricing.money import Money
from pricing.selectors import price_effective, price_effective_many
from tests.conftest import db_all
from tests.factories import PriceFactory, PromotionFactory, SkuFactory

pytestmark = db_all


def test_list_price_without_promotion():
    sku = SkuFactory(price__amount=Decimal("21.99"))
    assert price_effective(sku_id=sku.sku_id) == Money(Decimal("21.99"), "USD")


def test_promotion_applies_only_inside_its_window():
    sku = SkuFactory(price__amount=Decimal("80.00"))
    now = timezone.now()
    PromotionFactory(
        sku=sku, percent_off=Decimal("25"), starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2)
    )
    assert price_effective(sku_id=sku.sku_id).amount == Decimal("80.00")
    assert price_effective(sku_id=sku.sku_id, at=now + timedelta(days=1, hours=1)).amount == Decimal("60.00")
    assert price_effective(sku_id=sku.sku_id, at=now + timedelta(days=2)).amount == Decimal("80.00")


def test_best_of_overlapping_promotions_wins_and_inactive_ones_do_not_count():
    sku = SkuFactory(price__amount=Decimal("10.00"))
    PromotionFactory(sku=sku, percent_off=Decimal("10"))
    PromotionFactory(sku=sku, percent_off=Decimal("30"))
    PromotionFactory(sku=sku, percent_off=Decimal("90"), active=False)
    assert price_effective(sku_id=sku.sku_id).amount == Decimal("7.00")


def test_discounts_round_half_up_to_the_cent():
    sku = SkuFactory(price__amount=Decimal("0.05"))
    PromotionFactory(sku=sku, percent_off=Decimal("50"))
    assert price_effective(sku_id=sku.sku_id).amount == Decimal("0.03")


def test_many_skus_cost_two_queries(django_assert_num_queries):
    skus = [SkuFactory() for _ in range(30)]
    PriceFactory.reset_sequence()
    with django_assert_num_queries(2):
        prices = price_effective_many(sku_ids=[s.sku_id for s in skus] + [999_999_999])
    assert len(prices) == 30 and 999_999_999 not in prices
