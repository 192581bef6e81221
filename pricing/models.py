from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class Price(models.Model):
    """The list price of one SKU."""

    sku = models.OneToOneField("catalog.Sku", on_delete=models.CASCADE, primary_key=True, related_name="price")
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="USD")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "pricing_price"
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="price_amount_non_negative")]

    def __str__(self):
        return f"{self.sku_id}: {self.amount} {self.currency}"


class Promotion(models.Model):
    """A percentage off one SKU's list price during a time window."""

    name = models.CharField(max_length=120)
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="promotions")
    percent_off = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        db_table = "pricing_promotion"
        indexes = [models.Index(fields=["sku", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="promotion_window_ordered"),
            models.CheckConstraint(
                condition=Q(percent_off__gt=0) & Q(percent_off__lte=100), name="promotion_percent_in_range"
            ),
        ]

    def __str__(self):
        return f"{self.name}: -{self.percent_off}% on {self.sku_id}"
