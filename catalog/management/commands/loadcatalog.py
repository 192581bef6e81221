import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.importing import CatalogFileError, parse_catalog
from catalog.services import catalog_import
from core.progress import ProgressBar


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
            with ProgressBar(desc="writing", unit="rows", min_total=2000) as progress:
                summary = catalog_import(items=items, progress=progress)
        except CatalogFileError as exc:
            raise CommandError(f"{file}: nothing was imported.\n{exc}") from None
        self.stdout.write(self.style.SUCCESS(f"{file}: {len(items)} items read; {summary}"))
