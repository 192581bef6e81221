"""Saved for later: ``saved_item`` on every user shard, partitioned as ``cart_item`` is."""

from django.db import migrations, models

from cart.migrations._partitioning import partition


class Migration(migrations.Migration):
    dependencies = [("cart", "0006_orders_to_their_app")]

    operations = [
        migrations.CreateModel(
            name="SavedItem",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "user_id", "item_id", "sku_id", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("user_id", models.BigIntegerField()),
                ("item_id", models.BigIntegerField()),
                ("sku_id", models.BigIntegerField()),
                ("quantity", models.PositiveSmallIntegerField()),
                ("price_at_add", models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True)),
                ("currency", models.CharField(blank=True, default="", max_length=3)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("unknown", "Unknown"),
                            ("available", "Available"),
                            ("unavailable", "Unavailable"),
                            ("out_of_stock", "Out Of Stock"),
                        ],
                        default="unknown",
                        max_length=16,
                    ),
                ),
                ("version", models.BigIntegerField()),
                ("deleted", models.BooleanField(default=False)),
                ("create_time", models.DateTimeField()),
                ("update_time", models.DateTimeField()),
            ],
            options={
                "db_table": "saved_item",
                "indexes": [
                    models.Index(fields=["deleted", "update_time"], name="saved_item_tombstones"),
                    models.Index(fields=["sku_id", "user_id"], name="saved_item_by_sku"),
                ],
            },
        ),
        migrations.RunPython(*partition("saved_item"), hints={"model_name": "saveditem"}, atomic=False),
    ]
