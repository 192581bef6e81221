"""POST /api/v1/checkout: parse, place the order, render. Nothing else."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.views import APIView

from cart.api.conditions import IDEMPOTENCY_KEY, IF_MATCH, expected_version, respond_once
from cart.api.serializers import LineIdField
from cart.engine.lines import line_id
from core.api.dates import iso_utc
from core.api.fields import DecimalStringField, StrictSerializer
from core.api.schema import errors
from ops.ratelimit import CoreWriteThrottle
from orders.checkout import PlacedOrder, checkout_place_order


class CheckoutIn(StrictSerializer):
    ids = serializers.ListField(
        child=LineIdField(), required=False, allow_empty=False, max_length=settings.CART_MAX_LINES
    )
    expected_total = DecimalStringField(required=False)

    openapi_constraints = {"properties": {"ids": {"minItems": 1}}}


OrderOut = inline_serializer(
    "Order",
    {
        "order_id": serializers.IntegerField(),
        "total": serializers.CharField(),
        "currency": serializers.CharField(),
        "created_at": serializers.DateTimeField(),
        "lines": inline_serializer(
            "OrderLine",
            {
                "id": serializers.CharField(),
                "item_id": serializers.IntegerField(),
                "sku_id": serializers.IntegerField(),
                "title": serializers.CharField(),
                "sku_attributes": serializers.DictField(child=serializers.CharField()),
                "quantity": serializers.IntegerField(),
                "unit_price": serializers.CharField(),
                "line_total": serializers.CharField(),
                "currency": serializers.CharField(),
            },
            many=True,
        ),
    },
)


def order_json(placed: PlacedOrder) -> dict:
    order = placed.order
    return {
        "order_id": order.pk,
        "lines": [
            {
                "id": line_id(line.item_id, line.sku_id),
                "item_id": line.item_id,
                "sku_id": line.sku_id,
                "title": line.title,
                "sku_attributes": line.attributes,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "line_total": str(line.line_total),
                "currency": order.currency,
            }
            for line in placed.lines
        ],
        "total": str(order.total),
        "currency": order.currency,
        "created_at": iso_utc(order.created_at),
    }


class CheckoutView(APIView):
    throttle_classes = [CoreWriteThrottle]

    @extend_schema(
        request=CheckoutIn,
        responses={
            201: OrderOut,
            **errors(
                _404="`line_not_found`: a line in `ids` is not in your cart (`ids` names them).",
                _409=(
                    "`sold_out`, `unavailable` or `price_changed`: a line cannot be sold as shown (`ids` names "
                    "them), or nothing checked is available; `checkout_in_progress`: another checkout of this "
                    "cart is running."
                ),
            ),
        },
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        summary="Buy the checked lines (or the listed ones) at real-time prices and stock",
    )
    def post(self, request):
        serializer = CheckoutIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = expected_version(request)

        def place():
            placed = checkout_place_order(
                user_id=request.user.pk,
                ids=data.get("ids"),
                expected_total=data.get("expected_total"),
                expected_version=version,
            )
            return status.HTTP_201_CREATED, order_json(placed)

        return respond_once(request, place)
