"""Placed orders, in ``default``: what checkout sold, at the prices it charged.

The tables keep the names they had while orders lived in the cart app.
"""

from django.db import models


class Order(models.Model):
    """A placed order (header in ``default``): what checkout sold, at the prices it charged."""

    user_id = models.BigIntegerField(db_index=True)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "cart_order"
        ordering = ["-created_at"]

    def __str__(self):
        return f"order {self.pk} of user {self.user_id}: {self.total} {self.currency}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    item_id = models.BigIntegerField()
    sku_id = models.BigIntegerField()
    title = models.CharField(max_length=200)
    attributes = models.JSONField(default=dict)
    quantity = models.PositiveSmallIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    line_total = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        db_table = "cart_order_line"

    def __str__(self):
        return f"{self.item_id}:{self.sku_id} x{self.quantity}"
