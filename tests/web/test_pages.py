"""Every page and form through Django's test client, as a guest and logged in."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from cart.selectors import cart_get
from cart.services import cart_add_line
from cart.web.guest import COOKIE_NAME, GuestCart, GuestLine
from catalog.cache import sku_info_refresh
from pricing.models import Price
from tests.conftest import db_all
from tests.web.helpers import deactivate, guest_cookie, line_path, make_sku, mark_checked, sell_out

pytestmark = db_all


@pytest.fixture
def shoe():
    return make_sku("Trail shoe", "19.99", size="42")


@pytest.fixture
def towel():
    return make_sku("Plush towel", "28.99", colour="Olive")


def add(client, sku, quantity=1, **extra):
    data = {"item_id": sku.item_id, "sku_id": sku.sku_id, "quantity": quantity, **extra}
    return client.post("/cart/add", data)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- catalog pages ------------------------------------------------------------------------


def test_the_product_list_shows_price_stock_hint_and_add_to_cart(client, shoe):
    make_sku("Last pair", "5.00", stock=2)
    for path in ("/", "/products/"):
        page = text(client.get(path))
        assert "Trail shoe" in page and "$19.99" in page and "In stock" in page
        assert "Only 2 left" in page and "Add to cart" in page


def test_the_product_list_is_paginated(client):
    for n in range(30):
        make_sku(f"Thing {n}")
    first, second = text(client.get("/products/")), text(client.get("/products/?page=2"))
    assert "Page 1 of 2" in first and first.count('class="product-card"') == 24
    assert second.count('class="product-card"') == 6
    assert client.get("/products/?page=banana").status_code == 200


def test_the_product_page_offers_each_sku_and_a_quantity(client, shoe):
    page = text(client.get(f"/products/{shoe.item_id}/"))
    assert "Trail shoe" in page and "size: 42" in page and 'name="quantity"' in page
    assert f'value="{shoe.sku_id}"' in page


@pytest.mark.parametrize("item_id", ["999999", "0", "9" * 25, "abc", "١٢"])
def test_unknown_or_malformed_product_ids_are_404(client, item_id):
    assert client.get(f"/products/{item_id}/").status_code == 404


def test_an_inactive_sku_cannot_be_added_from_the_product_page(client, shoe):
    deactivate(shoe)
    page = text(client.get(f"/products/{shoe.item_id}/"))
    assert "This item is no longer available" in page and "Add to cart" not in page


# --- the guest cart -----------------------------------------------------------------------


def test_a_guest_adds_changes_and_removes_lines_in_the_cookie(client, shoe, towel):
    assert add(client, shoe, 2).status_code == 302
    add(client, towel)
    add(client, shoe)  # grows the line
    assert [(g.sku_id, g.quantity) for g in guest_cookie(client).lines] == [(shoe.sku_id, 3), (towel.sku_id, 1)]

    client.post(line_path(shoe, "update"), {"delta": "1"})
    client.post(line_path(towel, "update"), {"quantity": "7", "has_checked": "1"})  # unchecked
    assert [(g.quantity, g.checked) for g in guest_cookie(client).lines] == [(4, True), (7, False)]

    client.post(line_path(shoe, "remove"))
    assert [g.sku_id for g in guest_cookie(client).lines] == [towel.sku_id]


def test_the_guest_cart_page_shows_lines_subtotal_and_header_count(client, shoe, towel):
    add(client, shoe, 2)
    add(client, towel)
    page = text(client.get("/cart/"))
    assert "Trail shoe" in page and "size: 42" in page and "colour: Olive" in page
    assert 'id="subtotal">$68.97<' in page  # 2 x 19.99 + 28.99: guest lines are checked at once
    assert 'id="selected-count">3<' in page
    assert re.search(r'class="cart-count" data-cart-count\s*>3<', page)
    assert "Log in</a> or" in page


def test_unchecking_a_guest_line_takes_it_out_of_the_subtotal(client, shoe, towel):
    add(client, shoe)
    add(client, towel)
    client.post(line_path(towel, "update"), {"has_checked": "1"})
    assert 'id="subtotal">$19.99<' in text(client.get("/cart/"))
    client.post("/cart/select", {"checked": "1"})
    assert 'id="subtotal">$48.98<' in text(client.get("/cart/"))
    client.post("/cart/select", {"checked": "0"})
    assert 'id="subtotal">$0.00<' in text(client.get("/cart/"))


def test_an_unavailable_guest_line_is_grayed_out_and_not_counted(client, shoe, towel):
    add(client, shoe)
    add(client, towel)
    deactivate(towel)
    page = text(client.get("/cart/"))
    assert "This item is no longer available" in page and "is-gone" in page
    assert 'id="subtotal">$19.99<' in page


def test_an_out_of_stock_guest_line_says_so(client):
    sold_out = make_sku("Sold out")
    add(client, sold_out)
    sell_out(sold_out)
    page = text(client.get("/cart/"))
    assert "Out of stock" in page and 'id="subtotal">$0.00<' in page


def test_a_guest_line_shows_how_its_price_changed_since_it_was_added(client, shoe, towel):
    add(client, shoe)
    add(client, towel)
    Price.objects.filter(sku=shoe).update(amount=Decimal("17.99"))
    Price.objects.filter(sku=towel).update(amount=Decimal("31.99"))
    sku_info_refresh([shoe.sku_id, towel.sku_id])  # what the price event does
    add(client, shoe)  # growing a line keeps the price it was first added at

    page = text(client.get("/cart/"))

    assert "Price dropped by $2.00" in page and "Price rose by $3.00" in page
    assert [(g.sku_id, g.quantity, g.price_at_add) for g in guest_cookie(client).lines] == [
        (shoe.sku_id, 2, Decimal("19.99")),
        (towel.sku_id, 1, Decimal("28.99")),
    ]
    assert 'id="subtotal">$67.97<' in page  # today's prices: 2 x 17.99 + 31.99


def test_the_empty_cart_has_its_own_state(client):
    page = text(client.get("/cart/"))
    assert "Your cart is empty." in page and "Browse products" in page and "Subtotal" not in page


def test_the_guest_cart_holds_at_most_120_lines(client, shoe):
    cart = GuestCart([GuestLine(1000 + n, 700_000 + n, 1) for n in range(120)])
    client.cookies[COOKIE_NAME] = cart.to_cookie()
    response = add(client, shoe)
    assert response.status_code == 302
    assert len(guest_cookie(client)) == 120
    assert "A cart holds at most 120 different items." in text(client.get("/cart/"))


def test_a_tampered_cookie_is_dropped_never_a_500(client, shoe):
    add(client, shoe)
    client.cookies[COOKIE_NAME] = client.cookies[COOKIE_NAME].value[:-4] + "abcd"
    for path in ("/cart/", "/products/", f"/products/{shoe.item_id}/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.cookies[COOKIE_NAME].value == ""  # deleted
        assert response.cookies[COOKIE_NAME]["max-age"] == 0
        client.cookies[COOKIE_NAME] = "garbage"
    assert "Your cart is empty." in text(client.get("/cart/"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quantity": "abc", "has_checked": "1"}, "Enter a quantity from 0 to 999."),
        ({"quantity": "1000"}, "Enter a quantity from 0 to 999."),
        ({"quantity": "-1"}, "Enter a quantity from 0 to 999."),
        ({"delta": "0"}, "The step cannot be 0."),
        ({}, "Nothing to change."),
    ],
)
def test_bad_line_input_is_a_message_not_a_500(client, shoe, data, message):
    add(client, shoe, 2)
    response = client.post(line_path(shoe, "update"), data, follow=True)
    assert response.status_code == 200 and message in text(response)
    assert guest_cookie(client).lines[0].quantity == 2


@pytest.mark.parametrize("data", [{"quantity": "abc"}, {"quantity": "0"}, {"sku_id": ""}, {"item_id": "x"}])
def test_bad_add_input_is_a_message_not_a_500(client, shoe, data):
    response = client.post("/cart/add", {"item_id": shoe.item_id, "sku_id": shoe.sku_id, **data}, follow=True)
    assert response.status_code == 200
    assert 'class="message message-error"' in response.content.decode()
    assert len(guest_cookie(client)) == 0


def test_changing_a_line_that_is_gone_is_a_message(client, shoe):
    response = client.post(line_path(shoe, "update"), {"quantity": "2"}, follow=True)
    assert response.status_code == 200 and "That line is not in your cart." in text(response)


@pytest.mark.parametrize("line_id", ["1", "a:b", "0:1", f"{2**63}:1", "1:2:3"])
def test_malformed_line_ids_are_404(client, line_id):
    assert client.post(f"/cart/lines/{line_id}/update", {"quantity": "1"}).status_code == 404


def test_add_goes_back_to_a_local_next_only(client, shoe):
    assert add(client, shoe, next="/products/?page=2")["Location"] == "/products/?page=2"
    assert add(client, shoe, next="https://evil.example/")["Location"] == "/cart/"


def test_the_cart_pages_refuse_get_on_forms(client):
    assert client.get("/cart/add").status_code == 405
    assert client.get("/cart/select").status_code == 405


def test_a_script_request_gets_the_cart_fragment(client, shoe):
    add(client, shoe)
    response = client.post(line_path(shoe, "update"), {"delta": "1"}, HTTP_X_CART_FRAGMENT="1")
    assert response.status_code == 200 and response["X-Cart-Fragment"] == "1"
    body = text(response)
    assert body.strip().startswith('<section id="cart"') and 'data-cart-count="2"' in body and "<html" not in body
    bad = client.post(line_path(shoe, "update"), {"quantity": "abc"}, HTTP_X_CART_FRAGMENT="1")
    assert bad.status_code == 400 and "Enter a quantity" in text(bad)


# --- logged in ----------------------------------------------------------------------------


def test_a_logged_in_shopper_uses_the_account_cart(logged_in, user, shoe, towel):
    add(logged_in, shoe, 2)
    add(logged_in, towel)
    assert COOKIE_NAME not in logged_in.cookies
    logged_in.post(line_path(shoe, "update"), {"delta": "-1"})
    logged_in.post(line_path(towel, "remove"))
    assert [(v.line.sku_id, v.line.quantity) for v in cart_get(user_id=user.pk).items] == [(shoe.sku_id, 1)]


def test_the_account_cart_page_shows_statuses_and_price_changes(logged_in, user, shoe, towel):
    gone = make_sku("Discontinued lamp", "40.00")
    sold_out = make_sku("Popular mug", "9.00")
    for sku in (shoe, towel, gone, sold_out):  # API adds of SKUs no cache holds: checked later
        cart_add_line(user_id=user.pk, item_id=sku.item_id, sku_id=sku.sku_id)
    sell_out(sold_out)
    mark_checked(user.pk, shoe, price_at_add="21.99")  # it cost more when added
    mark_checked(user.pk, towel, price_at_add="25.99")
    mark_checked(user.pk, gone)
    mark_checked(user.pk, sold_out, "out_of_stock")
    deactivate(gone)
    page = text(logged_in.get("/cart/"))
    assert "Price dropped by $2.00" in page and "Price rose by $3.00" in page
    assert "This item is no longer available" in page and "Out of stock" in page
    assert page.count("cart-line is-gone") == 2
    assert 'id="subtotal">$48.98<' in page


def test_lines_not_checked_yet_say_so_and_are_not_counted(logged_in, user, shoe):
    # An API add of a SKU no cache holds yet (a page add would have filled the cache).
    cart_add_line(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id)
    page = text(logged_in.get("/cart/"))
    assert "Checking availability" in page and 'id="subtotal">$0.00<' in page


def test_unchecking_an_account_line_changes_the_subtotal(logged_in, user, shoe, towel):
    add(logged_in, shoe)
    add(logged_in, towel)
    mark_checked(user.pk, shoe)
    mark_checked(user.pk, towel)
    assert 'id="subtotal">$48.98<' in text(logged_in.get("/cart/"))
    logged_in.post(line_path(towel, "update"), {"has_checked": "1"})
    assert 'id="subtotal">$19.99<' in text(logged_in.get("/cart/"))


def test_a_full_account_cart_shows_cart_full_as_a_message_that_offers_saving(logged_in, user, shoe):
    for n in range(120):
        cart_add_line(user_id=user.pk, item_id=1 + n, sku_id=900_000 + n)
    response = add(logged_in, shoe)
    assert response.status_code == 302
    page = text(logged_in.get("/cart/"))
    assert "Your cart is full (120 different items)." in page
    assert '<a href="/cart/">Save some items for later</a> to make room.' in page
    assert len(cart_get(user_id=user.pk).items) == 120


def test_the_header_count_costs_no_extra_cart_read_on_the_cart_page(logged_in, user, shoe, monkeypatch):
    add(logged_in, shoe, 3)
    from cart import selectors

    reads = []
    real = selectors.cart_get_raw
    monkeypatch.setattr(selectors, "cart_get_raw", lambda **kw: reads.append(kw) or real(**kw))
    page = text(logged_in.get("/cart/"))
    assert re.search(r"data-cart-count\s*>3<", page) and len(reads) == 1
    reads.clear()
    assert re.search(r"data-cart-count\s*>3<", text(logged_in.get("/products/"))) and len(reads) == 1


# --- CSRF ---------------------------------------------------------------------------------


@pytest.fixture
def strict(shoe):
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize(
    "path",
    [
        "/cart/add",
        "/cart/select",
        "/cart/lines/1:2/update",
        "/cart/lines/1:2/remove",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/logout/",
    ],
)
def test_every_form_refuses_a_post_without_the_csrf_token(strict, path):
    response = strict.post(path, {"item_id": 1, "sku_id": 2, "checked": "1", "quantity": "1"})
    assert response.status_code == 403
    assert COOKIE_NAME not in response.cookies


def test_a_post_with_the_pages_csrf_token_applies(strict, shoe):
    page = strict.get(f"/products/{shoe.item_id}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = strict.post("/cart/add", {"item_id": shoe.item_id, "sku_id": shoe.sku_id, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and len(guest_cookie(strict)) == 1


def test_every_page_form_carries_a_csrf_token(client, shoe):
    add(client, shoe)
    for path in ("/products/", f"/products/{shoe.item_id}/", "/cart/", "/accounts/login/", "/accounts/signup/"):
        page = client.get(path).content.decode()
        forms = re.findall(r"<form\b.*?</form>", page, flags=re.S)
        assert forms, path
        for form in forms:
            if 'method="post"' in form:
                assert "csrfmiddlewaretoken" in form, (path, form[:80])


def test_each_line_shows_its_total_and_its_unit_price_when_more_than_one(client, shoe, towel):
    add(client, shoe, 3)
    add(client, towel)
    page = text(client.get("/cart/"))
    assert '<span class="line-total">$59.97</span> <span class="line-unit">$19.99 each</span>' in page
    assert '<span class="line-total">$28.99</span></p>' in page  # one: the total is the price


def test_removing_a_line_names_the_item(client, shoe, towel):
    add(client, shoe)
    add(client, towel)
    client.post(line_path(shoe, "remove"))
    assert "Removed Trail shoe from your cart." in text(client.get("/cart/"))
    client.post(line_path(towel, "update"), {"quantity": "0", "has_checked": "1"})
    assert "Removed Plush towel from your cart." in text(client.get("/cart/"))


def test_no_template_comment_spans_lines():
    # Django's {# #} ends at the line's end: one spread over two lines is shown to shoppers
    # as text (the review page once did). Longer comments use {% comment %}.
    from pathlib import Path

    from django.conf import settings

    unclosed = [
        f"{path.relative_to(settings.BASE_DIR)}:{number}"
        for folder in settings.TEMPLATES[0]["DIRS"]
        for path in Path(folder).rglob("*.html")
        for number, text in enumerate(path.read_text().splitlines(), start=1)
        if text.count("{#") != text.count("#}")
    ]
    assert unclosed == []


def test_the_review_shows_no_template_syntax(logged_in, user, shoe):
    cart_add_line(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id)
    mark_checked(user.pk, shoe)

    page = text(logged_in.get("/checkout/"))

    assert "Review your order" in page
    assert "{#" not in page and "#}" not in page and "{%" not in page
