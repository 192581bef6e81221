from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-cart-2026"  # noqa: S105 - a published demo login for the local start only


class Command(BaseCommand):
    help = "Create the demo shopper (and the staff user 'admin' with the same password) if missing."

    def handle(self, *args, **options):
        users = get_user_model()
        for username, staff in ((DEMO_USERNAME, False), ("admin", True)):
            user, created = users.objects.get_or_create(
                username=username, defaults={"is_staff": staff, "is_superuser": staff}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                self.stdout.write(f"created user {username!r}")
