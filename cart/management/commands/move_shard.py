import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cart.persistence.shard_move import MoveError, MoveReport, move_shard, new_shard_urls, verify_shard


class Command(BaseCommand):
    help = (
        "Copy one logical cart shard to another database server, verify it (row counts and an "
        "ordered SHA-256 per table) and print the CART_SHARD_URLS value to switch to. "
        "Exit status 1 if verification fails. Procedure: docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("alias", help="the shard to move, cart_00 … cart_15")
        parser.add_argument("--to", required=True, dest="url", help="URL of the new database (created if missing)")
        parser.add_argument("--batch", type=int, default=2000, help="rows per read and per upsert (default 2000)")
        parser.add_argument(
            "--since",
            type=dt.datetime.fromisoformat,
            help="skip the full copy: only catch up rows changed since this ISO time (the cut-over pass)",
        )
        parser.add_argument(
            "--lag-margin",
            type=int,
            default=120,
            help="seconds a change may take to reach MySQL; catch-up windows reach back this far (default 120)",
        )
        parser.add_argument("--verify-only", action="store_true", help="copy nothing, only compare the two sides")

    def handle(self, *args, alias, url, batch, since, lag_margin, verify_only, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        bars: list[tqdm] = []

        def progress_factory(table: str, total: int):
            bar = tqdm(total=total, unit="rows", desc=f"copying {table}", disable=total < 2000, file=sys.stderr)
            bars.append(bar)
            return bar.update

        try:
            if verify_only:
                report = verify_shard(alias, url, batch=batch)
            else:
                report = move_shard(
                    alias,
                    url,
                    batch=batch,
                    since=since,
                    lag_margin=dt.timedelta(seconds=lag_margin),
                    progress_factory=progress_factory,
                )
            urls = new_shard_urls(alias, url)
        except MoveError as error:
            raise CommandError(str(error)) from error
        finally:
            for bar in bars:
                bar.close()
        self._summary(report, verify_only=verify_only)
        if not report.verified:
            raise CommandError(
                f"verification failed: {alias} and {url} differ. If the service is still writing to "
                f"{alias}, stop the persistence consumers and run again with --since "
                f"{report.started_at.isoformat(timespec='seconds')}; otherwise the target is damaged: "
                "drop it and move again. Do not switch the configuration."
            )
        self.stdout.write(self.style.SUCCESS(f"{alias} verified on the new server."))
        self.stdout.write("Configuration change (all 16 shards, in order; every process that reads it):")
        self.stdout.write(f"CART_SHARD_URLS='{','.join(urls)}'")
        if not verify_only:
            self.stdout.write(
                "Final catch-up at cut-over (consumers stopped): "
                f"manage.py move_shard {alias} --to {url} --since {report.started_at.isoformat(timespec='seconds')}"
            )

    def _summary(self, report: MoveReport, *, verify_only: bool) -> None:
        self.stdout.write(f"move {report.alias} -> {report.target_url}")
        if not verify_only:
            self.stdout.write(f"  catch-up passes: {report.catch_up_passes}")
        for entry in report.tables.values():
            state = "ok" if entry.matches else "MISMATCH"
            self.stdout.write(
                f"  {entry.table}: copied {entry.copied}, caught up {entry.caught_up}; "
                f"rows {entry.source_rows} / {entry.target_rows}; "
                f"sha256 {entry.source_sha256[:16]} / {entry.target_sha256[:16]}  {state}"
            )
