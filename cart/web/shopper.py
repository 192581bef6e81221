"""The cart of whoever is browsing: the account's once logged in, else the guest cookie's.

Pages talk to one interface whatever the shopper is. Account operations go to
``cart.services`` and reads to ``cart.selectors``, exactly as the API does; guest ones to
``cart.web.guest``. Each request gets one object (``shopper_cart``), which also remembers the
cart it read, so the header's count costs nothing more on a page that shows the cart.
"""

import functools
import logging
from dataclasses import replace

from django.conf import settings

from cart import selectors, services
from cart.engine.lines import CartLine
from cart.engine.status import info_of_line, line_status
from cart.models import LineStatus
from cart.selectors import CartView, SavedView
from cart.services import LineChange, MergeResult
from cart.web import guest
from catalog.cache import SkuInfo, sku_info_many
from core.errors import CartUnavailable, NotForSale, OutOfStock
from core.redis_client import UNREACHABLE

logger = logging.getLogger(__name__)


def _orderable(*, item_id: int, sku_id: int) -> SkuInfo:
    """The SKU data of a product page's add, or the refusal of a SKU it must not add.

    The pages offer no "Add to cart" for what cannot be bought; this answers a form
    sent anyway. It may fill the SKU caches from the database on a miss, as a product
    page does (the API's add never does, see ``cart_add_line``), so the add that
    follows finds the SKU in this process.

    Raises ``OutOfStock`` or ``NotForSale``, naming the item when it is known; what it
    returns is therefore always a sellable SKU of ``item_id``.
    """
    info = info_of_line(sku_info_many([sku_id]).get(sku_id), item_id=item_id)
    status = line_status(info, item_id=item_id)
    if status == LineStatus.OUT_OF_STOCK:
        raise OutOfStock(f"{info.title} is out of stock, so it was not added to your cart.")
    if status == LineStatus.UNAVAILABLE:
        raise NotForSale(f"{info.title} is no longer available, so it was not added to your cart." if info else None)
    return info


class AccountCart:
    """A logged-in shopper's cart in Redis, through the cart services."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        self._view: CartView | None = None

    def add(self, *, item_id: int, sku_id: int, quantity: int) -> LineChange:
        """Add from a product page; raises ``OutOfStock``/``NotForSale`` for what cannot be bought."""
        _orderable(item_id=item_id, sku_id=sku_id)
        self._view = None
        return services.cart_add_line(user_id=self.user_id, item_id=item_id, sku_id=sku_id, quantity=quantity)

    def update(self, *, item_id: int, sku_id: int, **change) -> LineChange:
        self._view = None
        return services.cart_update_line(user_id=self.user_id, item_id=item_id, sku_id=sku_id, **change)

    def remove(self, *, item_id: int, sku_id: int) -> LineChange:
        self._view = None
        return services.cart_remove_line(user_id=self.user_id, item_id=item_id, sku_id=sku_id)

    def select(self, *, checked: bool) -> None:
        raw = services.cart_select(user_id=self.user_id, checked=checked)
        self._view = selectors.cart_view_from_raw(user_id=self.user_id, raw=raw)

    def restore(self, line: CartLine) -> LineChange:
        self._view = None
        return services.cart_restore_line(user_id=self.user_id, line=line)

    def save_for_later(self, *, item_id: int, sku_id: int) -> LineChange:
        self._view = None
        return services.cart_save_for_later(user_id=self.user_id, item_id=item_id, sku_id=sku_id)

    def move_to_cart(self, *, item_id: int, sku_id: int) -> LineChange:
        self._view = None
        return services.cart_move_to_cart(user_id=self.user_id, item_id=item_id, sku_id=sku_id)

    def saved_remove(self, *, item_id: int, sku_id: int) -> LineChange:
        return services.saved_remove_line(user_id=self.user_id, item_id=item_id, sku_id=sku_id)

    def saved(self) -> SavedView | None:
        """The saved-for-later lines (None for guests, who have none)."""
        return selectors.saved_get(user_id=self.user_id)

    def view(self) -> CartView:
        if self._view is None:
            self._view = selectors.cart_get(user_id=self.user_id)
        return self._view

    def count(self) -> int:
        """Units in the cart: from the cart this request already read, else one Redis read."""
        if self._view is not None:
            return self._view.summary.quantity
        return sum(line.quantity for line in selectors.cart_get_raw(user_id=self.user_id).lines)

    def persist(self, response) -> None:
        """Nothing to do: every operation is already in Redis."""


class GuestShopperCart:
    """A guest's cart from the signed cookie; ``persist`` writes it back to the response."""

    def __init__(self, cookie: str | None):
        self.cart = guest.GuestCart.from_cookie(cookie)
        self._view: CartView | None = None

    def add(self, *, item_id: int, sku_id: int, quantity: int) -> LineChange:
        """Add from a product page; raises ``OutOfStock``/``NotForSale`` for what cannot be bought."""
        info = _orderable(item_id=item_id, sku_id=sku_id)
        self._view = None
        # Today's price, kept for the "price dropped since you added it" notice, as an
        # account's add keeps it.
        price, currency = info.price, info.currency
        change = self.cart.add(item_id=item_id, sku_id=sku_id, quantity=quantity, price=price, currency=currency)
        return replace(change, info=info, info_held=True)

    def update(self, *, item_id: int, sku_id: int, **change) -> LineChange:
        self._view = None
        return self.cart.update(item_id=item_id, sku_id=sku_id, **change)

    def remove(self, *, item_id: int, sku_id: int) -> LineChange:
        self._view = None
        return self.cart.remove(item_id=item_id, sku_id=sku_id)

    def select(self, *, checked: bool) -> None:
        self._view = None
        self.cart.select(checked=checked)

    def restore(self, line: CartLine) -> LineChange:
        self._view = None
        return self.cart.restore(line)

    def saved(self) -> SavedView | None:
        """Guests have no saved-for-later list: saving asks them to log in."""
        return None

    def view(self) -> CartView:
        if self._view is None:
            self._view = guest.guest_cart_view(self.cart)
        return self._view

    def count(self) -> int:
        return self.cart.quantity

    def persist(self, response) -> None:
        if self.cart.changed and len(self.cart):
            guest_cookie_write(response, self.cart)
        elif self.cart.changed or self.cart.dropped:
            guest_cookie_clear(response)


def guest_cookie_write(response, cart: guest.GuestCart) -> None:
    response.set_cookie(
        guest.COOKIE_NAME,
        cart.to_cookie(),
        max_age=guest.COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,  # page scripts never need it: the server renders the cart
        samesite="Lax",
    )


def guest_cookie_clear(response) -> None:
    response.delete_cookie(guest.COOKIE_NAME, samesite="Lax")


def shopper_cart(request) -> AccountCart | GuestShopperCart:
    """The cart of this request's shopper; one object per request."""
    cart = getattr(request, "_shopper_cart", None)
    if cart is None:
        if request.user.is_authenticated:
            cart = AccountCart(request.user.pk)
        else:
            cart = GuestShopperCart(request.COOKIES.get(guest.COOKIE_NAME))
        request._shopper_cart = cart
    return cart


def header_count(request) -> int | None:
    """The header's cart count; None when the cart cannot be read right now.

    A page must not fail because the header's count could not be read.
    """
    try:
        return shopper_cart(request).count()
    except (CartUnavailable, *UNREACHABLE):
        logger.warning("cart count unavailable for the header")
        return None


def keeps_guest_cart(view):
    """Write the guest cookie back after the view (or delete it when it was bad)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        cart = getattr(request, "_shopper_cart", None)
        if cart is not None:
            cart.persist(response)
        return response

    return wrapped


def guest_cart_merge(request, response) -> MergeResult | None:
    """Merge the guest cookie's lines into the account that just logged in, then clear it.

    Goes through ``cart_merge`` with the "max" policy, like the API's merge. Returns None
    when there was nothing to merge. The cookie is kept when the cart cannot be reached,
    so the lines are not lost and merge at the next login.
    """
    cart = guest.GuestCart.from_cookie(request.COOKIES.get(guest.COOKIE_NAME))
    if not len(cart):
        if cart.dropped or guest.COOKIE_NAME in request.COOKIES:
            guest_cookie_clear(response)
        return None
    result = services.cart_merge(user_id=request.user.pk, entries=cart.merge_entries(), policy=services.MergePolicy.MAX)
    guest_cookie_clear(response)
    return result
