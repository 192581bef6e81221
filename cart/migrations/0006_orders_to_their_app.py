# Orders moved to the `orders` app. Their tables stay as they are (cart_order,
# cart_order_line): only Django's record of which app owns the models changes.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cart", "0005_shared_carts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="OrderLine"),
                migrations.DeleteModel(name="Order"),
            ],
            database_operations=[],
        ),
    ]
