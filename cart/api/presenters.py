"""Cart data as the API renders it (API.md, "Cart"). Plain functions over the selector's
``CartView``: a 120-line cart renders in well under a millisecond, which DRF serializers
do not. The OpenAPI shapes live beside them in ``schemas.py``."""

from django.conf import settings

from cart.api.render_cache import rendered_carts
from cart.engine.lines import CartLine
from cart.engine.status import info_of_line
from cart.engine.store import RawCart
from cart.selectors import CartView, LineView, SavedView, cart_sku_infos, cart_view_from_raw
from cart.services import LineChange
from catalog.cache import sku_info_many
from core.api.dates import iso_utc_ms
from core.api.renderers import FastJSONRenderer


def _money(value) -> str | None:
    return None if value is None else str(value)


def line_json(view: LineView) -> dict:
    line, info = view.line, view.info
    return {
        "id": line.id,
        "item_id": line.item_id,
        "sku_id": line.sku_id,
        "quantity": line.quantity,
        "checked": line.checked,
        "status": view.status,
        "title": info.title if info else None,
        "sku_attributes": info.attributes if info else {},
        "unit_price": _money(view.unit_price),
        "currency": (info.currency if info and info.currency else line.currency) or settings.DEFAULT_CURRENCY,
        "price_at_add": _money(line.price_at_add),
        "price_change": _money(view.price_change),
        "stock": info.stock if info else None,
        "added_at": iso_utc_ms(line.added_at_ms),
        "updated_at": iso_utc_ms(line.updated_at_ms),
    }


def saved_line_json(view: LineView) -> dict:
    """A saved-for-later line: shaped as in the cart, without ``checked``, with ``saved_at``."""
    body = line_json(view)
    del body["checked"]
    body["saved_at"] = body["added_at"]
    return body


def saved_json(saved: SavedView) -> dict:
    return {
        "version": saved.version,
        "max_lines": settings.CART_MAX_SAVED_LINES,
        "items": [saved_line_json(item) for item in saved.items],
    }


def moved_to_saved_json(change: LineChange) -> dict:
    """The reply to a save-for-later: the line as it now is in the list."""
    return {"cart_version": change.cart_version, "saved": saved_line_json(_dressed(change.line))}


def moved_to_cart_json(change: LineChange) -> dict:
    """The reply to a move back into the cart: the cart line it grew or became."""
    body = {"cart_version": change.cart_version, "line": changed_line_json(change.line)}
    if change.capped:
        body["capped"] = True
    return body


def summary_json(s) -> dict:
    """The counts of a cart or a shared cart (``CartSummary``, ``SharedSummary``), by the
    one counting rule of API.md."""
    return {
        "lines": s.lines,
        "quantity": s.quantity,
        "checked_lines": s.checked_lines,
        "checked_quantity": s.checked_quantity,
        "checked_subtotal": str(s.checked_subtotal),
        "currency": s.currency,
    }


def cart_json(cart: CartView) -> dict:
    return {
        "user_id": cart.user_id,
        "version": cart.version,
        "max_lines": settings.CART_MAX_LINES,
        "items": [line_json(item) for item in cart.items],
        "summary": summary_json(cart.summary),
    }


def raw_cart_json(*, user_id: int, raw: RawCart) -> dict:
    return cart_json(cart_view_from_raw(user_id=user_id, raw=raw))


def merge_report(result) -> dict:
    """What a merge did to each line it was given (``MergeResult``)."""
    return {
        "merged": [{"id": m.id, "action": m.action, "quantity": m.quantity} for m in result.merged],
        "skipped": result.skipped,
    }


def merge_json(*, user_id: int, result) -> dict:
    """A merge's reply: the cart after it and the report."""
    return {**raw_cart_json(user_id=user_id, raw=result.cart), **merge_report(result)}


_renderer = FastJSONRenderer()


def cart_body(*, user_id: int, raw: RawCart) -> bytes:
    """The cart as the API's JSON bytes, rendered once per version and SKU data."""
    reuse = settings.CART_RENDER_CACHE_MB > 0
    if reuse and (body := rendered_carts.get_unchanged(user_id, raw.version, raw.line_count)) is not None:
        return body
    infos = cart_sku_infos(raw)
    body = rendered_carts.get(user_id, raw.version, infos) if reuse else None
    if body is None:
        body = _renderer.render(cart_json(cart_view_from_raw(user_id=user_id, raw=raw, infos=infos)))
        if reuse:
            rendered_carts.put(user_id, raw.version, infos, body)
    return body


def _dressed(line: CartLine) -> LineView:
    """One line after a change with its SKU data, as the lines of ``GET /cart`` have theirs."""
    return LineView(line=line, info=info_of_line(sku_info_many([line.sku_id]).get(line.sku_id), item_id=line.item_id))


def changed_line_json(line: CartLine) -> dict:
    """One line after a change, dressed like the lines of ``GET /cart``."""
    return line_json(_dressed(line))


def line_change_json(change: LineChange) -> dict:
    """The reply to a single-line change: the line with the new cart version, or that it went.

    An add already looked its SKU up in the caches; its reply uses that and never looks
    further (the database is off an add's path)."""
    if change.removed:
        return {"removed": True, "cart_version": change.cart_version}
    if change.info_held:
        line = line_json(LineView(line=change.line, info=change.info))
    else:
        line = changed_line_json(change.line)
    body = {**line, "cart_version": change.cart_version}
    if change.capped:
        body["capped"] = True
    return body
