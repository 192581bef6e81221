"""Checkout: the review page, placing the order, and the shopper's order pages.

"Proceed to checkout" on the cart page leads to the review (``/checkout/``): what will be
bought, at what prices, and what is left out and why. Only its "Place order" buys. The
form posts what the review showed: the subtotal as ``expected_total`` and
the ids of the lines counted in it, so the shopper buys exactly what was on screen, at that
total, or is told why not. Price, stock and the order itself are ``checkout_place_order``'s.

Each rendering of the form carries a one-time ``submission`` token, used as an
idempotency key: the same form sent twice (a double-click with scripts off, a reload of
the POST) places one order, and the second answer leads to that order too, not to a
cart that now looks changed.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cart.api.replays import replayed_body
from cart.engine.idempotency import request_fingerprint, run_once
from cart.engine.lines import parse_line_id
from cart.selectors import CartView
from cart.templatetags.shop import money
from cart.web.forms import first_error
from cart.web.shopper import shopper_cart
from core.errors import (
    ApiError,
    InvalidInput,
    LineNotFound,
    NothingToBuy,
    PriceChanged,
    SoldOut,
    Unavailable,
    VersionMismatch,
)
from orders.checkout import checkout_place_order
from orders.selectors import order_get, orders_for_user

ORDERS_PAGE_SIZE = 20


class LineIdsField(forms.Field):
    """Any number of ``ids`` inputs, each a canonical line id; none means "not sent"."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str] | None:
        return list(value) if value else None

    def validate(self, value) -> None:
        if value is None:
            return
        if len(value) > settings.CART_MAX_LINES or any(parse_line_id(v) is None for v in value):
            raise forms.ValidationError("Your cart changed in the meantime; review it and check out again.")


class CheckoutForm(forms.Form):
    expected_total = forms.DecimalField(
        min_value=0,
        max_digits=14,
        decimal_places=2,
        error_messages={"required": "Reload your cart and check out again."},
    )
    ids = LineIdsField(required=False)
    # The cart version the page showed (its If-Match): a cart changed since is reviewed
    # again, never bought blind.
    version = forms.IntegerField(required=False, min_value=0, max_value=2**63 - 1)
    submission = forms.CharField(required=False, max_length=64)


def _names(ids: list[str], cart: CartView) -> tuple[str, bool]:
    """The titles of these lines as prose ("A, B and C") and whether there is more than one."""
    titles = {v.line.id: (v.info.title if v.info else "") or "An item" for v in cart.items}
    named = [titles.get(line_id, "An item") for line_id in dict.fromkeys(ids)]
    text = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return text, len(named) > 1


def _refusal_message(exc: ApiError, request) -> str:
    """What the cart page says when checkout refused: the lines by name, never bare ids."""
    if isinstance(exc, PriceChanged):
        total = money(exc.extra.get("total"), exc.extra.get("currency", ""))
        return f"Prices changed; the new total is {total}. Review your cart and check out again."
    if isinstance(exc, VersionMismatch):
        return "Your cart changed since this page was shown; review it and check out again."
    if isinstance(exc, Unavailable | SoldOut) and exc.extra.get("ids"):
        names, many = _names(exc.extra["ids"], shopper_cart(request).view())
        verb = "are" if many else "is"
        if isinstance(exc, NothingToBuy):
            return f"Nothing selected can be bought right now: {names} {verb} unavailable or out of stock."
        if isinstance(exc, Unavailable):
            return f"{names} {verb} no longer available. Remove {'them' if many else 'it'} to check out."
        return f"{names} {verb} out of stock in that quantity. Lower the quantity or remove {'them' if many else 'it'}."
    if isinstance(exc, LineNotFound):
        return "Your cart changed in the meantime; review it and check out again."
    if isinstance(exc, InvalidInput):
        for errors in exc.extra.get("fields", {}).values():
            return errors[0]
    return exc.detail


def _place(request, ids: list[str] | None, expected_total, version: int | None) -> tuple[int, dict]:
    """Check out; the outcome as (status, body) so that a repeated submission replays it:
    the order's id, or what the page says about a refusal."""
    try:
        placed = checkout_place_order(
            user_id=request.user.pk, ids=ids, expected_total=expected_total, expected_version=version
        )
    except ApiError as exc:
        if not exc.replayable:
            raise  # nothing was settled: a resubmission runs for real
        return exc.status, {"message": _refusal_message(exc, request)}
    return 201, {"order_id": placed.order.pk}


@require_GET
def checkout_review(request):
    """What "Place order" would buy, and the lines it would leave out with the reason."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("orders:review"))
    cart = shopper_cart(request).view()
    context = {
        "cart": cart,
        "buying": [v for v in cart.items if v.counts_in_subtotal],
        "left_out": [v for v in cart.items if not v.counts_in_subtotal],
    }
    return render(request, "orders/review.html", context)


@require_POST
def checkout(request):
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("orders:review"))
    form = CheckoutForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect("orders:review")
    ids, expected_total, version, submission = (
        form.cleaned_data[f] for f in ("ids", "expected_total", "version", "submission")
    )
    try:
        if submission:
            outcome = run_once(
                user_id=request.user.pk,
                client_key=f"checkout-form:{submission}",
                fingerprint=request_fingerprint(
                    method="POST",
                    path=request.path,
                    data={"ids": ids, "expected_total": str(expected_total), "version": version},
                ),
                compute=lambda: _place(request, ids, expected_total, version),
            )
            status, body = (
                outcome.status,
                outcome.body if not outcome.replayed else replayed_body(outcome.stored, user_id=request.user.pk),
            )
        else:
            status, body = _place(request, ids, expected_total, version)
    except ApiError as exc:
        messages.error(request, _refusal_message(exc, request))
        return redirect("orders:review")
    if status != 201:
        messages.error(request, body["message"])
        return redirect("orders:review")
    messages.success(request, "Thank you! Your order is placed.")
    return redirect("orders:detail", order_id=body["order_id"])


@require_GET
@login_required
def order_list(request):
    page = Paginator(orders_for_user(user_id=request.user.pk), ORDERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/list.html", {"page": page, "orders": page.object_list})


@require_GET
@login_required
def order_detail(request, order_id: int):
    order = order_get(user_id=request.user.pk, order_id=order_id)
    if order is None:
        raise Http404
    return render(request, "orders/detail.html", {"order": order, "lines": order.lines.all()})
