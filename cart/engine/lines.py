"""A cart line as the cart engine passes it around, and its id (its encodings: ``codec``)."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from cart.models import LineStatus
from core.ids import ID_PATTERN

_STATUS = {s.value for s in LineStatus}


# A line's id, "<item_id>:<sku_id>", is built and read only here.
_LINE_ID = re.compile(f"({ID_PATTERN}):({ID_PATTERN})")


# Where the engine names cart and saved lines side by side (a persistence stream entry,
# a catalog check, a fill), a saved line's field is its id behind this prefix.
SAVED_PREFIX = "s"


def line_id(item_id: int, sku_id: int) -> str:
    return f"{item_id}:{sku_id}"


def parse_line_id(value: str) -> tuple[int, int] | None:
    """Return ``(item_id, sku_id)`` of a canonical line id from outside (a URL, a request
    body, a form), or None.

    Canonical: ASCII digits without leading zeros, each id from 1 to ``MAX_ID`` (the
    pattern checks the range). ``str.isdigit`` and ``int`` also take superscripts or
    Arabic-Indic digits, and "07" and "7" would be one line with two names.
    """
    match = _LINE_ID.fullmatch(value)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def split_line_id(field: str) -> tuple[int, int]:
    """``(item_id, sku_id)`` of an id the engine wrote itself (a hash field, a stream
    entry): trusted, so split without the pattern, on the hot path."""
    item_id, _, sku_id = field.partition(":")
    return int(item_id), int(sku_id)


def sku_id_of(field: str | bytes) -> int:
    """The SKU id in a line's hash field ``"<item_id>:<sku_id>"``, without decoding the line."""
    if isinstance(field, bytes):
        return int(field[field.index(b":") + 1 :])
    return int(field[field.index(":") + 1 :])


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def datetime_to_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class CartLine:
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

    @property
    def id(self) -> str:
        return line_id(self.item_id, self.sku_id)

    @property
    def added_at(self) -> datetime:
        return ms_to_datetime(self.added_at_ms)

    @property
    def updated_at(self) -> datetime:
        return ms_to_datetime(self.updated_at_ms)
