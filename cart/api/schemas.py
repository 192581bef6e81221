"""OpenAPI shapes of the cart responses (documentation only; rendering is in presenters)."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

_line_fields = {
    "id": serializers.CharField(),
    "item_id": serializers.IntegerField(),
    "sku_id": serializers.IntegerField(),
    "quantity": serializers.IntegerField(),
    "checked": serializers.BooleanField(),
    "status": serializers.ChoiceField(choices=["available", "unavailable", "out_of_stock", "unknown"]),
    "title": serializers.CharField(allow_null=True),
    "sku_attributes": serializers.DictField(child=serializers.CharField()),
    "unit_price": serializers.CharField(allow_null=True),
    "currency": serializers.CharField(),
    "price_at_add": serializers.CharField(allow_null=True),
    "price_change": serializers.CharField(allow_null=True),
    "stock": serializers.IntegerField(allow_null=True),
    "added_at": serializers.DateTimeField(),
    "updated_at": serializers.DateTimeField(),
}

LineOut = inline_serializer(
    "CartLineChange",
    {
        **_line_fields,
        "cart_version": serializers.IntegerField(),
        "capped": serializers.BooleanField(required=False),
        "removed": serializers.BooleanField(required=False),
    },
)

SummaryOut = inline_serializer(
    "CartSummary",
    {
        "lines": serializers.IntegerField(),
        "quantity": serializers.IntegerField(),
        "checked_lines": serializers.IntegerField(),
        "checked_quantity": serializers.IntegerField(),
        "checked_subtotal": serializers.CharField(),
        "currency": serializers.CharField(),
    },
)

_cart_fields = {
    "user_id": serializers.IntegerField(),
    "version": serializers.IntegerField(),
    "max_lines": serializers.IntegerField(),
    "items": inline_serializer("CartLine", _line_fields, many=True),
    "summary": SummaryOut,
}

CartOut = inline_serializer("Cart", _cart_fields)

MergeOut = inline_serializer(
    "CartAfterMerge",
    {
        **_cart_fields,
        "skipped": serializers.ListField(child=serializers.CharField()),
        "merged": serializers.ListField(
            child=inline_serializer(
                "MergedLine",
                {
                    "id": serializers.CharField(),
                    "action": serializers.ChoiceField(choices=["added", "raised", "kept"]),
                    "quantity": serializers.IntegerField(),
                },
            )
        ),
    },
)

_saved_line_fields = {
    **{name: field for name, field in _line_fields.items() if name != "checked"},
    "saved_at": serializers.DateTimeField(),
}

SavedOut = inline_serializer(
    "SavedForLater",
    {
        "version": serializers.IntegerField(),
        "max_lines": serializers.IntegerField(),
        "items": inline_serializer("SavedLine", _saved_line_fields, many=True),
    },
)

SavedLineOut = inline_serializer(
    "SavedLineMove",
    {"cart_version": serializers.IntegerField(), "saved": inline_serializer("SavedLineMoved", _saved_line_fields)},
)

MovedLineOut = inline_serializer(
    "SavedLineBackInCart",
    {
        "cart_version": serializers.IntegerField(),
        "line": inline_serializer("LineBackInCart", _line_fields),
        "capped": serializers.BooleanField(required=False),
    },
)
