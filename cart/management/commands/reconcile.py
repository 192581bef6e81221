import sys

from django.core.management.base import BaseCommand

from cart.persistence.reconciliation import reconcile_run
from core.progress import ProgressBar


class Command(BaseCommand):
    help = "Run one reconciliation pass now: compare changed carts in Redis and MySQL, repair MySQL."

    def handle(self, *args, **options):
        with ProgressBar(desc="reconciling", unit="carts") as progress:
            run = reconcile_run(progress=progress)
        self.stdout.write(
            f"checked {run.carts_checked} carts changed since {run.changed_since or 'ever'}; "
            f"fixed {run.lines_fixed} lines; purged {run.tombstones_purged} tombstones; {run.duration_ms} ms"
        )
        if run.error:
            self.stderr.write(self.style.ERROR(f"shards that could not be repaired:\n{run.error}"))
            sys.exit(1)
