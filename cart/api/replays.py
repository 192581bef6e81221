"""Replies recorded under an Idempotency-Key, as the least they can be rebuilt from
(``cart.engine.idempotency``), and rebuilt.

A whole-cart reply is recorded as the cart's lines in format 2 and shown again through
the same presenter, with the SKU data of now: the lines, quantities, selection and
prices at add are the ones first answered.
"""

import orjson

from cart.api.presenters import raw_cart_json
from cart.engine import idempotency
from cart.engine.codec import line_to_redis
from cart.engine.idempotency import StoredReply, recorded_error
from cart.engine.store import RawCart
from core.errors import ApiError


def cart_payload(raw: RawCart) -> str:
    return idempotency.CART + _cart_text(raw)


def merge_payload(raw: RawCart, report: dict) -> str:
    """A merge's reply: its report (``merged``, ``skipped``) and the cart after it."""
    return idempotency.MERGE + orjson.dumps(report).decode() + "\n" + _cart_text(raw)


def replayed_body(stored: StoredReply, *, user_id: int) -> dict | None:
    """The body of a recorded reply (not an add's line: ``cart.services`` rebuilds those)."""
    if stored.kind == idempotency.JSON:
        return orjson.loads(stored.data) if stored.data else None
    if stored.kind == idempotency.ERROR:
        error: ApiError = recorded_error(stored)
        return error.as_body()
    if stored.kind == idempotency.CART:
        return raw_cart_json(user_id=user_id, raw=_cart_of_text(stored.data))
    if stored.kind == idempotency.MERGE:
        report, _, cart = stored.data.partition("\n")
        return {**raw_cart_json(user_id=user_id, raw=_cart_of_text(cart)), **orjson.loads(report)}
    raise ValueError(f"no reply of kind {stored.kind!r} is rebuilt here")


def _cart_text(raw: RawCart) -> str:
    return ";".join([str(raw.version), *(f"{line.id},{line_to_redis(line)}" for line in raw.lines)])


def _cart_of_text(text: str) -> RawCart:
    version, *entries = text.split(";")
    return RawCart(version=int(version), fields=[entry.split(",", 1) for entry in entries])
