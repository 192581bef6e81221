from django.db import models

from catalog.images import MAX_IMAGE_LENGTH, validate_image
from core.ids import ID_VALIDATORS


class Item(models.Model):
    """A product as shoppers see it; what they buy is one of its SKUs."""

    item_id = models.BigIntegerField(primary_key=True, validators=ID_VALIDATORS)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=64, blank=True, db_index=True)
    description = models.TextField(blank=True)
    # A static path or an https URL (catalog.images); empty: the pages show a placeholder.
    image = models.CharField(max_length=MAX_IMAGE_LENGTH, blank=True, default="", validators=[validate_image])
    active = models.BooleanField(default=True)
    # Feature vector for "similar items" (recommendations); empty when unknown.
    features = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "catalog_item"
        ordering = ["item_id"]

    def __str__(self):
        return f"{self.item_id} {self.title}"


class Sku(models.Model):
    """A sellable variant of an item (size, colour …)."""

    sku_id = models.BigIntegerField(primary_key=True, validators=ID_VALIDATORS)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="skus")
    attributes = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "catalog_sku"
        ordering = ["sku_id"]
        verbose_name = "SKU"

    def __str__(self):
        attributes = ", ".join(f"{k}: {v}" for k, v in sorted(self.attributes.items()))
        return f"{self.sku_id} ({attributes})" if attributes else str(self.sku_id)

    @property
    def sellable(self) -> bool:
        return self.active and self.item.active


class Stock(models.Model):
    """Units on hand for one SKU.

    A table of its own so that stock updates at checkout (hot, conditional
    ``UPDATE … WHERE quantity >= n``) never lock the SKU's descriptive row.
    """

    sku = models.OneToOneField(Sku, on_delete=models.CASCADE, primary_key=True, related_name="stock")
    quantity = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "catalog_stock"
        verbose_name_plural = "stock"

    def __str__(self):
        return f"{self.sku_id}: {self.quantity}"
