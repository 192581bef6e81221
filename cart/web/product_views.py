"""Product pages: read through the catalog selectors, render."""

import re

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cart.web.shopper import keeps_guest_cart
from catalog.selectors import products_dress, products_queryset
from core.ids import MAX_ID

PAGE_SIZE = 24
_CANONICAL_ID = re.compile(r"[0-9]{1,19}")


@require_GET
@keeps_guest_cart
def product_list(request):
    page = Paginator(products_queryset(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "products/list.html", {"page": page, "products": products_dress(list(page.object_list))})


@require_GET
@keeps_guest_cart
def product_detail(request, item_id: str):
    if not _CANONICAL_ID.fullmatch(item_id) or not 1 <= int(item_id) <= MAX_ID:
        raise Http404
    item = products_queryset().filter(item_id=int(item_id)).first()
    if item is None:
        raise Http404
    return render(request, "products/detail.html", {"product": products_dress([item])[0]})
