import re

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from catalog.images import image_url
from catalog.selectors import Product, products_dress, products_queryset
from core.api.schema import errors
from core.ids import ID_PATTERN
from ops.ratelimit import CoreReadThrottle

_CANONICAL_ID = re.compile(ID_PATTERN)  # 1..MAX_ID, no leading zeros: one URL per product


class ProductOut(serializers.Serializer):
    """OpenAPI shape of a product (rendering is ``product_json``)."""

    item_id = serializers.IntegerField()
    title = serializers.CharField()
    active = serializers.BooleanField()
    image = serializers.CharField(
        allow_null=True, help_text="Absolute URL of the product's image; null when it has none."
    )
    skus = inline_serializer(
        "ProductSku",
        {
            "sku_id": serializers.IntegerField(),
            "attributes": serializers.DictField(child=serializers.CharField()),
            "price": serializers.CharField(allow_null=True),
            "currency": serializers.CharField(allow_null=True),
            "stock": serializers.IntegerField(allow_null=True),
            "active": serializers.BooleanField(),
        },
        many=True,
    )


def product_json(product: Product, request) -> dict:
    image = image_url(product.item.image)
    return {
        "item_id": product.item.item_id,
        "title": product.item.title,
        "active": product.item.active,
        "image": request.build_absolute_uri(image) if image else None,
        "skus": [
            {
                "sku_id": s.sku.sku_id,
                "attributes": s.sku.attributes,
                "price": str(s.price.amount) if s.price else None,
                "currency": s.price.currency if s.price else None,
                "stock": s.stock,
                "active": s.sku.active,
            }
            for s in product.skus
        ],
    }


@extend_schema_view(
    get=extend_schema(
        responses={200: ProductOut(many=True), **errors(_404="`not_found`: no such page.")},
        summary="Products, paginated",
    )
)
class ProductListView(ListAPIView):
    permission_classes = [AllowAny]
    throttle_classes = [CoreReadThrottle]
    queryset = products_queryset()
    serializer_class = ProductOut

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([product_json(p, request) for p in products_dress(page)])


class ProductDetailView(GenericAPIView):
    permission_classes = [AllowAny]
    throttle_classes = [CoreReadThrottle]

    @extend_schema(
        responses={200: ProductOut, **errors(_404="`not_found`: no product by that id.")},
        parameters=[
            OpenApiParameter("item_id", {"type": "string", "pattern": f"^{ID_PATTERN}$"}, OpenApiParameter.PATH)
        ],
        summary="One product",
    )
    def get(self, request, item_id: str):
        if not _CANONICAL_ID.fullmatch(item_id):
            raise Http404
        item = products_queryset().filter(item_id=int(item_id)).first()
        if item is None:
            raise Http404
        return Response(product_json(products_dress([item])[0], request))
