import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.importing import CatalogFileError, parse_catalog
from catalog.services import catalog_import


class Command(BaseCommand):
    help = "Upsert items, SKUs, prices and stock from a JSON catalog file (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="catalog JSON file, as described in API.md")

    def handle(self, *args, file: Path, **options):
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{file}: not valid JSON: {exc}") from None

        try:
            items = parse_catalog(document)
            bar = None

            def progress(written: int, total: int) -> None:
                nonlocal bar
                if bar is None:
                    bar = tqdm(total=total, unit="rows", desc="writing", disable=total < 2000, file=sys.stderr)
                bar.update(written - bar.n)

            summary = catalog_import(items=items, progress=progress)
            if bar is not None:
                bar.close()
        except CatalogFileError as exc:
            raise CommandError(f"{file}: nothing was imported.\n{exc}") from None
        self.stdout.write(self.style.SUCCESS(f"{file}: {len(items)} items read; {summary}"))
