"""Share links: create one of the caller's cart, read one (no login), import one."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cart import selectors, sharing
from cart.api import schemas
from cart.api.conditions import IDEMPOTENCY_KEY, IF_MATCH, expected_version, respond_once
from cart.api.presenters import merge_json, merge_report, summary_json
from cart.api.replays import merge_payload
from cart.api.views import parse_body
from cart.services import MergePolicy
from core.api.dates import iso_utc
from core.api.fields import StrictSerializer
from core.api.schema import errors
from ops.ratelimit import NonCoreThrottle
from ops.switches import require_feature


class ShareIn(StrictSerializer):
    """No fields: the snapshot is of the cart as it is now."""


class ImportIn(StrictSerializer):
    policy = serializers.ChoiceField(choices=[p.value for p in MergePolicy], required=False, default="max")


ShareOut = inline_serializer(
    "ShareLink",
    {"token": serializers.CharField(), "url": serializers.URLField(), "expires_at": serializers.DateTimeField()},
)
SharedCartOut = inline_serializer(
    "SharedCart",
    {
        "items": inline_serializer(
            "SharedLine",
            {
                "id": serializers.CharField(),
                "item_id": serializers.IntegerField(),
                "sku_id": serializers.IntegerField(),
                "quantity": serializers.IntegerField(),
                "status": serializers.CharField(),
                "title": serializers.CharField(allow_null=True),
                "sku_attributes": serializers.DictField(child=serializers.CharField()),
                "unit_price": serializers.CharField(allow_null=True),
                "currency": serializers.CharField(),
            },
            many=True,
        ),
        "created_at": serializers.DateTimeField(),
        "expires_at": serializers.DateTimeField(),
        "summary": inline_serializer(
            "SharedCartSummary",
            {
                "lines": serializers.IntegerField(),
                "quantity": serializers.IntegerField(),
                "checked_lines": serializers.IntegerField(),
                "checked_quantity": serializers.IntegerField(),
                "checked_subtotal": serializers.CharField(),
                "subtotal": serializers.CharField(help_text="The same as checked_subtotal"),
                "currency": serializers.CharField(),
            },
        ),
    },
)


def share_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("cart:shared", args=[token]))


def snapshot_json(snapshot: sharing.Snapshot) -> dict:
    """A snapshot as the API shows it: lines with the cart's field names, as shared."""
    s = snapshot.summary
    return {
        "items": [
            {
                "id": line.id,
                "item_id": line.item_id,
                "sku_id": line.sku_id,
                "quantity": line.quantity,
                "status": line.status,
                "title": line.title,
                "sku_attributes": line.sku_attributes,
                "unit_price": None if line.unit_price is None else str(line.unit_price),
                "currency": line.currency,
            }
            for line in snapshot.lines
        ],
        "created_at": iso_utc(snapshot.created_at),
        "expires_at": iso_utc(snapshot.expires_at),
        "summary": {**summary_json(s), "subtotal": str(s.subtotal)},
    }


SHARE_TOKEN = OpenApiParameter(
    "token", {"type": "string", "pattern": f"^{sharing.TOKEN_PATTERN.pattern}$"}, OpenApiParameter.PATH
)


class ShareView(APIView):
    throttle_classes = [NonCoreThrottle]

    @extend_schema(
        request=None,
        responses={201: ShareOut, **errors(_409="`cart_empty`: the cart has no lines to share.")},
        parameters=[IDEMPOTENCY_KEY],
        summary="Create a share link to a snapshot of the cart (503 degraded when switched off)",
    )
    def post(self, request):
        require_feature("sharing")
        parse_body(ShareIn, request)

        def share():
            link = sharing.cart_share(cart=selectors.cart_get(user_id=request.user.pk))
            body = {
                "token": link.token,
                "url": share_url(request, link.token),
                "expires_at": iso_utc(link.snapshot.expires_at),
            }
            return status.HTTP_201_CREATED, body

        return respond_once(request, share)


class SharedCartView(APIView):
    throttle_classes = [NonCoreThrottle]
    # Anyone with the link may read it; a stale token header must not turn that into a 401.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: SharedCartOut, **errors(_404="`not_found`: no shared cart by that token, or it expired.")},
        parameters=[SHARE_TOKEN],
        summary="A shared cart (no login; 404 unknown or expired)",
    )
    def get(self, request, token: str):
        return Response(snapshot_json(sharing.shared_cart_get(token=token)))


class SharedCartImportView(APIView):
    throttle_classes = [NonCoreThrottle]

    @extend_schema(
        request=ImportIn,
        responses={200: schemas.MergeOut, **errors(_404="`not_found`: no shared cart by that token, or it expired.")},
        parameters=[SHARE_TOKEN, IF_MATCH, IDEMPOTENCY_KEY],
        summary="Merge a shared cart into the caller's cart (merge rules; skipped lines listed)",
    )
    def post(self, request, token: str):
        data = parse_body(ImportIn, request)
        version = expected_version(request)

        def import_():
            result = sharing.shared_cart_import(
                user_id=request.user.pk, token=token, policy=MergePolicy(data["policy"]), expected_version=version
            )
            body = merge_json(user_id=request.user.pk, result=result)
            return status.HTTP_200_OK, body, merge_payload(result.cart, merge_report(result))

        return respond_once(request, import_)
