"""Staff view of one user's cart: Redis and the user's shard side by side."""

from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.shortcuts import render

from cart.engine.codec import line_agrees_with_row
from cart.engine.lines import line_id
from cart.engine.store import CartStore
from cart.models import Cart, CartItem
from core.sharding import shard_for_user


def cart_lookup(request):
    query = request.GET.get("user", "").strip()
    context = {"title": "Cart lookup", "query": query, "site_header": "Cart service administration"}
    if query:
        users = get_user_model().objects
        user = users.filter(pk=int(query)).first() if query.isdigit() else users.filter(username=query).first()
        context["user_found"] = user
        if user is not None:
            context["shard"] = shard_for_user(user.pk)
            cached = CartStore().read_many([user.pk])[user.pk]
            context["redis_version"] = cached.version if cached else None
            redis_lines = {line.id: line for line in cached.lines} if cached else {}
            try:
                rows = {line_id(r.item_id, r.sku_id): r for r in CartItem.objects.for_user(user.pk)}
                context["mysql_version"] = Cart.objects.for_user(user.pk).values_list("version", flat=True).first()
            except DatabaseError as exc:
                rows, context["mysql_error"] = {}, str(exc)
            context["rows"] = [
                {
                    "id": lid,
                    "redis": redis_lines.get(lid),
                    "mysql": rows.get(lid),
                    "same": line_agrees_with_row(redis_lines.get(lid), rows.get(lid)),
                }
                for lid in sorted(set(redis_lines) | set(rows))
            ]
    return render(request, "admin/cart_lookup.html", context)
