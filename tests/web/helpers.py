"""Shared set-up of the page tests: demo-like products and line states."""

from decimal import Decimal

from cart.services import cart_set_line_status
from cart.web.guest import COOKIE_NAME, GuestCart
from catalog.cache import sku_info_refresh
from catalog.models import Sku, Stock
from tests.factories import ItemFactory, PriceFactory, SkuFactory, StockFactory


def make_sku(title: str, price: str = "19.99", stock: int = 50, **attributes) -> Sku:
    sku = SkuFactory(item=ItemFactory(title=title), attributes=attributes or {"size": "M"}, price=None, stock=None)
    PriceFactory(sku=sku, amount=Decimal(price))
    StockFactory(sku=sku, quantity=stock)
    return sku


def mark_checked(user_id: int, sku: Sku, status: str = "available", price_at_add: str | None = None) -> None:
    """Play the asynchronous catalog check for one line, through the engine's own service."""
    cart_set_line_status(
        user_id=user_id,
        item_id=sku.item_id,
        sku_id=sku.sku_id,
        status=status,
        price_at_add=None if price_at_add is None else Decimal(price_at_add),
        currency="USD" if price_at_add else "",
    )


def sell_out(sku: Sku) -> None:
    """Stock of a SKU down to zero, as the stock sync would announce it."""
    Stock.objects.filter(sku=sku).update(quantity=0)
    sku_info_refresh([sku.sku_id])


def deactivate(sku: Sku) -> None:
    """Stop selling a SKU; a checked line of it then reads as unavailable."""
    Sku.objects.filter(pk=sku.pk).update(active=False)
    sku_info_refresh([sku.sku_id])


def guest_cookie(client) -> GuestCart:
    morsel = client.cookies.get(COOKIE_NAME)
    return GuestCart.from_cookie(morsel.value if morsel else None)


def line_path(sku: Sku, action: str) -> str:
    return f"/cart/lines/{sku.item_id}:{sku.sku_id}/{action}"
