"""Partition the shard tables by user on MySQL/MariaDB: 16 shards × 8 partitions.

A user's rows stay in one partition, so a cart read prunes to one partition's slice of
the clustered index. SQLite has no partitions; the operation is a no-op there.
"""

from django.db import migrations

from cart.migrations._partitioning import partition


class Migration(migrations.Migration):
    dependencies = [("cart", "0001_initial")]

    operations = [
        # The model_name hint lets the router run each one on the shards only; DDL on
        # MySQL cannot run inside a transaction.
        migrations.RunPython(*partition("cart_item"), hints={"model_name": "cartitem"}, atomic=False),
        migrations.RunPython(*partition("cart"), hints={"model_name": "cart"}, atomic=False),
    ]
