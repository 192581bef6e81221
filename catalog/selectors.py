"""Reads of the catalog for product pages and the products API."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from catalog.models import Item, Sku
from catalog.search import titles_matching
from pricing.money import Money
from pricing.selectors import price_effective_many


@dataclass(frozen=True, slots=True)
class ProductSku:
    sku: Sku
    price: Money | None
    stock: int | None

    @property
    def for_sale(self) -> bool:
        """Sold and priced: shown with its price."""
        return self.sku.sellable and self.price is not None

    @property
    def in_stock(self) -> bool:
        """Not known to be sold out (no stock record means not tracked)."""
        return self.stock is None or self.stock > 0

    @property
    def orderable(self) -> bool:
        """What an "Add to cart" button may offer."""
        return self.for_sale and self.in_stock


@dataclass(frozen=True, slots=True)
class Product:
    item: Item
    skus: list[ProductSku]

    @property
    def skus_for_sale(self) -> list[ProductSku]:
        return [s for s in self.skus if s.for_sale]

    @property
    def orderable(self) -> bool:
        return any(s.orderable for s in self.skus)

    @property
    def first_orderable_sku_id(self) -> int | None:
        """The variant a product page preselects."""
        return next((s.sku.sku_id for s in self.skus if s.orderable), None)


def products_queryset() -> QuerySet[Item]:
    return Item.objects.order_by("item_id").prefetch_related(
        Prefetch("skus", queryset=Sku.objects.select_related("stock").order_by("sku_id"))
    )


def products_search(*, query: str = "", category: str = "") -> QuerySet[Item]:
    """Return the items whose title has every word of ``query`` (``catalog.search``), of
    ``category`` when one is given, in item order, ready for ``products_dress``.

    An empty query, or one with no letters or digits, matches every item.
    """
    items = products_queryset()
    if category:
        items = items.filter(category=category)
    return titles_matching(items, query)


@dataclass(frozen=True, slots=True)
class CategoryCount:
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class CategoryCounts:
    total: int  # every item that matches, with a category or without
    categories: list[CategoryCount]  # by name; none with no match, none for ""


def categories_count(*, query: str = "") -> CategoryCounts:
    """Count the items that match ``query`` (every item for an empty query) in each
    category and in all. One query."""
    rows = titles_matching(Item.objects.all(), query).order_by("category").values_list("category")
    counts = list(rows.annotate(count=Count("item_id")))
    return CategoryCounts(
        total=sum(count for _, count in counts),
        categories=[CategoryCount(name=name, count=count) for name, count in counts if name],
    )


def products_dress(items: list[Item]) -> list[Product]:
    """Attach current prices and stock to a page of items: a fixed number of queries."""
    skus = [sku for item in items for sku in item.skus.all()]
    prices = price_effective_many(sku_ids=[s.sku_id for s in skus])
    return [
        Product(
            item=item,
            skus=[
                ProductSku(
                    sku=sku, price=prices.get(sku.sku_id), stock=getattr(getattr(sku, "stock", None), "quantity", None)
                )
                for sku in item.skus.all()
            ],
        )
        for item in items
    ]
