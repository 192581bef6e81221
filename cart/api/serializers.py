"""Request bodies of the cart API. Strict: JSON numbers for numbers, no unknown fields."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cart.engine.lines import line_id, parse_line_id
from cart.services import MergePolicy
from core.api.fields import (
    IdField,
    StrictBooleanField,
    StrictIntegerField,
    StrictSerializer,
    plain_ints,
)
from core.ids import LINE_ID_PATTERN, MAX_ID

MAX_QUANTITY = 999


class AddLineIn(StrictSerializer):
    item_id = IdField()
    sku_id = IdField()
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY, required=False, default=1)

    @staticmethod
    def plain(data) -> dict | None:
        """The validated data of a plain valid body without a serializer (see ``plain_ints``)."""
        valid = plain_ints(data, _ADD_FIELDS, _ADD_REQUIRED)
        return None if valid is None else {"quantity": 1, **valid}


_ADD_FIELDS = {"item_id": (1, MAX_ID), "sku_id": (1, MAX_ID), "quantity": (1, MAX_QUANTITY)}
_ADD_REQUIRED = frozenset({"item_id", "sku_id"})


class UpdateLineIn(StrictSerializer):
    quantity = StrictIntegerField(min_value=0, max_value=MAX_QUANTITY, required=False)
    delta = StrictIntegerField(min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY, required=False)
    checked = StrictBooleanField(required=False)
    acknowledge_price = StrictBooleanField(required=False)

    # What ``validate`` checks, in the OpenAPI document's words.
    openapi_constraints = {
        "minProperties": 1,
        "not": {"required": ["quantity", "delta"]},
        "properties": {"delta": {"not": {"enum": [0]}}, "acknowledge_price": {"enum": [True]}},
    }

    def validate_delta(self, value):
        if value == 0:
            raise serializers.ValidationError("Must not be 0.")
        return value

    @staticmethod
    def plain(data) -> dict | None:
        """``{"quantity": n}`` without a serializer (see ``plain_ints``); None otherwise."""
        return plain_ints(data, _QUANTITY_FIELDS, _QUANTITY_REQUIRED)

    def validate(self, data):
        if not data:
            raise serializers.ValidationError(
                {"non_field_errors": ["Send at least one of quantity, delta, checked, acknowledge_price."]}
            )
        if "quantity" in data and "delta" in data:
            raise serializers.ValidationError({"delta": ["Send quantity or delta, not both."]})
        if data.get("acknowledge_price") is False:
            raise serializers.ValidationError({"acknowledge_price": ["Only true is meaningful."]})
        return data


_QUANTITY_FIELDS = {"quantity": (0, MAX_QUANTITY)}
_QUANTITY_REQUIRED = frozenset({"quantity"})


@extend_schema_field({"type": "string", "pattern": LINE_ID_PATTERN, "example": "17:42"})
class LineIdField(serializers.CharField):
    """A line id ``"<item_id>:<sku_id>"`` with both ids in range."""

    default_error_messages = {"invalid": 'Must be a line id "<item_id>:<sku_id>".'}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        parsed = parse_line_id(data)
        if parsed is None:
            self.fail("invalid")
        return line_id(*parsed)


class SelectionIn(StrictSerializer):
    checked = StrictBooleanField()
    ids = serializers.ListField(child=LineIdField(), required=False, max_length=settings.CART_MAX_LINES * 10)


class MergeLineIn(StrictSerializer):
    item_id = IdField()
    sku_id = IdField()
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)
    checked = StrictBooleanField(required=False)


class MergeIn(StrictSerializer):
    items = MergeLineIn(many=True, allow_empty=True, max_length=settings.CART_MAX_LINES)
    policy = serializers.ChoiceField(choices=[p.value for p in MergePolicy], required=False, default="max")

    openapi_constraints = {"properties": {"items": {"maxItems": settings.CART_MAX_LINES}}}

    def validate_items(self, items):
        ids = [line_id(i["item_id"], i["sku_id"]) for i in items]
        if len(set(ids)) != len(ids):  # beyond what the OpenAPI document can say
            raise serializers.ValidationError("Each line may appear once.")
        return items


class NoBodyIn(StrictSerializer):
    """A POST that takes nothing but its URL: an empty body or ``{}``; any field is refused."""
