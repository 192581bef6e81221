"""Reads of placed orders."""

from django.db.models import Prefetch, Sum

from core.ids import MAX_ID
from orders.models import Order, OrderLine


def orders_for_user(*, user_id: int):
    """Return the user's orders, newest first, each with ``units`` (items bought) annotated."""
    return Order.objects.filter(user_id=user_id).annotate(units=Sum("lines__quantity")).order_by("-created_at", "-pk")


def order_get(*, user_id: int, order_id: int):
    """Return the user's order ``order_id`` with its lines loaded, or None.

    None also for another user's order and for an id out of the 64-bit range, so a
    page can answer both with a plain 404 without telling which it was.
    """
    if not 1 <= order_id <= MAX_ID:
        return None
    lines = Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))  # the order checkout wrote them
    return Order.objects.filter(user_id=user_id, pk=order_id).prefetch_related(lines).first()
