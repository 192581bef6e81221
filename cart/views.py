"""Cart pages: parse the form, call one cart operation, redirect (or, for the page's
script, render the cart fragment). Guests and accounts share every line of this file."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cart.api.serializers import parse_line_id
from cart.forms import AddLineForm, SelectForm, UpdateLineForm, first_error
from cart.shopper import keeps_guest_cart, shopper_cart
from core.errors import ApiError

# Sent by static/js/cart.js: answer with the cart fragment instead of a redirect.
FRAGMENT_HEADER = "X-Cart-Fragment"


def _line(line_id: str) -> tuple[int, int]:
    parsed = parse_line_id(line_id)
    if parsed is None:
        raise Http404
    return parsed


def _done(request, *, status: int = 200, next_url: str | None = None):
    """Finish a cart form: the fragment for the page's script, else Post/Redirect/Get."""
    if request.headers.get(FRAGMENT_HEADER):
        response = render(request, "cart/_cart.html", {"cart": shopper_cart(request).view()}, status=status)
        response[FRAGMENT_HEADER] = "1"
        return response
    return redirect(next_url or "cart:detail")


@require_GET
@keeps_guest_cart
def cart_detail(request):
    return render(request, "cart/cart.html", {"cart": shopper_cart(request).view()})


@require_POST
@keeps_guest_cart
def cart_add(request):
    form = AddLineForm(request.POST)
    next_url = form.safe_next(request)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _done(request, status=400, next_url=next_url)
    try:
        change = shopper_cart(request).add(**{k: form.cleaned_data[k] for k in ("item_id", "sku_id", "quantity")})
    except ApiError as exc:
        messages.error(request, exc.detail)
        return _done(request, status=exc.status, next_url=next_url)
    if change.capped:
        messages.warning(request, "Added; that line is now at the most you can order (999).")
    else:
        messages.success(request, "Added to your cart.")
    return _done(request, next_url=next_url)


@require_POST
@keeps_guest_cart
def cart_line_update(request, line_id: str):
    item_id, sku_id = _line(line_id)
    form = UpdateLineForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _done(request, status=400)
    try:
        change = shopper_cart(request).update(item_id=item_id, sku_id=sku_id, **form.cleaned_data["change"])
    except ApiError as exc:
        messages.error(request, exc.detail)
        return _done(request, status=exc.status)
    if change.removed:
        messages.info(request, "Removed from your cart.")
    return _done(request)


@require_POST
@keeps_guest_cart
def cart_line_remove(request, line_id: str):
    item_id, sku_id = _line(line_id)
    try:
        shopper_cart(request).remove(item_id=item_id, sku_id=sku_id)
    except ApiError as exc:
        messages.error(request, exc.detail)
        return _done(request, status=exc.status)
    messages.info(request, "Removed from your cart.")
    return _done(request)


@require_POST
@keeps_guest_cart
def cart_select(request):
    form = SelectForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _done(request, status=400)
    try:
        shopper_cart(request).select(checked=form.cleaned_data["checked"])
    except ApiError as exc:
        messages.error(request, exc.detail)
        return _done(request, status=exc.status)
    return _done(request)
