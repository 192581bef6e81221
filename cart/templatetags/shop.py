"""How money, stock hints and price notices read on the shopper pages, and the checkout form's
one-time token."""

import secrets
from decimal import Decimal

from django import template
from django.conf import settings

from catalog.images import image_url
from pricing.money import Money

register = template.Library()

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
# Below this many units the hint names the number, to nudge without promising.
_FEW_LEFT = 5


@register.simple_tag
def shop_name() -> str:
    """The shop's name (``SHOP_NAME``), on every page and on the error pages, which are
    rendered without a request."""
    return settings.SHOP_NAME


@register.simple_tag
def one_time_token() -> str:
    """A fresh unguessable token per rendering: what makes a form's second submission
    recognisable as the same one (see orders.views)."""
    return secrets.token_urlsafe(16)


@register.filter
def money(amount, currency: str = "") -> str:
    """``$19.99`` for USD, ``19.99 CHF`` for a currency without a symbol here."""
    if isinstance(amount, Money):
        amount, currency = amount.amount, amount.currency
    if amount is None:
        return "—"
    currency = currency or settings.DEFAULT_CURRENCY
    amount = Decimal(amount)
    sign = "-" if amount < 0 else ""
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{abs(amount):,.2f}" if symbol else f"{sign}{abs(amount):,.2f} {currency}"


@register.filter
def price_notice(view) -> str:
    """ "Price dropped by $X" / "Price rose by $X" for a cart ``LineView``; "" when unchanged."""
    change = view.price_change
    if not change:
        return ""
    currency = view.info.currency if view.info else ""
    verb = "dropped" if change < 0 else "rose"
    return f"Price {verb} by {money(abs(change), currency)}"


@register.filter
def stock_hint(stock) -> str:
    if stock is None:
        return ""
    if stock <= 0:
        return "Out of stock"
    if stock < _FEW_LEFT:
        return f"Only {stock} left"
    return "In stock"


@register.filter
def attributes(values: dict | None) -> str:
    """``size: 42 · colour: Olive``."""
    return " · ".join(f"{key}: {value}" for key, value in sorted((values or {}).items()))


@register.filter
def variant_label(values: dict | None) -> str:
    """A variant as short as a product card's select needs: its values in the order of
    ``attributes``, ``Olive / S`` (the product page names them)."""
    return " / ".join(str(value) for _, value in sorted((values or {}).items()))


@register.filter
def product_image(item) -> str:
    """The URL of an item's image, or "" when it has none to show (see catalog.images)."""
    return image_url(item.image)


@register.filter
def line_currency(view) -> str:
    return (view.info.currency if view.info else "") or view.line.currency or settings.DEFAULT_CURRENCY


@register.filter
def buyable_skus(product) -> list:
    """The SKUs of a product page or card that are sold and priced (in stock or not)."""
    return product.skus_for_sale


@register.filter
def from_price(product):
    """The lowest price of a product's buyable SKUs, or None."""
    prices = [s.price for s in buyable_skus(product)]
    return min(prices, key=lambda p: p.amount) if prices else None


@register.filter
def total_stock(product) -> int | None:
    stocks = [s.stock for s in buyable_skus(product) if s.stock is not None]
    return sum(stocks) if stocks else None
