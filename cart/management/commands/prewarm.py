from datetime import timedelta

from django.core.management.base import BaseCommand

from cart.persistence.prewarm import carts_prewarm
from core.progress import ProgressBar


class Command(BaseCommand):
    help = "Load into Redis the carts changed in the last DAYS days (never overwrites a cart already there)."

    def add_arguments(self, parser):
        parser.add_argument("--active-since", type=float, default=7.0, metavar="DAYS")

    def handle(self, *args, active_since: float, **options):
        with ProgressBar(desc="pre-warming", unit="carts") as progress:
            summary = carts_prewarm(active_since=timedelta(days=active_since), progress=progress)
        self.stdout.write(str(summary))
