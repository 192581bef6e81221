"""Cart endpoints: parse, call one service, render. Nothing else."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from cart import selectors, services
from cart.api import schemas
from cart.api.conditions import (
    IDEMPOTENCY_KEY,
    IF_MATCH,
    etag,
    expected_version,
    keyed_request,
    not_modified,
    respond_once,
)
from cart.api.one_call import OneCallView, request_store
from cart.api.presenters import cart_body, line_change_json, merge_json, merge_report, raw_cart_json
from cart.api.replays import cart_payload, merge_payload
from cart.api.serializers import AddLineIn, MergeIn, SelectionIn, UpdateLineIn
from cart.engine.lines import parse_line_id
from core.api.schema import errors
from core.errors import InvalidInput
from core.ids import LINE_ID_PATTERN
from ops.ratelimit import CoreReadThrottle, CoreWriteThrottle

LINE_ID = OpenApiParameter(
    "line_id", {"type": "string", "pattern": LINE_ID_PATTERN}, OpenApiParameter.PATH, description='"<item_id>:<sku_id>"'
)


def parse_body(serializer_class, request) -> dict:
    plain = getattr(serializer_class, "plain", None)
    if plain is not None and (data := plain(request.data)) is not None:
        return data
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def line_path(line_id: str) -> tuple[int, int]:
    parsed = parse_line_id(line_id)
    if parsed is None:
        raise InvalidInput({"id": ['Must be a line id "<item_id>:<sku_id>" of positive 64-bit integers.']})
    return parsed


def _with_etag(response: Response, version: int) -> Response:
    response["ETag"] = etag(version)
    return response


class CartView(OneCallView):
    throttle_classes = [CoreReadThrottle]

    @extend_schema(responses={200: schemas.CartOut, 304: None}, summary="The caller's cart")
    def get(self, request):
        raw = selectors.cart_get_raw(user_id=request.user.pk, store=request_store(request))
        if not_modified(request, raw.version):
            return _with_etag(Response(status=status.HTTP_304_NOT_MODIFIED), raw.version)
        # Bytes rendered already (see cart.api.render_cache), so no DRF Response to render.
        body = cart_body(user_id=request.user.pk, raw=raw)
        return _with_etag(HttpResponse(body, content_type="application/json"), raw.version)


class CartItemsView(OneCallView):
    throttle_classes = [CoreWriteThrottle]

    @extend_schema(
        request=AddLineIn,
        responses={200: schemas.LineOut, **errors(_409="`cart_full`: a new line would make more than 120.")},
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        summary="Add a SKU to the cart",
    )
    def post(self, request):
        data = parse_body(AddLineIn, request)
        change = services.cart_add_line(
            user_id=request.user.pk,
            expected_version=expected_version(request),
            store=request_store(request),
            keyed=keyed_request(request),
            **data,
        )
        response = _with_etag(Response(line_change_json(change)), change.cart_version)
        if change.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class CartItemView(OneCallView):
    throttle_classes = [CoreWriteThrottle]

    @extend_schema(
        request=UpdateLineIn,
        responses={200: schemas.LineOut, **errors(_404="`line_not_found`: the line is not in your cart.")},
        parameters=[LINE_ID, IF_MATCH],
        summary="Change quantity, checked flag or acknowledge a price change",
    )
    def patch(self, request, line_id: str):
        item_id, sku_id = line_path(line_id)
        data = parse_body(UpdateLineIn, request)
        change = services.cart_update_line(
            user_id=request.user.pk,
            item_id=item_id,
            sku_id=sku_id,
            expected_version=expected_version(request),
            store=request_store(request),
            **data,
        )
        return _with_etag(Response(line_change_json(change)), change.cart_version)

    @extend_schema(responses={204: None}, parameters=[LINE_ID, IF_MATCH], summary="Remove a line (idempotent)")
    def delete(self, request, line_id: str):
        item_id, sku_id = line_path(line_id)
        change = services.cart_remove_line(
            user_id=request.user.pk,
            item_id=item_id,
            sku_id=sku_id,
            expected_version=expected_version(request),
            store=request_store(request),
        )
        return _with_etag(Response(status=status.HTTP_204_NO_CONTENT), change.cart_version)


class SelectionView(OneCallView):
    throttle_classes = [CoreWriteThrottle]

    @extend_schema(
        request=SelectionIn,
        responses={200: schemas.CartOut},
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        summary="Check or uncheck every line or the listed ones",
    )
    def post(self, request):
        data = parse_body(SelectionIn, request)
        version = expected_version(request)

        def select():
            cart = services.cart_select(
                user_id=request.user.pk,
                checked=data["checked"],
                ids=data.get("ids"),
                expected_version=version,
                store=request_store(request),
            )
            return status.HTTP_200_OK, raw_cart_json(user_id=request.user.pk, raw=cart), cart_payload(cart)

        return respond_once(request, select)


class MergeView(OneCallView):
    throttle_classes = [CoreWriteThrottle]

    @extend_schema(
        request=MergeIn,
        responses={200: schemas.MergeOut},
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        summary="Merge a guest cart into the caller's cart",
    )
    def post(self, request):
        data = parse_body(MergeIn, request)
        version = expected_version(request)

        def merge():
            result = services.cart_merge(
                user_id=request.user.pk,
                entries=[services.MergeEntry(**item) for item in data["items"]],
                policy=services.MergePolicy(data["policy"]),
                expected_version=version,
                store=request_store(request),
            )
            body = merge_json(user_id=request.user.pk, result=result)
            return status.HTTP_200_OK, body, merge_payload(result.cart, merge_report(result))

        return respond_once(request, merge)
