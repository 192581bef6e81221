"""A FULLTEXT index on item titles for the product search, on MySQL/MariaDB only.

SQLite has no FULLTEXT index; there the search filters titles with LIKE
(catalog/search.py). The index is not a Django index of the model: Django cannot
declare one, so the state of the model does not change.
"""

from django.db import migrations

INDEX = "catalog_item_title_ft"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"CREATE FULLTEXT INDEX {INDEX} ON catalog_item (title)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "mysql":
        schema_editor.execute(f"DROP INDEX {INDEX} ON catalog_item")


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_item_image"),
    ]

    operations = [
        # The hint routes it like the Item model: to the default database only. Not in a
        # transaction: MySQL cannot roll DDL back, and Django refuses to pretend it can.
        migrations.RunPython(create_index, drop_index, atomic=False, hints={"model_name": "item"}),
    ]
