"""Writes to the catalog: the only place items, SKUs, prices and stock change in bulk."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connections, transaction

from catalog.events import publish_sku_changes
from catalog.importing import CatalogFileError
from catalog.models import Item, Sku, Stock
from catalog.recommendations import recommendations_invalidate
from pricing.models import Price

CHUNK = 500


@dataclass
class CatalogImportSummary:
    items_created: int = 0
    items_updated: int = 0
    skus_created: int = 0
    skus_updated: int = 0
    # SKU ids whose price, stock or sellability changed: what downstream caches
    # (price cache, stock hints, cart line status) must hear about.
    price_changed: set[int] = field(default_factory=set)
    stock_changed: set[int] = field(default_factory=set)
    availability_changed: set[int] = field(default_factory=set)
    stock_crossed_zero: set[int] = field(default_factory=set)

    def __str__(self):
        return (
            f"items: {self.items_created} created, {self.items_updated} updated; "
            f"SKUs: {self.skus_created} created, {self.skus_updated} updated; "
            f"{len(self.price_changed)} prices, {len(self.stock_changed)} stock levels and "
            f"{len(self.availability_changed)} availabilities changed"
        )


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _upsert(model, objs: list, *, unique: str, update: list[str]) -> None:
    # MySQL's ON DUPLICATE KEY UPDATE takes no conflict target; SQLite's ON CONFLICT needs one.
    target = [unique] if connections["default"].features.supports_update_conflicts_with_target else None
    model.objects.bulk_create(objs, update_conflicts=True, unique_fields=target, update_fields=update)


def _load_existing(items: list[dict]):
    item_ids = [item["item_id"] for item in items]
    sku_ids = [sku["sku_id"] for item in items for sku in item["skus"]]
    existing_items, existing_skus, prices, stock = {}, {}, {}, {}
    for chunk in _chunks(item_ids):
        existing_items.update({i.item_id: i for i in Item.objects.filter(item_id__in=chunk)})
    for chunk in _chunks(sku_ids):
        existing_skus.update({s.sku_id: s for s in Sku.objects.filter(sku_id__in=chunk)})
        prices.update({p.sku_id: p for p in Price.objects.filter(sku_id__in=chunk)})
        stock.update(dict(Stock.objects.filter(sku_id__in=chunk).values_list("sku_id", "quantity")))
    return existing_items, existing_skus, prices, stock


def catalog_import(*, items: list[dict], progress: Callable[[int, int], None] | None = None) -> CatalogImportSummary:
    """Upsert validated items (from ``catalog.importing.parse_catalog``) in one transaction.

    Only rows that differ are written, so re-importing the same file is cheap. Raises
    ``CatalogFileError`` (and writes nothing) when the file would move a SKU to another
    item. ``progress(rows_written, rows_total)`` is called after each chunk written.
    """
    summary = CatalogImportSummary()
    existing_items, existing_skus, prices, stock = _load_existing(items)

    moved = [
        f"item {item['item_id']}: sku_id {sku['sku_id']} belongs to item {existing_skus[sku['sku_id']].item_id}"
        for item in items
        for sku in item["skus"]
        if sku["sku_id"] in existing_skus and existing_skus[sku["sku_id"]].item_id != item["item_id"]
    ]
    if moved:
        raise CatalogFileError("\n".join(moved))

    item_rows, sku_rows, price_rows, stock_rows = [], [], [], []
    for item in items:
        old_item = existing_items.get(item["item_id"])
        new_item = Item(
            item_id=item["item_id"],
            title=item["title"],
            category=item["category"],
            description=item["description"],
            image=item.get("image", ""),  # optional in the file: none is no image
            active=item["active"],
            features=item["features"],
        )
        fields = ("title", "category", "description", "image", "active", "features")
        if old_item is None:
            summary.items_created += 1
        elif any(getattr(old_item, f) != getattr(new_item, f) for f in fields):
            summary.items_updated += 1
        else:
            new_item = None
        if new_item is not None:
            item_rows.append(new_item)

        for sku in item["skus"]:
            sku_id = sku["sku_id"]
            old_sku = existing_skus.get(sku_id)
            was_sellable = old_sku is not None and old_sku.active and old_item is not None and old_item.active
            if was_sellable != (sku["active"] and item["active"]) and old_sku is not None:
                summary.availability_changed.add(sku_id)
            if old_sku is None:
                summary.skus_created += 1
            if old_sku is None or (old_sku.attributes, old_sku.active) != (sku["attributes"], sku["active"]):
                if old_sku is not None:
                    summary.skus_updated += 1
                sku_rows.append(
                    Sku(sku_id=sku_id, item_id=item["item_id"], attributes=sku["attributes"], active=sku["active"])
                )
            old_price = prices.get(sku_id)
            if old_price is None or (old_price.amount, old_price.currency) != (sku["price"], sku["currency"]):
                if old_price is not None:
                    summary.price_changed.add(sku_id)
                price_rows.append(Price(sku_id=sku_id, amount=sku["price"], currency=sku["currency"]))
            if stock.get(sku_id) != sku["stock"]:
                if sku_id in stock:
                    summary.stock_changed.add(sku_id)
                    if (stock[sku_id] > 0) != (sku["stock"] > 0):
                        summary.stock_crossed_zero.add(sku_id)
                stock_rows.append(Stock(sku_id=sku_id, quantity=sku["stock"]))

    writes = [
        (Item, item_rows, "item_id", ["title", "category", "description", "image", "active", "features", "updated_at"]),
        (Sku, sku_rows, "sku_id", ["attributes", "active", "updated_at"]),
        (Price, price_rows, "sku", ["amount", "currency", "updated_at"]),
        (Stock, stock_rows, "sku", ["quantity", "updated_at"]),
    ]
    total = sum(len(rows) for _, rows, _, _ in writes)
    if total == 0:
        return summary
    changed_items = {i.item_id for i in item_rows}
    touched = {s.sku_id for s in sku_rows} | {p.sku_id for p in price_rows} | {s.sku_id for s in stock_rows}
    touched |= {sku["sku_id"] for item in items for sku in item["skus"] if item["item_id"] in changed_items}
    recheck = summary.availability_changed | summary.stock_crossed_zero
    written = 0
    with transaction.atomic(using="default"):
        # The same events as an edit in admin: caches refreshed, cart lines re-marked.
        publish_sku_changes(sku_ids=touched - recheck)
        publish_sku_changes(sku_ids=recheck, recheck_lines=True)
        if item_rows or sku_rows:  # features, categories, attributes or activity changed
            transaction.on_commit(recommendations_invalidate, using="default")
        for model, rows, unique, update in writes:
            for chunk in _chunks(rows):
                _upsert(model, chunk, unique=unique, update=update)
                written += len(chunk)
                if progress:
                    progress(written, total)
    return summary
