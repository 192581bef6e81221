"""``GET /api/v1/cart/recommendations``: items like the ones in the caller's cart."""

import re

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cart.selectors import cart_get_raw
from catalog.recommendations import MAX_LIMIT, recommendations_for_lines
from core.errors import InvalidInput
from ops.ratelimit import NonCoreThrottle
from ops.switches import require_feature

DEFAULT_LIMIT = 10
_DIGITS = re.compile(r"[0-9]{1,3}")

RecommendationsOut = inline_serializer(
    "Recommendations",
    {
        "items": inline_serializer(
            "Recommendation",
            {
                "item_id": serializers.IntegerField(),
                "title": serializers.CharField(),
                "score": serializers.FloatField(),
            },
            many=True,
        )
    },
)


def _limit(request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    # ASCII digits only: int() would also take " 7", "+7", "1_0" or non-ASCII digits.
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidInput({"limit": [f"Must be an integer from 1 to {MAX_LIMIT}."]})
    return int(raw)


class RecommendationsView(APIView):
    throttle_classes = [NonCoreThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description=f"1 to {MAX_LIMIT}; default {DEFAULT_LIMIT}",
            )
        ],
        responses={200: RecommendationsOut},
        summary="Items similar to the cart's, best first (503 degraded when switched off)",
    )
    def get(self, request):
        require_feature("recommendations")
        limit = _limit(request)
        cart = cart_get_raw(user_id=request.user.pk)
        items = recommendations_for_lines(cart.lines, limit=limit)
        return Response({"items": [{"item_id": r.item_id, "title": r.title, "score": r.score} for r in items]})
