import catalog.images
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="item",
            name="image",
            field=models.CharField(
                blank=True, default="", max_length=500, validators=[catalog.images.validate_image]
            ),
        ),
    ]
