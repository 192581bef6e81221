"""Checkout: the one place that trusts nothing cached.

Price and stock come from MySQL in the transaction that deducts the stock; every line's
stock is taken with a conditional ``UPDATE … WHERE quantity >= n``, so two buyers of the
last unit cannot both win, and any failed line rolls the whole order back.

One shopper's checkouts run one at a time, from reading the cart to removing the bought
lines from it: two that overlapped (a double-click, two devices, a client retrying
without an ``Idempotency-Key``) would both have read the same lines and bought them
twice. The second waits for the first and then finds those lines gone.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from cart.engine import keys
from cart.engine.lines import CartLine
from cart.engine.locks import redis_lock
from cart.engine.store import CartStore
from cart.models import LineStatus
from cart.selectors import CartView, cart_get
from cart.services import cart_remove_lines
from catalog.cache import sku_info_many
from catalog.events import publish_sku_changes
from catalog.models import Sku, Stock
from core.errors import (
    CheckoutInProgress,
    InvalidInput,
    LineNotFound,
    NothingToBuy,
    PriceChanged,
    SoldOut,
    Unavailable,
    VersionMismatch,
)
from orders.models import Order, OrderLine
from pricing.money import quantize
from pricing.selectors import price_effective_many

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order: Order
    lines: list[OrderLine]


# What a cart read already knows cannot be bought: a default checkout leaves these out.
NOT_BUYABLE = frozenset({LineStatus.UNAVAILABLE, LineStatus.OUT_OF_STOCK})

# A checkout takes milliseconds; the lock outlives a stuck one (its holder died) by far,
# and a waiting checkout gives up well before a browser or mobile client would.
LOCK_MS = 30_000
WAIT_SECONDS = 10.0


@contextmanager
def _one_checkout_at_a_time(user_id: int) -> Iterator[None]:
    """Hold the shopper's checkout lock (``SET NX PX``, owner token, compare-and-delete
    release), waiting up to ``WAIT_SECONDS`` for a checkout already running."""
    with redis_lock(
        CartStore(),
        keys.checkout_lock_key(user_id),
        ttl_ms=LOCK_MS,
        wait_seconds=WAIT_SECONDS,
        on_timeout=CheckoutInProgress,
        first_pause=0.005,
        max_pause=0.1,
    ):
        yield


def checkout_place_order(
    *,
    user_id: int,
    ids: list[str] | None = None,
    expected_total: Decimal | None = None,
    expected_version: int | None = None,
) -> PlacedOrder:
    """Buy the given lines (default: the checked ones not known to be unbuyable) at
    today's prices.

    Raises ``VersionMismatch`` when ``expected_version`` is not the cart's version,
    ``InvalidInput`` for an empty cart, ``Unavailable`` when nothing selected can be
    bought or a SKU or item is no longer sold, ``PriceChanged`` (the real total differs
    from ``expected_total``), ``SoldOut`` (stock short for some lines): each lists the
    line ids, and none deducts anything or creates an order. On success the bought
    lines leave the cart. Raises ``CheckoutInProgress`` when another checkout of this
    cart holds on past ``WAIT_SECONDS``.
    """
    with _one_checkout_at_a_time(user_id):
        return _place_order(user_id=user_id, ids=ids, expected_total=expected_total, expected_version=expected_version)


def checkout_lines(cart: CartView, ids: list[str] | None = None) -> list[CartLine]:
    """The lines a checkout of ``cart`` buys: those named in ``ids``, else the checked
    lines that the cart does not already show as unavailable or out of stock (a line
    still being checked is decided by checkout's own reading of the catalog).

    Raises ``LineNotFound`` for ids not in the cart, ``InvalidInput`` for an empty cart
    and ``Unavailable``, naming the checked lines, when nothing selected can be bought.
    """
    if ids is not None:
        by_id = {v.line.id: v.line for v in cart.items}
        missing = [line_id for line_id in ids if line_id not in by_id]
        if missing:
            raise LineNotFound(ids=missing)
        if not ids:
            raise InvalidInput({"ids": ["Name at least one line to check out."]})
        return [by_id[line_id] for line_id in dict.fromkeys(ids)]
    if not cart.items:
        raise InvalidInput({"ids": ["Your cart is empty: there is nothing to check out."]})
    checked = [v for v in cart.items if v.line.checked]
    lines = [v.line for v in checked if v.status not in NOT_BUYABLE]
    if not lines:
        detail = None if checked else "Nothing is selected: select at least one item to check out."
        raise NothingToBuy(ids=[v.line.id for v in checked], detail=detail)
    return lines


def _place_order(
    *, user_id: int, ids: list[str] | None, expected_total: Decimal | None, expected_version: int | None
) -> PlacedOrder:
    cart = cart_get(user_id=user_id)
    if expected_version is not None and cart.version != expected_version:
        raise VersionMismatch(current_version=cart.version)
    lines = checkout_lines(cart, ids)
    lines.sort(key=lambda line: line.sku_id)  # one lock order for every buyer: no deadlocks
    sku_ids = [line.sku_id for line in lines]

    with transaction.atomic(using="default"):
        skus = {s.sku_id: s for s in Sku.objects.select_related("item").filter(sku_id__in=sku_ids)}
        prices = price_effective_many(sku_ids=sku_ids)
        unavailable = [
            line.id
            for line in lines
            if line.sku_id not in skus
            or line.sku_id not in prices
            or skus[line.sku_id].item_id != line.item_id
            or not (skus[line.sku_id].active and skus[line.sku_id].item.active)
        ]
        if unavailable:
            raise Unavailable(ids=unavailable)
        currencies = {prices[s].currency for s in sku_ids}
        if len(currencies) != 1:
            raise InvalidInput({"ids": ["These lines are priced in different currencies; check them out apart."]})
        currency = currencies.pop()
        total = quantize(sum((prices[line.sku_id].amount * line.quantity for line in lines), Decimal(0)))
        if expected_total is not None and quantize(expected_total) != total:
            shown = sku_info_many(sku_ids)
            # The lines whose cached price is not today's; when the cache already has
            # today's prices (a price event refreshed it), every line, since the client's
            # total cannot say which of its prices it held.
            changed = [
                line.id
                for line in lines
                if line.sku_id not in shown or shown[line.sku_id].price != prices[line.sku_id].amount
            ] or [line.id for line in lines]
            raise PriceChanged(ids=changed, total=str(total), currency=currency)
        short = [
            line.id
            for line in lines
            if not Stock.objects.filter(sku_id=line.sku_id, quantity__gte=line.quantity).update(
                quantity=F("quantity") - line.quantity
            )
        ]
        if short:
            raise SoldOut(ids=short)  # leaving the block rolls back the deductions made so far
        order = Order.objects.create(user_id=user_id, total=total, currency=currency)
        order_lines = OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    item_id=line.item_id,
                    sku_id=line.sku_id,
                    title=skus[line.sku_id].item.title,
                    attributes=skus[line.sku_id].attributes,
                    quantity=line.quantity,
                    unit_price=prices[line.sku_id].amount,
                    line_total=quantize(prices[line.sku_id].amount * line.quantity),
                )
                for line in lines
            ]
        )
        sold_out_now = set(Stock.objects.filter(sku_id__in=sku_ids, quantity=0).values_list("sku_id", flat=True))
        publish_sku_changes(sku_ids=set(sku_ids) - sold_out_now)
        publish_sku_changes(sku_ids=sold_out_now, recheck_lines=True)

    try:
        cart_remove_lines(user_id=user_id, ids=[line.id for line in lines])
    except Exception:
        logger.exception("order %s placed but its lines could not be removed from the cart", order.pk)
    return PlacedOrder(order=order, lines=order_lines)
