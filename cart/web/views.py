"""Cart pages: parse the form, call one cart operation, redirect (or, for the page's
script, render the cart fragment). Guests and accounts share every line of this file."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from cart import sharing
from cart.engine.lines import CartLine, parse_line_id
from cart.engine.status import info_of_line
from cart.web.forms import AddLineForm, SelectForm, UpdateLineForm, first_error
from cart.web.shopper import keeps_guest_cart, shopper_cart
from cart.web.undo import undo_line, undo_token
from catalog.cache import sku_info_many
from catalog.recommendations import recommendations_for_page
from core.errors import ApiError, CartFull
from ops.switches import require_feature

# Sent by static/js/cart.js: answer with the cart fragment instead of a redirect.
FRAGMENT_HEADER = "X-Cart-Fragment"


def _line(line_id: str) -> tuple[int, int]:
    parsed = parse_line_id(line_id)
    if parsed is None:
        raise Http404
    return parsed


def _cart_context(request) -> dict:
    """What the cart fragment shows: the cart, and the saved-for-later lines."""
    cart = shopper_cart(request)
    return {"cart": cart.view(), "saved": cart.saved(), "max_lines": settings.CART_MAX_LINES}


def _done(request, *, status: int = 200, next_url: str | None = None):
    """Finish a cart form: the fragment for the page's script, else Post/Redirect/Get."""
    if request.headers.get(FRAGMENT_HEADER):
        response = render(request, "cart/_cart.html", _cart_context(request), status=status)
        response[FRAGMENT_HEADER] = "1"
        return response
    return redirect(next_url or "cart:detail")


@require_GET
@keeps_guest_cart
def cart_detail(request):
    if request.headers.get(FRAGMENT_HEADER):  # the page's script, after a change made elsewhere
        return _done(request)
    context = _cart_context(request)
    lines = (v.line for v in context["cart"].items)
    context["recommendations"] = recommendations_for_page(lines, limit=settings.RECOMMENDATIONS_PAGE_LIMIT)
    return render(request, "cart/cart.html", context)


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
    except CartFull as exc:
        messages.error(request, _cart_full_message(request, exc))
        return _done(request, status=exc.status, next_url=next_url)
    except ApiError as exc:
        messages.error(request, exc.detail)
        return _done(request, status=exc.status, next_url=next_url)
    title = change.info.title if change.info else "The item"
    cart_link = reverse("cart:detail")
    if change.capped:
        message = format_html(
            '{} is in your cart at the most you can order ({}). <a href="{}">View cart</a>',
            title,
            settings.CART_MAX_QUANTITY,
            cart_link,
        )
        messages.warning(request, message)
    else:
        messages.success(request, format_html('Added {} to your cart. <a href="{}">View cart</a>', title, cart_link))
    return _done(request, next_url=next_url)


def _cart_full_message(request, exc: CartFull) -> str:
    """A full cart is not a dead end for an account: saving items for later makes room."""
    if not request.user.is_authenticated:
        return exc.detail
    return format_html(
        'Your cart is full ({} different items). <a href="{}">Save some items for later</a> to make room.',
        settings.CART_MAX_LINES,
        reverse("cart:detail"),
    )


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
        messages.info(request, _removed_message(request, item_id, sku_id, change.removed_line))
    return _done(request)


@require_POST
@keeps_guest_cart
def cart_line_remove(request, line_id: str):
    item_id, sku_id = _line(line_id)
    try:
        change = shopper_cart(request).remove(item_id=item_id, sku_id=sku_id)
    except ApiError as exc:
        messages.error(request, exc.detail)
        return _done(request, status=exc.status)
    messages.info(request, _removed_message(request, item_id, sku_id, change.removed_line))
    return _done(request)


def _title(item_id: int, sku_id: int) -> str | None:
    info = info_of_line(sku_info_many([sku_id]).get(sku_id), item_id=item_id)
    return info.title if info is not None else None


def _removed_message(request, item_id: int, sku_id: int, removed: CartLine | None) -> str:
    """ "Removed Trail Running Shoe from your cart. [Undo]", naming the item when it is
    known; the Undo puts ``removed`` back as it was."""
    title = _title(item_id, sku_id)
    text = f"Removed {title} from your cart." if title else "Removed from your cart."
    if removed is None:
        return text
    return format_html(
        '{} <form method="post" action="{}" class="undo-form"><input type="hidden" name="csrfmiddlewaretoken" '
        'value="{}"><input type="hidden" name="line" value="{}"><button type="submit" class="link-button" '
        'id="undo-remove">Undo</button></form>',
        text,
        reverse("cart:undo"),
        get_token(request),
        undo_token(removed),
    )


@require_POST
@keeps_guest_cart
def cart_undo_remove(request):
    """Undo: the line just removed comes back with its quantity, selection and price at add."""
    line = undo_line(request.POST.get("line", ""))
    if line is None:
        messages.error(request, "That can no longer be undone.")
        return _done(request, status=400)
    try:
        change = shopper_cart(request).restore(line)
    except ApiError as exc:
        messages.error(request, exc.detail)
        return _done(request, status=exc.status)
    title = _title(line.item_id, line.sku_id) or "The item"
    if change.line is None:
        messages.info(request, f"{title} is already in your cart.")
    else:
        messages.success(request, f"{title} is back in your cart.")
    return _done(request)


# --- saved for later ---------------------------------------------------------------------


def _login_to_save(request):
    """Guests keep their cart in a cookie and have no saved list: saving asks them to log in."""
    messages.info(request, "Log in to save items for later. Your cart comes with you.")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': reverse('cart:detail')})}")


@require_POST
@keeps_guest_cart
def cart_line_save(request, line_id: str):
    """ "Save for later": the whole line moves from the cart to the saved list."""
    item_id, sku_id = _line(line_id)
    if not request.user.is_authenticated:
        return _login_to_save(request)
    try:
        shopper_cart(request).save_for_later(item_id=item_id, sku_id=sku_id)
    except ApiError as exc:
        messages.error(request, exc.detail)
        return _done(request, status=exc.status)
    title = _title(item_id, sku_id) or "The item"
    messages.success(request, f"Saved {title} for later. It stays below your cart until you move it back.")
    return _done(request)


@require_POST
@keeps_guest_cart
def saved_line_move(request, line_id: str):
    item_id, sku_id = _line(line_id)
    if not request.user.is_authenticated:
        return _login_to_save(request)
    title = _title(item_id, sku_id) or "The item"
    try:
        change = shopper_cart(request).move_to_cart(item_id=item_id, sku_id=sku_id)
    except CartFull:
        messages.error(
            request,
            f"Your cart is full ({settings.CART_MAX_LINES} different items), so {title} stayed saved. "
            "Remove an item or save one for later to make room.",
        )
        return _done(request, status=CartFull.status)
    except ApiError as exc:
        messages.error(request, exc.detail)
        return _done(request, status=exc.status)
    if change.capped:
        messages.warning(
            request, f"Moved {title} to your cart, at the most you can order ({settings.CART_MAX_QUANTITY})."
        )
    else:
        messages.success(request, f"Moved {title} to your cart.")
    return _done(request)


@require_POST
@keeps_guest_cart
def saved_line_delete(request, line_id: str):
    item_id, sku_id = _line(line_id)
    if not request.user.is_authenticated:
        return _login_to_save(request)
    try:
        shopper_cart(request).saved_remove(item_id=item_id, sku_id=sku_id)
    except ApiError as exc:
        messages.error(request, exc.detail)
        return _done(request, status=exc.status)
    title = _title(item_id, sku_id)
    messages.info(request, f"Deleted {title} from your saved items." if title else "Deleted from your saved items.")
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


# Sent by static/js/cart.js with the share form: answer with the link as JSON.
SHARE_HEADER = "X-Share-Link"


@require_POST
@keeps_guest_cart
def cart_share(request):
    """Create a share link; the script gets JSON, a plain form a message with the link."""
    try:
        require_feature("sharing")
        link = sharing.cart_share(cart=shopper_cart(request).view())
    except ApiError as exc:
        if request.headers.get(SHARE_HEADER):
            return JsonResponse(exc.as_body(), status=exc.status)
        messages.error(request, exc.detail)
        return redirect("cart:detail")
    url = request.build_absolute_uri(reverse("cart:shared", args=[link.token]))
    if request.headers.get(SHARE_HEADER):
        return JsonResponse({"url": url, "expires_at": link.snapshot.expires_at.isoformat()})
    until = f"{link.snapshot.expires_at:%d %B %Y}"
    messages.success(request, f"Anyone with this link can see your cart until {until}: {url}")
    return redirect("cart:detail")


@require_GET
def shared_cart(request, token: str):
    try:
        snapshot = sharing.shared_cart_get(token=token)
    except sharing.SharedCartNotFound:
        raise Http404 from None
    return render(request, "cart/shared.html", {"snapshot": snapshot, "token": token})


@require_POST
def shared_cart_import(request, token: str):
    """ "Add all to my cart": merge with the merge rules, then show the cart."""
    if not request.user.is_authenticated:
        # Guest carts live in a cookie without the merge rules; the login merges that
        # cookie and comes back here.
        messages.info(request, "Log in to add these items to your cart.")
        next_url = reverse("cart:shared", args=[token])
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': next_url})}")
    try:
        result = sharing.shared_cart_import(user_id=request.user.pk, token=token)
    except sharing.SharedCartNotFound:
        raise Http404 from None
    except ApiError as exc:
        messages.error(request, exc.detail)
        return redirect("cart:shared", token=token)
    messages.success(request, _import_message(result))
    return redirect("cart:detail")


def _import_message(result) -> str:
    added = sum(1 for m in result.merged if m.action == "added")
    raised = sum(1 for m in result.merged if m.action == "raised")
    parts = [f"Added {added} item{'s' if added != 1 else ''} to your cart"]
    if raised:
        parts.append(f"raised the quantity of {raised}")
    message = ", ".join(parts) + "."
    if result.skipped:
        count = len(result.skipped)
        message += (
            f" {count} item{'s' if count != 1 else ''} did not fit: "
            f"a cart holds at most {settings.CART_MAX_LINES} different items."
        )
    return message
