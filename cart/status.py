"""The rule that turns what the catalog says of a SKU into a cart line's status."""

from cart.models import LineStatus
from catalog.cache import SkuInfo


def line_status(info: SkuInfo | None) -> str:
    """The status a line of this SKU should have now."""
    if info is None or not info.sellable:
        return LineStatus.UNAVAILABLE
    if info.stock is not None and info.stock <= 0:
        return LineStatus.OUT_OF_STOCK
    return LineStatus.AVAILABLE
