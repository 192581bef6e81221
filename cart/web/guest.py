"""The guest cart: a shopper's lines kept in a signed cookie until they log in.

``GuestCart`` mirrors the cart services (``cart/services.py``) so a guest meets the same
rules as an account: adding grows a line and caps it at the maximum quantity, a quantity
of 0 removes the line, a new line past the line limit raises ``CartFull``, changing a
line that is not there raises ``LineNotFound``. At login the lines go to ``cart_merge``
as ``MergeEntry`` objects, like a mobile app's device cart.

The cookie holds ids, quantities, checked flags and the price each line had when it was
added, in list order (oldest first), compressed and signed:
``{"v": 2, "l": [[item_id, sku_id, quantity, checked, price_at_add, currency], ...]}``
(the last two left off for a line whose price was unknown when it was added; version 1
cookies, written before prices were kept, have no line with them). The price at add is
only what the page compares today's price with ("Price dropped by $2.00"); titles,
prices and stock are looked up on every read, and checkout reads MySQL.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core import signing

from cart.engine.lines import CartLine, line_id
from cart.engine.status import line_status
from cart.engine.store import RawCart
from cart.models import LineStatus
from cart.selectors import CartView, cart_view_from_raw
from cart.services import LineChange, MergeEntry
from catalog.cache import sku_info_many
from core.errors import CartFull, LineNotFound
from core.ids import MAX_ID

COOKIE_NAME = "guest_cart"
# Signing with a salt of its own: a value signed for another purpose (a session, a
# password reset) never passes as a cart.
COOKIE_SALT = "cart.guest.v1"  # part of every signed cookie: never renamed with the module
COOKIE_MAX_AGE = 30 * 24 * 3600
# Browsers drop a cookie over 4096 bytes (name and attributes included) without a word,
# which would silently empty the cart; refuse a new line before that instead.
COOKIE_MAX_BYTES = 3800
_FORMAT = 2
_READABLE_FORMATS = (1, 2)
# A price as written by ``str(Decimal)`` for money: digits, at most two decimals.
_PRICE = re.compile(r"\d{1,12}(\.\d{1,2})?")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(slots=True)
class GuestLine:
    item_id: int
    sku_id: int
    quantity: int
    checked: bool = True
    price_at_add: Decimal | None = None
    currency: str = ""

    @property
    def id(self) -> str:
        return line_id(self.item_id, self.sku_id)

    def to_row(self) -> list:
        row = [self.item_id, self.sku_id, self.quantity, int(self.checked)]
        if self.price_at_add is not None:
            row += [str(self.price_at_add), self.currency]
        return row


def _is_id(value) -> bool:
    return type(value) is int and 1 <= value <= MAX_ID


def _parse_price(row: list, version: int) -> tuple[Decimal | None, str] | None:
    """The price at add of a cookie row: (price, currency), (None, "") when it has none,
    None when the row is malformed."""
    if len(row) == 4:
        return None, ""
    if version < 2 or len(row) != 6:
        return None
    price, currency = row[4], row[5]
    if not (type(price) is str and _PRICE.fullmatch(price) and type(currency) is str and _CURRENCY.fullmatch(currency)):
        return None
    return Decimal(price), currency


def _storable_price(price: Decimal | None, currency: str) -> tuple[Decimal | None, str]:
    """The price as the cookie keeps it (cents, a currency code), or none at all: a value
    ``_parse_price`` would refuse must never be written, or the whole cart would be dropped."""
    if price is None or not price.is_finite() or not 0 <= price < 10**12 or not _CURRENCY.fullmatch(currency or ""):
        return None, ""
    cents = price.quantize(Decimal("0.01"))
    return (cents, currency) if _PRICE.fullmatch(str(cents)) else (None, "")


def _parse_lines(data) -> list[GuestLine] | None:
    """Return the lines of a decoded payload, or None when anything about it is off."""
    if not isinstance(data, dict) or data.get("v") not in _READABLE_FORMATS or not isinstance(data.get("l"), list):
        return None
    rows = data["l"]
    if len(rows) > settings.CART_MAX_LINES:
        return None
    lines, seen = [], set()
    for row in rows:
        if not (isinstance(row, list) and len(row) in (4, 6)):
            return None
        item_id, sku_id, quantity, checked = row[:4]
        if not (_is_id(item_id) and _is_id(sku_id) and type(quantity) is int and checked in (0, 1)):
            return None
        if not 1 <= quantity <= settings.CART_MAX_QUANTITY or (item_id, sku_id) in seen:
            return None
        if (price := _parse_price(row, data["v"])) is None:
            return None
        seen.add((item_id, sku_id))
        lines.append(GuestLine(item_id, sku_id, quantity, bool(checked), *price))
    return lines


class GuestCart:
    """A guest's lines and the operations on them; ``changed`` says the cookie needs rewriting.

    ``dropped`` is set when the cookie it came from was tampered with, expired or malformed:
    the cart then starts empty and the cookie should be deleted.
    """

    def __init__(self, lines: list[GuestLine] | None = None):
        self._lines: dict[str, GuestLine] = {line.id: line for line in lines or []}
        self.changed = False
        self.dropped = False

    # --- the cookie -----------------------------------------------------------------

    @classmethod
    def from_cookie(cls, value: str | None) -> "GuestCart":
        """Decode a cookie value; never raises. A bad value gives an empty, ``dropped`` cart."""
        if not value:
            return cls()
        try:
            data = signing.loads(value, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
        except (signing.BadSignature, ValueError, TypeError, UnicodeError):
            # BadSignature covers tampering and expiry; the others a signed value that is
            # not our JSON at all (only possible across format changes).
            data = None
        lines = _parse_lines(data)
        if lines is None:
            cart = cls()
            cart.dropped = True
            return cart
        return cls(lines)

    def to_cookie(self) -> str:
        rows = [g.to_row() for g in self._lines.values()]
        return signing.dumps({"v": _FORMAT, "l": rows}, salt=COOKIE_SALT, compress=True)

    # --- reads ----------------------------------------------------------------------

    @property
    def lines(self) -> list[GuestLine]:
        return list(self._lines.values())

    @property
    def quantity(self) -> int:
        return sum(g.quantity for g in self._lines.values())

    def __len__(self) -> int:
        return len(self._lines)

    def merge_entries(self) -> list[MergeEntry]:
        """The lines as ``cart_merge`` takes them, oldest first (the first ones to fit win)."""
        return [MergeEntry(g.item_id, g.sku_id, g.quantity, g.checked) for g in self._lines.values()]

    # --- writes (the rules of cart/services.py) -------------------------------------

    def add(
        self, *, item_id: int, sku_id: int, quantity: int = 1, price: Decimal | None = None, currency: str = ""
    ) -> LineChange:
        """Add ``quantity``; an existing line grows, capped at the maximum. Raises ``CartFull``.

        ``price`` and ``currency`` are the SKU's price now, kept as a new line's price at add
        (a line that grows keeps the price it was first added at, as an account's does).
        """
        max_quantity = settings.CART_MAX_QUANTITY
        line = self._lines.get(line_id(item_id, sku_id))
        if line is not None:
            wanted = line.quantity + quantity
            line.quantity = min(wanted, max_quantity)
            self.changed = True
            return self._change(line, capped=wanted > max_quantity)
        if len(self._lines) >= settings.CART_MAX_LINES:
            raise CartFull()
        price_at_add, currency = _storable_price(price, currency)
        line = GuestLine(item_id, sku_id, min(quantity, max_quantity), True, price_at_add, currency)
        self._lines[line.id] = line
        if len(self.to_cookie()) > COOKIE_MAX_BYTES:
            del self._lines[line.id]
            raise CartFull("Your guest cart is full; log in to add more items.")
        self.changed = True
        return self._change(line, capped=quantity > max_quantity)

    def update(
        self,
        *,
        item_id: int,
        sku_id: int,
        quantity: int | None = None,
        delta: int | None = None,
        checked: bool | None = None,
    ) -> LineChange:
        """Set the quantity or add ``delta`` (clamped to 0..max; 0 removes), and/or check it.

        Raises ``LineNotFound`` when the line is not in the cart.
        """
        line = self._lines.get(line_id(item_id, sku_id))
        if line is None:
            raise LineNotFound()
        was = _unlisted(line)
        if quantity is not None:
            line.quantity = quantity
        elif delta is not None:
            line.quantity += delta
        line.quantity = max(0, min(line.quantity, settings.CART_MAX_QUANTITY))
        if checked is not None:
            line.checked = checked
        self.changed = True
        if line.quantity == 0:
            del self._lines[line.id]
            return LineChange(cart_version=0, removed=True, removed_line=was)
        return self._change(line)

    def remove(self, *, item_id: int, sku_id: int) -> LineChange:
        """Remove a line; removing one that is not there changes nothing."""
        removed = self._lines.pop(line_id(item_id, sku_id), None)
        if removed is None:
            return LineChange(cart_version=0)
        self.changed = True
        return LineChange(cart_version=0, removed=True, removed_line=_unlisted(removed))

    def restore(self, line: CartLine) -> LineChange:
        """Put back a line removed a moment ago (Undo) with its quantity, selection and
        price at add; a line added again since is left as it is. Raises ``CartFull``."""
        if line.id in self._lines:
            return LineChange(cart_version=0)
        if len(self._lines) >= settings.CART_MAX_LINES:
            raise CartFull()
        price_at_add, currency = _storable_price(line.price_at_add, line.currency)
        restored = GuestLine(line.item_id, line.sku_id, line.quantity, line.checked, price_at_add, currency)
        self._lines[restored.id] = restored
        self.changed = True
        return self._change(restored)

    def select(self, *, checked: bool, ids: list[str] | None = None) -> None:
        """Check or uncheck every line, or those in ``ids``; unknown ids are ignored."""
        wanted = None if ids is None else set(ids)
        for line in self._lines.values():
            if wanted is None or line.id in wanted:
                line.checked = checked
        self.changed = True

    def _change(self, line: GuestLine, *, capped: bool = False) -> LineChange:
        return LineChange(cart_version=0, line=_unlisted(line), capped=capped)


def _unlisted(line: GuestLine) -> CartLine:
    """A guest line outside a view of the cart (a change's answer, an Undo): no place in
    the list and no check of its own."""
    return _cart_line(line, position=0, status=LineStatus.UNKNOWN)


def _cart_line(line: GuestLine, *, position: int, status: str) -> CartLine:
    return CartLine(
        item_id=line.item_id,
        sku_id=line.sku_id,
        quantity=line.quantity,
        checked=line.checked,
        status=status,
        price_at_add=line.price_at_add,
        currency=line.currency,
        # Stands in for the time added: list order is adding order, which is all that
        # sorting newest first needs.
        added_at_ms=position,
        updated_at_ms=position,
        version=0,
    )


def guest_cart_view(cart: GuestCart) -> CartView:
    """Dress a guest's lines as ``cart_get`` dresses an account's: the same ``CartView``.

    Guest lines have no asynchronous check; their status comes from the same rule
    (``line_status``) applied to the SKU data read here. Warm: no I/O.
    """
    infos = sku_info_many(g.sku_id for g in cart.lines)
    lines = [
        _cart_line(g, position=position, status=line_status(infos.get(g.sku_id), item_id=g.item_id))
        for position, g in enumerate(cart.lines, start=1)
    ]
    return cart_view_from_raw(user_id=0, raw=RawCart(version=0, lines=lines))
