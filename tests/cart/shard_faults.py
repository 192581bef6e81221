"""Make one cart shard unusable for real, then bring it back."""

from contextlib import contextmanager

from django.db import connections


@contextmanager
def shard_down(alias: str):
    """MySQL: point the alias at a closed port. SQLite (in-memory test databases cannot
    be reopened elsewhere): move the table away, so every write fails the same way."""
    connection = connections[alias]
    if connection.vendor == "mysql":
        settings_dict = connections.settings[alias]
        port = settings_dict.get("PORT")
        connection.close()
        settings_dict["PORT"] = "1"
        connection.settings_dict["PORT"] = "1"
        try:
            yield
        finally:
            connection.close()
            settings_dict["PORT"] = port
            connection.settings_dict["PORT"] = port
    else:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE cart_item RENAME TO cart_item_offline")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE cart_item_offline RENAME TO cart_item")
