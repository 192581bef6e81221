"""Partition the shard tables by user on MySQL/MariaDB: 16 shards × 8 partitions.

A user's rows stay in one partition, so a cart read prunes to one partition's slice of
the clustered index. SQLite has no partitions; the operation is a no-op there.
"""

from django.db import migrations

PARTITIONS = 8


def _partition(table):
    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "mysql":
            schema_editor.execute(f"ALTER TABLE {table} PARTITION BY KEY(user_id) PARTITIONS {PARTITIONS}")

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "mysql":
            schema_editor.execute(f"ALTER TABLE {table} REMOVE PARTITIONING")

    return forward, backward


class Migration(migrations.Migration):
    dependencies = [("cart", "0001_initial")]

    operations = [
        # The model_name hint lets the router run each one on the shards only; DDL on
        # MySQL cannot run inside a transaction.
        migrations.RunPython(*_partition("cart_item"), hints={"model_name": "cartitem"}, atomic=False),
        migrations.RunPython(*_partition("cart"), hints={"model_name": "cart"}, atomic=False),
    ]
