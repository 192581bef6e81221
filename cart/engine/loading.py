"""Cache-aside loading of a cold cart (with its saved lines), one loader per user at a time."""

from django.conf import settings
from django.db import DatabaseError

from cart import metrics
from cart.engine import keys
from cart.engine.codec import line_from_row
from cart.engine.lines import CartLine
from cart.engine.locks import redis_lock
from cart.engine.store import CartStore
from cart.models import Cart, CartItem, SavedItem
from core.errors import CartUnavailable


def cart_read_persisted(*, user_id: int) -> tuple[int, list[CartLine], list[CartLine]]:
    """Return ``(version, lines, saved lines)`` of the cart as its shard holds it. Three
    queries."""
    version = Cart.objects.for_user(user_id).values_list("version", flat=True).first() or 0
    lines = [line_from_row(row) for row in CartItem.objects.for_user(user_id).filter(deleted=False)]
    saved = [line_from_row(row) for row in SavedItem.objects.for_user(user_id).filter(deleted=False)]
    return max([version, *(line.version for line in (*lines, *saved))]), lines, saved


def cart_ensure_loaded(*, user_id: int, store: CartStore) -> None:
    """Make sure the cart is in Redis, loading it from its shard if needed.

    Concurrent callers for one cold cart do not all hit MySQL: one takes the per-user
    mutex (``SET NX PX`` with an owner token) and loads; the others wait and re-check.
    The mutex expires after ``CART_LOAD_LOCK_MS``, so a loader that died frees it.
    Raises ``CartUnavailable`` when the shard cannot be read or the wait runs out.
    """
    with redis_lock(
        store,
        keys.lock_key(user_id),
        ttl_ms=settings.CART_LOAD_LOCK_MS,
        wait_seconds=settings.CART_LOAD_LOCK_MS / 1000 + 1,
        on_timeout=CartUnavailable,
        needed=lambda: not store.is_loaded(user_id),
    ) as held:
        if not held or store.is_loaded(user_id):
            return
        try:
            version, lines, saved = cart_read_persisted(user_id=user_id)
        except DatabaseError as exc:
            raise CartUnavailable() from exc
        store.fill(user_id, version=version, lines=lines, saved=saved)
        metrics.CART_LOADS.inc()
