"""The one codec of a cart line: MySQL row ↔ line ↔ Redis hash value ↔ stream payload.

Legend of the compact keys, the same wherever a line is written as JSON (the Lua
scripts in ``lua/_mutation.lua`` and ``lua/add.lua`` write the Redis value by it too):

====  =====================================  =============  ==============
key   meaning                                Redis value    stream payload
====  =====================================  =============  ==============
q     quantity                               yes            yes
c     checked, 1 or 0                        yes            yes
s     status (``LineStatus`` value)          yes            yes
p     price at add, a decimal string         when known     always (null)
cu    currency of ``p``                      when ``p``     always
a     added at, epoch milliseconds           yes            yes
t     updated at, epoch milliseconds         yes            yes
v     the line's cart version                yes            on the message
i, k  item id, SKU id (strings)              in the field   yes
d     deleted (a tombstone), 1 or 0          —              yes
====  =====================================  =============  ==============

A line's Redis hash field is its id, ``"<item_id>:<sku_id>"`` (``lines.line_id``).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import orjson

from cart.engine.lines import CartLine, datetime_to_ms, split_line_id
from cart.models import CartItem, LineStatus

_STATUS = {s.value for s in LineStatus}


@dataclass(frozen=True, slots=True)
class LineState:
    """The absolute state of one line at one cart version, as persisted (a tombstone
    when ``deleted``)."""

    user_id: int
    item_id: int
    sku_id: int
    quantity: int
    checked: bool
    status: str
    price_at_add: Decimal | None
    currency: str
    added_at_ms: int
    updated_at_ms: int
    version: int
    deleted: bool

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.user_id, self.item_id, self.sku_id)


# --- Redis hash value ---------------------------------------------------------------


def redis_value(
    *,
    quantity: int,
    checked: bool,
    status: str,
    added_at_ms: int,
    updated_at_ms: int,
    version: int,
    price: Decimal | str | None,
    currency: str,
) -> str:
    """A line's value in its cart hash. Built as text, not through a JSON encoder: the
    pre-warm writes one per line of every cart it loads."""
    price_part = f',"p":"{price}","cu":"{currency}"' if price is not None else ""
    return (
        f'{{"q":{quantity},"c":{int(checked)},"s":"{status}","a":{added_at_ms},'
        f'"t":{updated_at_ms},"v":{version}{price_part}}}'
    )


def line_to_redis(line: CartLine) -> str:
    return redis_value(
        quantity=line.quantity,
        checked=line.checked,
        status=line.status,
        added_at_ms=line.added_at_ms,
        updated_at_ms=line.updated_at_ms,
        version=line.version,
        price=line.price_at_add,
        currency=line.currency,
    )


def line_from_redis(field: str | bytes, raw: str | bytes | dict) -> CartLine:
    """Decode a hash field ``"<item_id>:<sku_id>"`` and its value."""
    item_id, sku_id = split_line_id(field.decode() if isinstance(field, bytes) else field)
    data = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
    price = data.get("p")
    return CartLine(
        item_id=item_id,
        sku_id=sku_id,
        quantity=int(data["q"]),
        checked=bool(data.get("c", 1)),
        status=data["s"] if data.get("s") in _STATUS else LineStatus.UNKNOWN.value,
        price_at_add=Decimal(price) if price not in (None, "") else None,
        currency=data.get("cu") or "",
        added_at_ms=int(data["a"]),
        updated_at_ms=int(data.get("t", data["a"])),
        version=int(data.get("v", 0)),
    )


# --- MySQL row ------------------------------------------------------------------------


def line_from_row(row: CartItem) -> CartLine:
    return CartLine(
        item_id=row.item_id,
        sku_id=row.sku_id,
        quantity=row.quantity,
        checked=row.checked,
        status=row.status,
        price_at_add=row.price_at_add,
        currency=row.currency,
        added_at_ms=datetime_to_ms(row.create_time),
        updated_at_ms=datetime_to_ms(row.update_time),
        version=row.version,
    )


def row_content_of_line(line: CartLine) -> dict:
    """The columns of a line's row that hold its content (not its keys, times or version)."""
    return {
        "quantity": line.quantity,
        "checked": line.checked,
        "status": line.status,
        "price_at_add": line.price_at_add,
        "currency": line.currency,
    }


def state_of_line(user_id: int, line: CartLine, *, version: int) -> LineState:
    """The row a line is persisted as, at ``version``."""
    return LineState(
        user_id=user_id,
        item_id=line.item_id,
        sku_id=line.sku_id,
        quantity=line.quantity,
        checked=line.checked,
        status=line.status,
        price_at_add=line.price_at_add,
        currency=line.currency,
        added_at_ms=line.added_at_ms,
        updated_at_ms=line.updated_at_ms,
        version=version,
        deleted=False,
    )


def tombstone_of_row(row: CartItem, *, version: int, now: datetime) -> LineState:
    """The row marked deleted at ``version`` (kept a while so a late, older write loses)."""
    return LineState(
        user_id=row.user_id,
        item_id=row.item_id,
        sku_id=row.sku_id,
        quantity=0,
        checked=False,
        status=row.status,
        price_at_add=row.price_at_add,
        currency=row.currency,
        added_at_ms=datetime_to_ms(row.create_time),
        updated_at_ms=datetime_to_ms(now),
        version=version,
        deleted=True,
    )


def line_agrees_with_row(line: CartLine | None, row: CartItem | None) -> bool:
    """Whether Redis and MySQL say the same about a line: both absent (or the row a
    tombstone), or the same quantity, checked flag, status and price at add. Versions
    are not compared: a check that finds a line as it was changes no version."""
    if line is None:
        return row is None or row.deleted
    return (
        row is not None
        and not row.deleted
        and (row.quantity, row.checked, row.status, row.price_at_add)
        == (line.quantity, line.checked, line.status, line.price_at_add)
    )


# --- stream payload -------------------------------------------------------------------


def state_to_payload(state: LineState) -> dict:
    return {
        "i": str(state.item_id),
        "k": str(state.sku_id),
        "q": state.quantity,
        "c": int(state.checked),
        "s": state.status,
        "p": None if state.price_at_add is None else str(state.price_at_add),
        "cu": state.currency,
        "a": state.added_at_ms,
        "t": state.updated_at_ms,
        "d": int(state.deleted),
    }


def state_from_payload(raw: dict, *, user_id: int, version: int) -> LineState:
    return LineState(
        user_id=user_id,
        item_id=int(raw["i"]),
        sku_id=int(raw["k"]),
        quantity=int(raw.get("q") or 0),
        checked=bool(raw.get("c", 1)),
        status=raw.get("s") or "unknown",
        price_at_add=Decimal(raw["p"]) if raw.get("p") not in (None, "") else None,
        currency=raw.get("cu") or "",
        added_at_ms=int(raw.get("a") or raw["t"]),
        updated_at_ms=int(raw["t"]),
        version=version,
        deleted=bool(raw.get("d")),
    )
