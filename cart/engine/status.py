"""The rule that turns what the catalog says of a SKU into a cart line's status."""

from cart.models import LineStatus
from catalog.cache import SkuInfo


def info_of_line(info: SkuInfo | None, *, item_id: int) -> SkuInfo | None:
    """The SKU data that describes a line of ``item_id``: None when the SKU belongs to
    another item, so a mismatched pair never shows that item's title or price."""
    return info if info is not None and info.item_id == item_id else None


def line_status(info: SkuInfo | None, *, item_id: int) -> str:
    """The status a line of this SKU under ``item_id`` should have now.

    A SKU that does not exist, is not sold, or belongs to another item is unavailable.
    """
    info = info_of_line(info, item_id=item_id)
    if info is None or not info.sellable:
        return LineStatus.UNAVAILABLE
    if info.stock is not None and info.stock <= 0:
        return LineStatus.OUT_OF_STOCK
    return LineStatus.AVAILABLE
