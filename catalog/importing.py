"""Validation of the ``loadcatalog`` file format (API.md, "Operations")."""

from rest_framework import serializers

from catalog.images import MAX_IMAGE_LENGTH, validate_image
from core.api.fields import DecimalStringField, StrictIntegerField
from core.ids import MAX_ID


class SkuImportSerializer(serializers.Serializer):
    sku_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
    attributes = serializers.DictField(child=serializers.CharField(max_length=100), required=False, default=dict)
    active = serializers.BooleanField(required=False, default=True)
    price = DecimalStringField()
    currency = serializers.RegexField(r"^[A-Z]{3}$", error_messages={"invalid": "Must be a 3-letter ISO 4217 code."})
    stock = StrictIntegerField(min_value=0, max_value=2**31 - 1)


class ItemImportSerializer(serializers.Serializer):
    item_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
    title = serializers.CharField(max_length=200)
    active = serializers.BooleanField(required=False, default=True)
    category = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    # A static path or an https URL (catalog.images); absent, null or "": no image.
    image = serializers.CharField(
        max_length=MAX_IMAGE_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        default="",
        validators=[validate_image],
    )
    features = serializers.ListField(child=serializers.FloatField(), required=False, default=list, max_length=512)
    skus = SkuImportSerializer(many=True, allow_empty=False)

    def validate_image(self, value: str | None) -> str:
        return value or ""


def _flatten(errors, path=""):
    """Turn DRF's nested error structure into "skus[0].price: message" lines."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            if isinstance(key, int):  # a list's errors, keyed by index
                yield from _flatten(value, f"{path}[{key}]")
            else:
                yield from _flatten(value, f"{path}.{key}" if path else str(key))
    elif isinstance(errors, list) and errors and not isinstance(errors[0], str):
        for index, value in enumerate(errors):
            if value:
                yield from _flatten(value, f"{path}[{index}]")
    else:
        for message in errors if isinstance(errors, list) else [errors]:
            yield f"{path}: {message}" if path else str(message)


class CatalogFileError(ValueError):
    """The file cannot be imported; ``str()`` names every bad item."""


def parse_catalog(document) -> list[dict]:
    """Validate a decoded catalog file and return its items as clean dicts.

    Raises ``CatalogFileError`` listing every problem, each prefixed with the item it
    is about, so an operator can fix the whole file in one go.
    """
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise CatalogFileError('The file must be a JSON object with an "items" list.')
    problems: list[str] = []
    items: list[dict] = []
    seen_items: dict[int, int] = {}
    seen_skus: dict[int, int] = {}
    for index, raw in enumerate(document["items"]):
        label = f"item #{index}"
        if isinstance(raw, dict) and isinstance(raw.get("item_id"), int):
            label = f"item {raw['item_id']} (#{index})"
        serializer = ItemImportSerializer(data=raw)
        if not serializer.is_valid():
            problems.extend(f"{label}: {line}" for line in _flatten(serializer.errors))
            continue
        item = serializer.validated_data
        if item["item_id"] in seen_items:
            problems.append(f"{label}: item_id repeats item #{seen_items[item['item_id']]}")
        seen_items[item["item_id"]] = index
        for sku in item["skus"]:
            owner = seen_skus.get(sku["sku_id"])
            if owner is not None:
                problems.append(f"{label}: sku_id {sku['sku_id']} also appears in item {owner}")
            seen_skus[sku["sku_id"]] = item["item_id"]
        items.append(item)
    if problems:
        shown = problems[:50]
        more = f"\n… and {len(problems) - 50} more problems" if len(problems) > 50 else ""
        raise CatalogFileError("\n".join(shown) + more)
    return items
