"""Floor endpoints for `make bench`, mounted only with BENCHMARK_ENDPOINTS=1.

They do the least a cart request could do, under the same server, middleware and
authentication, so the cart's figures can be read as a fraction of the floor.
"""

from django.db import OperationalError, transaction
from django.utils import timezone
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cart.engine import keys
from cart.models import Cart, CartItem
from core.api.fields import IdField
from core.redis_client import get_redis

_INCREMENT = "return redis.call('HINCRBY', KEYS[1], 'n', 1)"
# InnoDB's deadlock (1213) and lock wait timeout (1205): the transaction was rolled
# back whole, so running it again is what any application on this design must do.
_LOCK_CONFLICTS = frozenset({1205, 1213})
_ATTEMPTS = 10


class BareView(APIView):
    """Authentication and a JSON body: the cost of DRF itself."""

    def get(self, request):
        return Response({"user_id": request.user.pk})


class OneScriptView(APIView):
    """One EVALSHA: the floor of a cart mutation."""

    script = None

    def post(self, request):
        if OneScriptView.script is None:
            OneScriptView.script = get_redis().register_script(_INCREMENT)
        return Response({"n": OneScriptView.script(keys=[f"{keys.cart_key(request.user.pk)}:bench"])})


class HgetallView(APIView):
    """One HGETALL of the caller's cart: the floor of a cart read."""

    def get(self, request):
        return Response({"fields": len(get_redis().hgetall(keys.cart_key(request.user.pk)))})


class _SyncAddSerializer(serializers.Serializer):
    item_id = IdField(default=1)


class SyncMysqlAddView(APIView):
    """The naive design: write the shard synchronously, serialized per user by locking
    the cart header row, then update or insert the line."""

    def post(self, request):
        body = _SyncAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user_id, item_id = request.user.pk, body.validated_data["item_id"]
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                quantity = self._add(user_id, item_id)
                break
            except OperationalError as error:
                # A new shopper's first requests race to create the cart header: each
                # duplicate-key check takes a shared lock, then each wants the exclusive one.
                if error.args[0] not in _LOCK_CONFLICTS or attempt == _ATTEMPTS:
                    raise
        return Response({"quantity": quantity})

    @staticmethod
    def _add(user_id: int, item_id: int) -> int:
        rows = CartItem.objects.for_user(user_id)
        now = timezone.now()
        with transaction.atomic(using=rows.db):
            Cart.objects.for_user(user_id).select_for_update().get_or_create(
                user_id=user_id, defaults={"version": 0, "update_time": now}
            )
            row = rows.select_for_update().filter(item_id=item_id, sku_id=item_id).first()
            if row is None:
                rows.create(
                    user_id=user_id,
                    item_id=item_id,
                    sku_id=item_id,
                    quantity=1,
                    version=1,
                    create_time=now,
                    update_time=now,
                )
                return 1
            quantity = min(row.quantity + 1, 999)
            rows.filter(item_id=item_id, sku_id=item_id).update(
                quantity=quantity, update_time=now, version=row.version + 1
            )
            return quantity
