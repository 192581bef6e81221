# The models that cart.0004 created, now owned by this app: their tables exist already
# (created by cart's migrations), so this changes Django's state only.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cart", "0006_orders_to_their_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Order",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("user_id", models.BigIntegerField(db_index=True)),
                        ("total", models.DecimalField(decimal_places=2, max_digits=14)),
                        ("currency", models.CharField(max_length=3)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={"db_table": "cart_order", "ordering": ["-created_at"]},
                ),
                migrations.CreateModel(
                    name="OrderLine",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("item_id", models.BigIntegerField()),
                        ("sku_id", models.BigIntegerField()),
                        ("title", models.CharField(max_length=200)),
                        ("attributes", models.JSONField(default=dict)),
                        ("quantity", models.PositiveSmallIntegerField()),
                        ("unit_price", models.DecimalField(decimal_places=2, max_digits=12)),
                        ("line_total", models.DecimalField(decimal_places=2, max_digits=14)),
                        (
                            "order",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="lines", to="orders.order"
                            ),
                        ),
                    ],
                    options={"db_table": "cart_order_line"},
                ),
            ],
            database_operations=[],
        ),
    ]
