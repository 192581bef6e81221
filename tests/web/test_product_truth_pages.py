"""What the pages say is true: one counting rule, an honest checkout button, and no
"Add to cart" for what cannot be bought (issue: product truth at add). Django's test
client; the same flows run in Chromium in ``test_browser.py``."""

import re

from django.test import Client

from cart.selectors import cart_get
from cart.services import cart_add_line, cart_select
from catalog.cache import sku_info_many
from catalog.models import Stock
from orders.models import Order
from tests.conftest import db_all
from tests.web.helpers import guest_cookie, make_sku
from tests.web.test_checkout_pages import checkout_form, put, text

pytestmark = db_all


def _checkout_button(page: str) -> str:
    return re.search(r'<button type="submit" id="checkout"[^>]*>', page).group(0)


# --- counts ------------------------------------------------------------------------------


def test_the_badge_counts_every_unit_and_selected_counts_what_checkout_would_buy(logged_in, user):
    shoe, towel, gone = make_sku("Trail shoe", "19.99"), make_sku("Plush towel", "28.99"), make_sku("Old lamp", stock=0)
    put(user, shoe, 2)
    put(user, towel, 3)
    put(user, gone, 1, status="out_of_stock")
    logged_in.post(f"/cart/lines/{towel.item_id}:{towel.sku_id}/update", {"has_checked": "1"})  # unchecked

    page = text(logged_in.get("/cart/"))

    assert re.search(r'class="cart-count" data-cart-count>6<', page)  # header: every unit
    assert 'Selected: <strong id="selected-count">2</strong> items' in page
    assert 'id="subtotal">$39.98<' in page
    summary = cart_get(user_id=user.pk).summary
    assert (summary.quantity, summary.checked_quantity, str(summary.checked_subtotal)) == (6, 2, "39.98")


def test_a_shared_cart_counts_only_what_was_available(logged_in, user):
    shoe, gone = make_sku("Trail shoe", "19.99"), make_sku("Old lamp", "50.00", stock=0)
    put(user, shoe, 2)
    put(user, gone, 1, status="out_of_stock")
    logged_in.post("/cart/share")
    token = re.search(r"/s/([A-Za-z0-9_-]{32})/", text(logged_in.get("/cart/"))).group(1)

    page = text(Client().get(f"/s/{token}/"))

    assert '<span id="shared-count">2</span> items; subtotal when shared: <strong id="shared-subtotal">$39.98<' in page
    assert "Items that were unavailable or out of stock when shared are not counted." in page


# --- the checkout button and its refusals ---------------------------------------------------


def test_nothing_buyable_selected_disables_checkout_with_the_reason(logged_in, user):
    gone = make_sku("Old lamp", "18.99", stock=0)
    put(user, gone, 1, status="out_of_stock")

    page = text(logged_in.get("/cart/"))

    assert "disabled" in _checkout_button(page)
    assert 'aria-describedby="checkout-blocked"' in _checkout_button(page)
    assert "None of the selected items can be bought right now" in page
    assert 'id="subtotal">$0.00<' in page


def test_nothing_selected_disables_checkout_with_the_reason(logged_in, user):
    put(user, make_sku("Trail shoe"))
    cart_select(user_id=user.pk, checked=False)

    page = text(logged_in.get("/cart/"))

    assert "disabled" in _checkout_button(page)
    assert "Select at least one item to check out." in page


def test_a_forced_checkout_with_nothing_buyable_says_so_and_never_claims_a_price_change(logged_in, user):
    gone = make_sku("Old lamp", "18.99", stock=0)
    put(user, gone, 1, status="out_of_stock")
    review = text(logged_in.get("/checkout/"))
    assert "Place order" not in review and "None of the selected items can be bought right now" in review
    # What an older page of the form posted: nothing to buy at 0.00.
    form = {"expected_total": "0.00", "version": str(cart_get(user_id=user.pk).version)}

    for _ in range(2):  # the loop the button used to lead into
        page = text(logged_in.post("/cart/checkout", form | {"submission": ""}, follow=True))
        assert "Nothing selected can be bought right now: Old lamp is unavailable or out of stock." in page
        assert "Prices changed" not in page
    assert not Order.objects.exists() and Stock.objects.get(sku=gone).quantity == 0


def test_a_page_older_than_the_cart_buys_nothing_and_says_why(logged_in, user):
    shoe = make_sku("Trail shoe", "19.99")
    put(user, shoe)
    form = checkout_form(logged_in)
    assert form["version"] == str(cart_get(user_id=user.pk).version)
    put(user, make_sku("Plush towel", "28.99"))  # from another device

    page = text(logged_in.post("/cart/checkout", form, follow=True))

    assert "Your cart changed since this page was shown; review it and check out again." in page
    assert "Prices changed" not in page
    assert not Order.objects.exists() and Stock.objects.get(sku=shoe).quantity == 50
    assert logged_in.post("/cart/checkout", checkout_form(logged_in)).status_code == 302
    assert str(Order.objects.get().total) == "48.98"


# --- adding from the product pages ------------------------------------------------------------


def test_an_out_of_stock_product_has_no_add_button_on_the_list(client):
    make_sku("Trail shoe", "19.99")
    gone = make_sku("Old lamp", "18.99", stock=0)

    page = text(client.get("/products/"))

    card = re.search(r'<li class="product-card">(?:(?!</li>).)*Old lamp.*?</li>', page).group(0)
    assert 'disabled aria-label="Old lamp is out of stock">Out of stock</button>' in card
    assert 'action="/cart/add"' not in card
    assert str(gone.sku_id) not in card
    shoe_card = re.search(r'<li class="product-card">(?:(?!</li>).)*Trail shoe.*?</li>', page).group(0)
    assert ">Add to cart</button>" in shoe_card


def test_an_out_of_stock_variant_is_offered_disabled(client):
    small = make_sku("Trail shoe", "19.99", size="41")
    large = make_sku("Trail shoe", "19.99", stock=0, size="44")
    large.item = small.item
    large.save()

    card = re.search(r'<li class="product-card">.*?</li>', text(client.get("/products/"))).group(0)
    assert f'<option value="{small.sku_id}">41 — $19.99</option>' in card
    assert f'<option value="{large.sku_id}" disabled>44 — out of stock</option>' in card

    page = text(client.get(f"/products/{small.item_id}/"))
    assert f'value="{small.sku_id}" checked>' in page
    assert f'value="{large.sku_id}" disabled>' in page
    assert ">Add to cart</button>" in page


def test_a_product_with_every_variant_sold_out_shows_out_of_stock(client):
    gone = make_sku("Old lamp", "18.99", stock=0)

    page = text(client.get(f"/products/{gone.item_id}/"))

    assert '<button type="button" class="button" disabled aria-describedby="sold-out">Out of stock</button>' in page
    assert "Every variant of this item is out of stock right now." in page
    assert ">Add to cart</button>" not in page


def test_a_forced_add_of_an_out_of_stock_sku_says_what_happened(logged_in, user, client):
    gone = make_sku("Old lamp", "18.99", stock=0)
    retired = make_sku("Brass lamp", "30.00")
    retired.active = False
    retired.save()
    for shopper in (logged_in, client):  # an account and a guest
        page = text(shopper.post("/cart/add", {"item_id": gone.item_id, "sku_id": gone.sku_id}, follow=True))
        assert "Old lamp is out of stock, so it was not added to your cart." in page
        page = text(shopper.post("/cart/add", {"item_id": retired.item_id, "sku_id": retired.sku_id}, follow=True))
        assert "Brass lamp is no longer available, so it was not added to your cart." in page
    assert cart_get(user_id=user.pk).items == []
    assert len(guest_cookie(client)) == 0


def test_a_forced_add_of_a_sku_under_another_item_is_refused(logged_in, user):
    shoe, towel = make_sku("Trail shoe"), make_sku("Plush towel")

    page = text(logged_in.post("/cart/add", {"item_id": towel.item_id, "sku_id": shoe.sku_id}, follow=True))

    assert "This item is no longer available, so it was not added to your cart." in page
    assert cart_get(user_id=user.pk).items == []


def test_added_names_the_item_and_links_to_the_cart(logged_in, user, client):
    shoe = make_sku("Trail shoe", "19.99")
    for shopper in (logged_in, client):
        page = text(shopper.post("/cart/add", {"item_id": shoe.item_id, "sku_id": shoe.sku_id}, follow=True))
        assert 'Added Trail shoe to your cart. <a href="/cart/">View cart</a>' in page


def test_an_account_add_from_a_page_is_born_with_its_status_and_price(logged_in, user):
    shoe = make_sku("Trail shoe", "19.99")

    logged_in.post("/cart/add", {"item_id": shoe.item_id, "sku_id": shoe.sku_id})

    (line,) = cart_get(user_id=user.pk).items
    assert (line.line.status, str(line.line.price_at_add)) == ("available", "19.99")
    page = text(logged_in.get("/cart/"))
    assert "Checking availability" not in page and 'id="subtotal">$19.99<' in page


def test_the_api_add_of_a_held_sku_needs_no_check_to_count(user):
    shoe = make_sku("Trail shoe", "19.99")
    sku_info_many([shoe.sku_id])
    cart_add_line(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id)
    assert str(cart_get(user_id=user.pk).summary.checked_subtotal) == "19.99"


def test_only_a_price_change_refusal_speaks_of_prices(rf, user):
    from core.errors import (
        CheckoutInProgress,
        InvalidInput,
        LineNotFound,
        NothingToBuy,
        PriceChanged,
        SoldOut,
        Unavailable,
        VersionMismatch,
    )
    from orders.views import _refusal_message

    shoe = make_sku("Trail shoe", "19.99")
    put(user, shoe)
    shoe_id = f"{shoe.item_id}:{shoe.sku_id}"
    request = rf.post("/cart/checkout")
    request.user = user
    messages = {
        kind.__name__: _refusal_message(exc, request)
        for kind, exc in [
            (PriceChanged, PriceChanged(ids=[shoe_id], total="21.00", currency="USD")),
            (Unavailable, Unavailable(ids=[shoe_id])),
            (SoldOut, SoldOut(ids=[shoe_id])),
            (NothingToBuy, NothingToBuy(ids=[shoe_id])),
            (VersionMismatch, VersionMismatch(current_version=7)),
            (LineNotFound, LineNotFound(ids=["1:1"])),
            (InvalidInput, InvalidInput({"ids": ["Your cart is empty: there is nothing to check out."]})),
            (CheckoutInProgress, CheckoutInProgress()),
        ]
    }

    assert messages == {
        "PriceChanged": "Prices changed; the new total is $21.00. Review your cart and check out again.",
        "Unavailable": "Trail shoe is no longer available. Remove it to check out.",
        "SoldOut": "Trail shoe is out of stock in that quantity. Lower the quantity or remove it.",
        "NothingToBuy": "Nothing selected can be bought right now: Trail shoe is unavailable or out of stock.",
        "VersionMismatch": "Your cart changed since this page was shown; review it and check out again.",
        "LineNotFound": "Your cart changed in the meantime; review it and check out again.",
        "InvalidInput": "Your cart is empty: there is nothing to check out.",
        "CheckoutInProgress": CheckoutInProgress.detail,
    }
    assert [name for name, text_ in messages.items() if "price" in text_.lower()] == ["PriceChanged"]
