"""Saved-for-later endpoints (API.md, "Saved for later"): parse, call one service, render."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from cart import selectors, services
from cart.api import schemas
from cart.api.conditions import IDEMPOTENCY_KEY, IF_MATCH, etag, expected_version, not_modified, respond_once
from cart.api.one_call import OneCallView, request_store
from cart.api.presenters import moved_to_cart_json, moved_to_saved_json, saved_json
from cart.api.serializers import NoBodyIn
from cart.api.views import LINE_ID, line_path, parse_body
from core.api.schema import errors
from ops.ratelimit import CoreReadThrottle, CoreWriteThrottle


class SavedView(OneCallView):
    throttle_classes = [CoreReadThrottle]

    @extend_schema(responses={200: schemas.SavedOut, 304: None}, summary="The caller's saved-for-later lines")
    def get(self, request):
        saved = selectors.saved_get(user_id=request.user.pk, store=request_store(request))
        if not_modified(request, saved.version):
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = Response(saved_json(saved))
        response["ETag"] = etag(saved.version)
        return response


def _move_once(request, line_id: str, move, present) -> Response:
    """A move between the lists: ``move`` is the service, ``present`` renders its change.
    Takes no body; honours If-Match and Idempotency-Key; answers with the cart's ETag."""
    item_id, sku_id = line_path(line_id)
    parse_body(NoBodyIn, request)
    version = expected_version(request)

    def compute():
        change = move(
            user_id=request.user.pk,
            item_id=item_id,
            sku_id=sku_id,
            expected_version=version,
            store=request_store(request),
        )
        return status.HTTP_200_OK, present(change)

    response = respond_once(request, compute)
    if response.status_code == status.HTTP_200_OK:
        response["ETag"] = etag(response.data["cart_version"])
    return response


class SaveForLaterView(OneCallView):
    throttle_classes = [CoreWriteThrottle]

    @extend_schema(
        request=None,
        responses={
            200: schemas.SavedLineOut,
            **errors(
                _404="`line_not_found`: the line is not in your cart.",
                _409="`saved_full`: the list holds 500 lines already.",
            ),
        },
        parameters=[LINE_ID, IF_MATCH, IDEMPOTENCY_KEY],
        summary="Move a cart line to saved for later",
    )
    def post(self, request, line_id: str):
        return _move_once(request, line_id, services.cart_save_for_later, moved_to_saved_json)


class MoveToCartView(OneCallView):
    throttle_classes = [CoreWriteThrottle]

    @extend_schema(
        request=None,
        responses={
            200: schemas.MovedLineOut,
            **errors(
                _404="`line_not_found`: the line is not in your saved list.",
                _409="`cart_full`: it would be a new line of a full cart; nothing moves.",
            ),
        },
        parameters=[LINE_ID, IF_MATCH, IDEMPOTENCY_KEY],
        summary="Move a saved line back into the cart",
    )
    def post(self, request, line_id: str):
        return _move_once(request, line_id, services.cart_move_to_cart, moved_to_cart_json)


class SavedLineView(OneCallView):
    throttle_classes = [CoreWriteThrottle]

    @extend_schema(responses={204: None}, parameters=[LINE_ID, IF_MATCH], summary="Delete a saved line (idempotent)")
    def delete(self, request, line_id: str):
        item_id, sku_id = line_path(line_id)
        change = services.saved_remove_line(
            user_id=request.user.pk,
            item_id=item_id,
            sku_id=sku_id,
            expected_version=expected_version(request),
            store=request_store(request),
        )
        response = Response(status=status.HTTP_204_NO_CONTENT)
        response["ETag"] = etag(change.cart_version)
        return response
