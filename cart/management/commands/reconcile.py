import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from cart.reconciliation import reconcile_run


class Command(BaseCommand):
    help = "Run one reconciliation pass now: compare changed carts in Redis and MySQL, repair MySQL."

    def handle(self, *args, **options):
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit="carts", desc="reconciling", file=sys.stderr)
            bar.update(done - bar.n)

        run = reconcile_run(progress=progress)
        if bar is not None:
            bar.close()
        self.stdout.write(
            f"checked {run.carts_checked} carts changed since {run.changed_since or 'ever'}; "
            f"fixed {run.lines_fixed} lines; purged {run.tombstones_purged} tombstones; {run.duration_ms} ms"
        )
        if run.error:
            self.stderr.write(self.style.ERROR(f"shards that could not be repaired:\n{run.error}"))
            sys.exit(1)
