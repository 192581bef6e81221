"""The one codec of a cart line: MySQL row ↔ line ↔ Redis hash value ↔ stream payload.

A line's Redis hash field is its id, ``"<item_id>:<sku_id>"`` (``lines.line_id``); its
value is one positional string (format 2), written and read by the Lua scripts
(``lua/_line_codec.lua``, whose code tables are made from the ones below) and by Python
alike::

    q,CS,a,v,dt,p,cu        e.g.  2,1a,29123456789,29123460001,0,9.99,U

====  =============================================================================
q     quantity (0 only in a stream entry: the line was removed)
C     checked, 1 or 0
S     status, one letter: ``STATUS_CODES``
a     added at, milliseconds since ``EPOCH_MS`` (2026-01-01 UTC)
v     the line's cart version, less ``EPOCH_MS``
dt    version minus updated at, in milliseconds (0 unless two changes shared a millisecond)
p     price at add, a decimal string, or empty when not known
cu    currency of ``p``: a letter of ``CURRENCY_CODES``, or the ISO code itself
====  =============================================================================

Why positional: Redis keeps a hash compact (a listpack) only while every value is at
most ``hash-max-listpack-value`` bytes (64 by default). The JSON of format 1 was ~89
bytes, so every cart with a price was a ``hashtable``, about 2.8 times the memory.
Format 2 is ~37 bytes. Format 1 (``{"q":1,"c":1,"s":"available",...}``) is still read,
wherever a value is read: carts written before the change keep working, and a cart's
first change rewrites it whole in format 2 (docs/cart-engine.md, "Rolling upgrade").

A persistence stream entry carries the changed lines in field ``c``:
``<field>,<value>`` per line, joined by ``;`` (the message's version is in ``v``); a
saved-for-later line's field is ``s<item_id>:<sku_id>`` (``lines.SAVED_PREFIX``).
Entries written before the change carry JSON in ``l`` and are read as before.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

import orjson

from cart.engine.lines import SAVED_PREFIX, CartLine, datetime_to_ms, split_line_id
from cart.models import CartItem, LineStatus, SavedItem

_STATUS = {s.value for s in LineStatus}

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
STATUS_CODES = {
    LineStatus.AVAILABLE.value: "a",
    LineStatus.UNKNOWN.value: "u",
    LineStatus.UNAVAILABLE.value: "x",
    LineStatus.OUT_OF_STOCK.value: "o",
}
CURRENCY_CODES = {"USD": "U", "EUR": "E", "GBP": "G", "JPY": "J", "CNY": "C", "CAD": "D", "AUD": "A", "CHF": "F"}
# The longest value format 2 writes for any line within the next ten years (a test
# checks it): what hash-max-listpack-value must allow for carts to stay compact.
LONGEST_VALUE = 64
_STATUS_OF_CODE = {code: status for status, code in STATUS_CODES.items()}
_CURRENCY_OF_CODE = {code: currency for currency, code in CURRENCY_CODES.items()}
_UNKNOWN_CODE = STATUS_CODES[LineStatus.UNKNOWN.value]


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
    saved: bool = False  # a saved-for-later line (table saved_item), not a cart line

    @property
    def key(self) -> tuple[int, int, int, bool]:
        return (self.user_id, self.item_id, self.sku_id, self.saved)


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
    """A line's value in its cart hash (format 2). Built as text: the pre-warm writes
    one per line of every cart it loads."""
    price_part = "," if price is None else f"{price},{CURRENCY_CODES.get(currency, currency)}"
    return (
        f"{quantity},{int(checked)}{STATUS_CODES.get(status, _UNKNOWN_CODE)},{added_at_ms - EPOCH_MS},"
        f"{version - EPOCH_MS},{version - updated_at_ms},{price_part}"
    )


def redis_value_mysql(*, checked: str = "checked") -> str:
    """``redis_value`` as a MySQL expression over a ``cart_item`` or ``saved_item`` row
    (``checked`` names its column or a constant). The pre-warm has the server build the
    values, so Python only passes them on; a test holds the two to the same text."""

    def coded(column: str, codes: dict[str, str], otherwise: str) -> str:
        whens = " ".join(f"WHEN '{name}' THEN '{code}'" for name, code in codes.items())
        return f"CASE {column} {whens} ELSE {otherwise} END"

    def ms(column: str) -> str:  # stored datetimes are naive UTC
        return f"TIMESTAMPDIFF(MICROSECOND, '1970-01-01', {column}) DIV 1000"

    return (
        f"CONCAT(quantity, ',', {checked}, {coded('status', STATUS_CODES, repr(_UNKNOWN_CODE))}, ',', "
        f"{ms('create_time')} - {EPOCH_MS}, ',', version - {EPOCH_MS}, ',', version - {ms('update_time')}, ',', "
        f"IF(price_at_add IS NULL, ',', CONCAT(price_at_add, ',', {coded('currency', CURRENCY_CODES, 'currency')})))"
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
    """Decode a hash field ``"<item_id>:<sku_id>"`` and its value (either format, or a
    script's reply already decoded from JSON)."""
    item_id, sku_id = split_line_id(field.decode() if isinstance(field, bytes) else field)
    if isinstance(raw, bytes):
        raw = raw.decode()
    if isinstance(raw, dict) or raw.startswith("{"):
        return _line_of_format_1(item_id, sku_id, orjson.loads(raw) if isinstance(raw, str) else raw)
    quantity, flags, added, version, lag, price, currency = raw.split(",")
    version_ms = int(version) + EPOCH_MS
    return CartLine(
        item_id=item_id,
        sku_id=sku_id,
        quantity=int(quantity),
        checked=flags[0] == "1",
        status=_STATUS_OF_CODE.get(flags[1:], LineStatus.UNKNOWN.value),
        price_at_add=Decimal(price) if price else None,
        currency=_CURRENCY_OF_CODE.get(currency, currency) if price else "",
        added_at_ms=int(added) + EPOCH_MS,
        updated_at_ms=version_ms - int(lag),
        version=version_ms,
    )


def _line_of_format_1(item_id: int, sku_id: int, data: dict) -> CartLine:
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


def lua_tables() -> str:
    """The code tables as Lua, prepended to ``lua/_line_codec.lua``: one source for both."""

    def table(mapping: dict[str, str]) -> str:
        return "{" + ", ".join(f"[{k!r}] = {v!r}" for k, v in mapping.items()) + "}"

    return (
        f"local LINE_EPOCH_MS = {EPOCH_MS}\n"
        f"local STATUS_CODE, STATUS_OF_CODE = {table(STATUS_CODES)}, {table(_STATUS_OF_CODE)}\n"
        f"local CURRENCY_CODE, CURRENCY_OF_CODE = {table(CURRENCY_CODES)}, {table(_CURRENCY_OF_CODE)}\n"
    )


# --- MySQL row ------------------------------------------------------------------------


def line_from_row(row: CartItem | SavedItem) -> CartLine:
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


def state_of_line(user_id: int, line: CartLine, *, version: int, saved: bool = False) -> LineState:
    """The row a line (a saved line when ``saved``) is persisted as, at ``version``."""
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
        saved=saved,
    )


def tombstone_of_row(row: CartItem | SavedItem, *, version: int, now: datetime) -> LineState:
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
        saved=isinstance(row, SavedItem),
    )


def line_agrees_with_row(line: CartLine | None, row: CartItem | SavedItem | None) -> bool:
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
        "sv": int(state.saved),
    }


def states_to_stream(states) -> str:
    """The changed lines of one persistence stream entry (field ``c``), in format 2."""
    return ";".join(f"{SAVED_PREFIX if s.saved else ''}{s.item_id}:{s.sku_id},{_state_value(s)}" for s in states)


def _state_value(state: LineState) -> str:
    return redis_value(
        quantity=0 if state.deleted else state.quantity,
        checked=state.checked and not state.deleted,
        status=state.status,
        added_at_ms=state.added_at_ms,
        updated_at_ms=state.updated_at_ms,
        version=state.version,
        price=state.price_at_add,
        currency=state.currency,
    )


def states_from_stream(text: str | bytes, *, user_id: int, version: int) -> tuple[LineState, ...]:
    """Decode field ``c`` of a persistence stream entry. A quantity of 0 is a removal."""
    if isinstance(text, bytes):
        text = text.decode()
    states = []
    for entry in text.split(";") if text else ():
        field, _, value = entry.partition(",")
        saved = field.startswith(SAVED_PREFIX)
        line = line_from_redis(field.removeprefix(SAVED_PREFIX), value)
        state = state_of_line(user_id, line, version=version, saved=saved)
        states.append(replace(state, deleted=True) if line.quantity == 0 else state)
    return tuple(states)


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
        saved=bool(raw.get("sv")),
    )
