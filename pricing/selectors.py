"""Reads of prices: what a SKU costs at a given moment."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from pricing.models import Price, Promotion
from pricing.money import Money, quantize


def _apply_percent_off(amount: Decimal, percent_off: Decimal | None) -> Decimal:
    if not percent_off:
        return amount
    return quantize(amount * (Decimal(100) - percent_off) / Decimal(100))


def price_effective_many(*, sku_ids: Iterable[int], at: datetime | None = None) -> dict[int, Money]:
    """Return the price of each SKU at ``at`` (default: now), list price less the best promotion.

    Two queries whatever the number of SKUs. SKUs without a list price are absent
    from the result: they cannot be sold.
    """
    at = at or timezone.now()
    sku_ids = list(sku_ids)
    prices = {
        sku_id: (amount, currency)
        for sku_id, amount, currency in Price.objects.filter(sku_id__in=sku_ids).values_list(
            "sku_id", "amount", "currency"
        )
    }
    best_percent: dict[int, Decimal] = {}
    running = Promotion.objects.filter(
        sku_id__in=prices.keys(), active=True, starts_at__lte=at, ends_at__gt=at
    ).values_list("sku_id", "percent_off")
    for sku_id, percent_off in running:
        best_percent[sku_id] = max(percent_off, best_percent.get(sku_id, Decimal(0)))
    return {
        sku_id: Money(_apply_percent_off(amount, best_percent.get(sku_id)), currency)
        for sku_id, (amount, currency) in prices.items()
    }


def price_effective(*, sku_id: int, at: datetime | None = None) -> Money | None:
    """Return the price of one SKU at ``at`` (default: now), or None if it has no price."""
    return price_effective_many(sku_ids=[sku_id], at=at).get(sku_id)
