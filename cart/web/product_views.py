"""Product pages: read through the catalog selectors, render."""

import re
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cart.web.shopper import keeps_guest_cart
from catalog.search import MAX_QUERY_LENGTH
from catalog.selectors import categories_count, products_dress, products_queryset, products_search
from core.ids import MAX_ID

PAGE_SIZE = 24
MAX_CATEGORY_LENGTH = 64  # Item.category
_CANONICAL_ID = re.compile(r"[0-9]{1,19}")


@require_GET
@keeps_guest_cart
def product_list(request):
    """All products, or those of ``?category=`` whose titles match ``?q=``, paginated."""
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH].strip()
    category = request.GET.get("category", "")[:MAX_CATEGORY_LENGTH].strip()
    page = Paginator(products_search(query=query, category=category), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "products/list.html",
        {
            "page": page,
            "products": products_dress(list(page.object_list)),
            "query": query,
            "category": category,
            "categories": categories_count(query=query),
            # What the page links keep: the search and the category, without empty ones.
            "filters": urlencode([(k, v) for k, v in (("q", query), ("category", category)) if v]),
            "query_only": urlencode({"q": query}) if query else "",
        },
    )


@require_GET
@keeps_guest_cart
def product_detail(request, item_id: str):
    if not _CANONICAL_ID.fullmatch(item_id) or not 1 <= int(item_id) <= MAX_ID:
        raise Http404
    item = products_queryset().filter(item_id=int(item_id)).first()
    if item is None:
        raise Http404
    return render(request, "products/detail.html", {"product": products_dress([item])[0]})
