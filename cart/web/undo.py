"""The cart page's Undo after a remove: the removed line, signed into the Undo form.

The form carries the line as it was (ids, quantity, selection, price at add, added-at),
signed with a salt of its own and good for ``UNDO_MAX_AGE`` seconds, so nothing is kept
on the server for an Undo that is never pressed, and a shopper cannot craft one: a price
at add that was never theirs would show a false "price dropped" notice.
"""

from decimal import Decimal, InvalidOperation

from django.core import signing

from cart.engine.lines import CartLine
from cart.models import LineStatus

UNDO_SALT = "cart.undo.v1"
UNDO_MAX_AGE = 15 * 60


def undo_token(line: CartLine) -> str:
    price = None if line.price_at_add is None else str(line.price_at_add)
    data = [line.item_id, line.sku_id, line.quantity, int(line.checked), price, line.currency, line.added_at_ms]
    return signing.dumps(data, salt=UNDO_SALT, compress=True)


def undo_line(token: str) -> CartLine | None:
    """The line an Undo token names, or None when it is forged, expired or malformed."""
    try:
        item_id, sku_id, quantity, checked, price, currency, added_at_ms = signing.loads(
            token, salt=UNDO_SALT, max_age=UNDO_MAX_AGE
        )
        return CartLine(
            item_id=int(item_id),
            sku_id=int(sku_id),
            quantity=int(quantity),
            checked=bool(checked),
            status=LineStatus.UNKNOWN,
            price_at_add=None if price is None else Decimal(price),
            currency=str(currency),
            added_at_ms=int(added_at_ms),
            updated_at_ms=int(added_at_ms),
            version=0,
        )
    except (signing.BadSignature, ValueError, TypeError, InvalidOperation):
        return None
