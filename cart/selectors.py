"""Reads of the cart. ``cart_get`` builds the one ``CartView`` that the API, the pages
and checkout all use."""

from dataclasses import dataclass
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.conf import settings

from cart.engine import keys, sync
from cart.engine.hot import hot_carts
from cart.engine.lines import CartLine
from cart.engine.loading import cart_ensure_loaded
from cart.engine.status import info_of_line, line_status
from cart.engine.store import CartStore, RawCart
from cart.models import LineStatus
from catalog.cache import SkuInfo, sku_info_many
from pricing.money import quantize


@dataclass(frozen=True, slots=True)
class LineView:
    line: CartLine
    info: SkuInfo | None

    @property
    def status(self) -> str:
        """The checked status, kept current with the catalog data this read has.

        A line not checked yet stays ``unknown``. Once checked, the SKU data of this
        read (refreshed by catalog events, stock synced every five minutes) decides,
        so a product deactivated or sold out a moment ago shows at once, before the
        event has re-marked every cart.
        """
        if self.line.status == LineStatus.UNKNOWN:
            return self.line.status
        return line_status(self.info, item_id=self.line.item_id)

    @property
    def unit_price(self) -> Decimal | None:
        return self.info.price if self.info else None

    @property
    def line_total(self) -> Decimal | None:
        """What the line costs at today's price: the unit price times the quantity."""
        return None if self.unit_price is None else self.unit_price * self.line.quantity

    @property
    def price_change(self) -> Decimal | None:
        if self.unit_price is None or self.line.price_at_add is None:
            return None
        return self.unit_price - self.line.price_at_add

    @property
    def counts_in_subtotal(self) -> bool:
        return self.line.checked and self.status == LineStatus.AVAILABLE and self.unit_price is not None

    @property
    def left_out_because(self) -> str:
        """Why checkout would not buy this line ("" when it would), as the review page says it."""
        if self.counts_in_subtotal:
            return ""
        if not self.line.checked:
            return "Not selected"
        return {
            LineStatus.UNAVAILABLE: "No longer available",
            LineStatus.OUT_OF_STOCK: "Out of stock",
            LineStatus.UNKNOWN: "Still being checked",
        }.get(self.status, "No current price")


@dataclass(frozen=True, slots=True)
class CartSummary:
    lines: int
    quantity: int
    checked_lines: int
    checked_quantity: int
    checked_subtotal: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class CartView:
    user_id: int
    version: int
    items: list[LineView]
    summary: CartSummary

    @property
    def checkout_blocker(self) -> str:
        """Why this cart, as shown, has nothing to check out; "" when it has."""
        if self.summary.checked_lines:
            return ""
        if not any(v.line.checked for v in self.items):
            return "Select at least one item to check out."
        return (
            "None of the selected items can be bought right now: "
            "they are unavailable, out of stock or still being checked."
        )


def _summarize(items: list[LineView]) -> CartSummary:
    # One rule for every count a shopper sees beside the subtotal (API.md, "summary"):
    # checked lines that are available, which is exactly what checkout would buy.
    counted = [v for v in items if v.counts_in_subtotal]
    currencies = {v.info.currency for v in counted if v.info and v.info.currency}
    return CartSummary(
        lines=len(items),
        quantity=sum(v.line.quantity for v in items),
        checked_lines=len(counted),
        checked_quantity=sum(v.line.quantity for v in counted),
        checked_subtotal=quantize(sum((v.line_total for v in counted), Decimal(0))),
        currency=currencies.pop() if len(currencies) == 1 else settings.DEFAULT_CURRENCY,
    )


def cart_sku_infos(raw: RawCart) -> dict[int, SkuInfo]:
    """The SKU data of every line (from this process's SKU cache when it has them)."""
    return sku_info_many(raw.sku_ids)


def cart_view_from_raw(*, user_id: int, raw: RawCart, infos: dict[int, SkuInfo] | None = None) -> CartView:
    """Dress raw lines with their SKU data (``infos``, looked up when not given); newest first."""
    infos = cart_sku_infos(raw) if infos is None else infos
    lines = sorted(raw.lines, key=lambda line: (line.added_at_ms, line.item_id, line.sku_id), reverse=True)
    items = [LineView(line=line, info=info_of_line(infos.get(line.sku_id), item_id=line.item_id)) for line in lines]
    return CartView(user_id=user_id, version=raw.version, items=items, summary=_summarize(items))


def cart_get_raw(*, user_id: int, store: CartStore | None = None) -> RawCart:
    """Return the cart's lines and version from Redis, loading a cold cart first.

    Warm: one Redis round trip; a hot cart (see ``cart.engine.hot``) none.
    """
    store = store or CartStore()
    # A request whose gate is still to pass reads Redis anyway: the gate rides on the read.
    if settings.HOT_CART_CACHE and not store.gated:
        copy = hot_carts.get(user_id)
        if copy is not None:
            return copy
    raw = store.read(user_id, held=hot_carts.held(user_id) if settings.HOT_CART_CACHE else None)
    if raw is None:
        cart_ensure_loaded(user_id=user_id, store=store)
        raw = store.read(user_id)
    if raw is None:  # evicted between load and read: vanishingly rare; load once more
        cart_ensure_loaded(user_id=user_id, store=store)
        raw = store.read(user_id) or RawCart(version=0, lines=[])
    if settings.HOT_CART_CACHE:
        hot_carts.seen(user_id, raw)
    return raw


def cart_get(*, user_id: int, store: CartStore | None = None) -> CartView:
    """Return the whole cart as shoppers see it."""
    return cart_view_from_raw(user_id=user_id, raw=cart_get_raw(user_id=user_id, store=store))


@dataclass(frozen=True, slots=True)
class SavedView:
    """The saved-for-later lines as shoppers see them, newest saved first, with the
    cart's version."""

    version: int
    items: list[LineView]


def saved_get(*, user_id: int, store: CartStore | None = None) -> SavedView:
    """Return the saved lines, loading a cold cart (and its saved lines) first. Warm: one
    Redis round trip."""
    store = store or CartStore()
    raw = store.read_saved(user_id)
    if raw is None:
        cart_ensure_loaded(user_id=user_id, store=store)
        raw = store.read_saved(user_id) or RawCart(version=0, lines=[])
    view = cart_view_from_raw(user_id=user_id, raw=raw)
    return SavedView(version=view.version, items=view.items)


# --- orders -------------------------------------------------------------------------------
async def cart_version_now(user_id: int) -> int:
    """The cart's current version: one Redis read when the cart is cached, else the cart
    is loaded from its shard once (in a thread: the loader is synchronous)."""
    hub = sync.cart_event_hub()
    raw = await hub.client.hget(keys.cart_key(user_id), "_v")
    if raw is not None:
        return int(raw)
    cart = await sync_to_async(cart_get_raw, thread_sensitive=False)(user_id=user_id)
    return cart.version
