"""Partitioning of a shard table by user on MySQL/MariaDB (16 shards × 8 partitions).

A user's rows stay in one partition, so reading one user's lines prunes to one
partition's slice of the clustered index. SQLite has no partitions: a no-op there.
"""

PARTITIONS = 8


def partition(table: str):
    """``RunPython`` forward and backward functions that partition ``table`` by user."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "mysql":
            schema_editor.execute(f"ALTER TABLE {table} PARTITION BY KEY(user_id) PARTITIONS {PARTITIONS}")

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "mysql":
            schema_editor.execute(f"ALTER TABLE {table} REMOVE PARTITIONING")

    return forward, backward
