import sys
from datetime import timedelta

from django.core.management.base import BaseCommand
from tqdm import tqdm

from cart.prewarm import carts_prewarm


class Command(BaseCommand):
    help = "Load into Redis the carts changed in the last DAYS days (never overwrites a cart already there)."

    def add_arguments(self, parser):
        parser.add_argument("--active-since", type=float, default=7.0, metavar="DAYS")

    def handle(self, *args, active_since: float, **options):
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit="carts", desc="pre-warming", file=sys.stderr)
            bar.update(done - bar.n)

        summary = carts_prewarm(active_since=timedelta(days=active_since), progress=progress)
        if bar is not None:
            bar.close()
        self.stdout.write(str(summary))
