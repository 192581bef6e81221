"""Checkout from the cart page and the order pages, through Django's test client."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client

from cart.selectors import cart_get
from cart.services import cart_add_line, cart_select
from catalog.cache import sku_info_refresh
from catalog.models import Stock
from orders.models import Order, OrderLine
from pricing.models import Price
from tests.conftest import db_all
from tests.factories import UserFactory
from tests.web.helpers import deactivate, make_sku, mark_checked

pytestmark = db_all


@pytest.fixture
def shoe():
    return make_sku("Trail shoe", "19.99", size="42")


@pytest.fixture
def towel():
    return make_sku("Plush towel", "28.99", colour="Olive")


def put(user, sku, quantity=1, status="available"):
    """A line in the user's cart, already through the asynchronous catalog check."""
    cart_add_line(user_id=user.pk, item_id=sku.item_id, sku_id=sku.sku_id, quantity=quantity)
    mark_checked(user.pk, sku, status)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def checkout_form(client) -> dict:
    """What the review page's "Place order" form would post, read from the page."""
    page = client.get("/checkout/").content.decode()
    form = re.search(r'<form method="post" action="/cart/checkout".*?</form>', page, re.S)
    assert form, "no order form on the review page"
    hidden = re.findall(
        r'<input type="hidden" name="(expected_total|ids|submission|version)" value="([^"]*)">', form.group(0)
    )
    return {
        "expected_total": next(value for name, value in hidden if name == "expected_total"),
        "ids": [value for name, value in hidden if name == "ids"],
        "submission": next(value for name, value in hidden if name == "submission"),
        "version": next(value for name, value in hidden if name == "version"),
    }


def stock(sku) -> int:
    return Stock.objects.get(sku=sku).quantity


def cart_lines(user) -> dict[int, int]:
    return {v.line.sku_id: v.line.quantity for v in cart_get(user_id=user.pk).items}


# --- the review page ----------------------------------------------------------------------


def test_the_review_shows_what_will_be_bought_and_what_is_left_out_and_why(logged_in, user, shoe, towel):
    mug, lamp, beanie = (
        make_sku("Stoneware mug", "12.50"),
        make_sku("Brass desk lamp", "64.00"),
        make_sku("Beanie", "9"),
    )
    put(user, shoe, 2)
    put(user, towel)
    put(user, mug)
    put(user, lamp)
    cart_add_line(user_id=user.pk, item_id=beanie.item_id, sku_id=beanie.sku_id)  # not checked by the catalog yet
    logged_in.post(f"/cart/lines/{mug.item_id}:{mug.sku_id}/update", {"has_checked": "1"})  # unchecked
    deactivate(lamp)

    cart_page = text(logged_in.get("/cart/"))
    review = text(logged_in.get("/checkout/"))

    # The cart page's button only leads here; it buys nothing.
    assert '<form method="get" action="/checkout/"' in cart_page and "Place order" not in cart_page
    rows = re.findall(
        r'<tr> <th scope="row" class="order-item"> <a href="[^"]+">([^<]+)</a>.*?</th> '
        r'<td class="num wide-only">(\d+)</td> <td class="num wide-only">([^<]+)</td> '
        r'<td class="num">([^<]+)</td> </tr>',
        review,
    )
    assert sorted(rows) == [("Plush towel", "1", "$28.99", "$28.99"), ("Trail shoe", "2", "$19.99", "$39.98")]
    assert 'id="review-total">$68.97<' in review
    left_out = dict(
        re.findall(r'<span class="left-out-title">([^<]+)</span>.*?<span class="left-out-reason">([^<]+)<', review)
    )
    assert left_out == {
        "Stoneware mug": "Not selected",
        "Brass desk lamp": "No longer available",
        "Beanie": "Still being checked",
    }
    # The header's forms (Search, Log out) aside, Place order is the only button that submits.
    content = review[review.index('<main id="main"') :]
    assert content.count('type="submit"') == content.count("Place order") == 1
    assert not Order.objects.exists() and stock(shoe) == 50


def test_the_review_of_an_empty_cart_buys_nothing(logged_in):
    review = text(logged_in.get("/checkout/"))
    assert "Your cart is empty." in review and "Place order" not in review


# --- placing an order ---------------------------------------------------------------------


def test_checkout_buys_what_the_page_counted_and_shows_the_confirmation(logged_in, user, shoe, towel):
    mug = make_sku("Stoneware mug", "12.50")
    lamp = make_sku("Brass desk lamp", "64.00")
    put(user, shoe, 2)
    put(user, towel)
    put(user, mug)
    put(user, lamp)
    logged_in.post(f"/cart/lines/{mug.item_id}:{mug.sku_id}/update", {"has_checked": "1"})  # unchecked
    deactivate(lamp)  # checked but grayed out: not in the subtotal, so not bought

    form = checkout_form(logged_in)
    assert form["expected_total"] == "68.97"
    response = logged_in.post("/cart/checkout", form)

    order = Order.objects.get(user_id=user.pk)
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    page = text(logged_in.get(response["Location"]))
    assert f"Order #{order.pk}" in page and "Thank you! Your order is placed." in page
    shoe_row = re.search(r"<tr>(?:(?!</tr>).)*Trail shoe.*?</tr>", page).group(0)
    assert "size: 42" in shoe_row and "2 \u00d7 $19.99" in shoe_row  # the narrow-screen summary
    assert re.findall(r'<td class="num[^"]*">([^<]*)</td>', shoe_row) == ["2", "$19.99", "$39.98"]
    assert "Plush towel" in page and "colour: Olive" in page and "$28.99" in page
    assert 'id="order-total">$68.97<' in page
    assert "Stoneware mug" not in page and "Brass desk lamp" not in page
    assert 'href="/orders/"' in page
    assert (stock(shoe), stock(towel), stock(mug), stock(lamp)) == (48, 49, 50, 50)
    assert cart_lines(user) == {mug.sku_id: 1, lamp.sku_id: 1}


def test_a_line_sold_out_since_the_page_was_shown_is_named_and_nothing_is_bought(logged_in, user, shoe, towel):
    put(user, shoe, 2)
    put(user, towel)
    form = checkout_form(logged_in)
    Stock.objects.filter(sku=shoe).update(quantity=1)

    response = logged_in.post("/cart/checkout", form, follow=True)

    assert response.redirect_chain == [("/checkout/", 302)]  # back to the review, which says why
    assert "Trail shoe is out of stock in that quantity." in text(response)
    assert (stock(shoe), stock(towel)) == (1, 50)
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    assert cart_lines(user) == {shoe.sku_id: 2, towel.sku_id: 1}


def test_a_line_no_longer_sold_is_named_and_nothing_is_bought(logged_in, user, shoe):
    lamp = make_sku("Brass Desk Lamp", "64.00", finish="Brass")
    put(user, shoe)
    put(user, lamp)
    form = checkout_form(logged_in)
    deactivate(lamp)

    response = logged_in.post("/cart/checkout", form, follow=True)

    assert "Brass Desk Lamp is no longer available." in text(response)
    assert (stock(shoe), stock(lamp)) == (50, 50) and not Order.objects.exists()


def test_a_price_change_since_the_page_was_shown_gives_the_new_total(logged_in, user, shoe, towel):
    put(user, shoe, 2)
    put(user, towel)
    form = checkout_form(logged_in)
    Price.objects.filter(sku=shoe).update(amount=Decimal("21.00"))
    sku_info_refresh([shoe.sku_id])  # what the price event does

    response = logged_in.post("/cart/checkout", form, follow=True)

    page = text(response)
    assert "Prices changed; the new total is $70.99. Review your cart and check out again." in page
    assert 'id="review-total">$70.99<' in page  # the review now shows it
    assert (stock(shoe), stock(towel)) == (50, 50) and not Order.objects.exists()
    # Checking out again from the page as it is now goes through.
    assert logged_in.post("/cart/checkout", checkout_form(logged_in)).status_code == 302
    assert Order.objects.get().total == Decimal("70.99")


def test_the_same_form_sent_twice_places_one_order_and_both_answers_lead_to_it(logged_in, user, shoe):
    put(user, shoe, 2)
    form = checkout_form(logged_in)

    first = logged_in.post("/cart/checkout", form)
    second = logged_in.post("/cart/checkout", form)  # a double-click with scripts off, a reloaded POST

    order = Order.objects.get(user_id=user.pk)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/orders/{order.pk}/"
    assert stock(shoe) == 48 and cart_lines(user) == {}


def test_every_rendering_of_the_form_has_its_own_submission_token(logged_in, user, shoe):
    put(user, shoe)
    tokens = {checkout_form(logged_in)["submission"] for _ in range(3)}
    assert len(tokens) == 3 and all(len(token) >= 22 for token in tokens)  # 128 random bits each


def test_a_refusal_is_repeated_for_the_same_form_and_a_fresh_form_goes_through(logged_in, user, shoe):
    put(user, shoe, 2)
    form = checkout_form(logged_in)
    Stock.objects.filter(sku=shoe).update(quantity=1)
    first = logged_in.post("/cart/checkout", form, follow=True)
    Stock.objects.filter(sku=shoe).update(quantity=5)
    second = logged_in.post("/cart/checkout", form, follow=True)  # the same submission: the same answer

    for response in (first, second):
        assert "Trail shoe is out of stock in that quantity." in text(response)
    assert not Order.objects.exists() and stock(shoe) == 5
    assert logged_in.post("/cart/checkout", checkout_form(logged_in)).status_code == 302
    assert Order.objects.count() == 1 and stock(shoe) == 3


def test_nothing_selected_is_a_message(logged_in, user, shoe):
    put(user, shoe)
    cart_select(user_id=user.pk, checked=False)
    review = text(logged_in.get("/checkout/"))
    assert "Place order" not in review and "Select at least one item to check out." in review

    # A form posted anyway (an old page, a forged one) is told the same.
    response = logged_in.post("/cart/checkout", {"expected_total": "0", "submission": ""}, follow=True)

    assert "Nothing is selected: select at least one item to check out." in text(response)
    assert not Order.objects.exists() and stock(shoe) == 50


def test_a_tampered_form_is_a_message_not_a_500(logged_in, user, shoe):
    put(user, shoe)
    for data in (
        {},
        {"expected_total": "abc"},
        {"expected_total": "19.99", "ids": ["x"]},
        {"expected_total": "19.99", "submission": "x" * 65},
    ):
        response = logged_in.post("/cart/checkout", data, follow=True)
        assert response.status_code == 200 and 'class="message message-error"' in response.content.decode()
    response = logged_in.post("/cart/checkout", {"expected_total": "19.99", "ids": ["1:1"]}, follow=True)
    assert "Your cart changed in the meantime" in text(response)
    assert not Order.objects.exists() and stock(shoe) == 50


def test_checkout_is_post_only(logged_in):
    assert logged_in.get("/cart/checkout").status_code == 405


# --- guests and protection ----------------------------------------------------------------


def test_a_guest_is_asked_to_log_in_to_check_out(client, shoe):
    client.post("/cart/add", {"item_id": shoe.item_id, "sku_id": shoe.sku_id})
    page = text(client.get("/cart/"))
    assert 'href="/accounts/login/?next=/cart/">Log in to check out</a>' in page
    assert "Proceed to checkout" not in page
    response = client.post("/cart/checkout", {"expected_total": "19.99"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/checkout/"
    review = client.get("/checkout/")
    assert review.status_code == 302 and review["Location"] == "/accounts/login/?next=/checkout/"
    assert stock(shoe) == 50


def test_checkout_without_the_csrf_token_is_refused(user, shoe):
    put(user, shoe)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/cart/checkout", {"expected_total": "19.99"})
    assert response.status_code == 403
    assert stock(shoe) == 50 and not Order.objects.exists()


def test_the_order_pages_show_only_the_shoppers_own_orders(logged_in, user, client):
    mine = Order.objects.create(user_id=user.pk, total=Decimal("1.00"), currency="USD")
    theirs = Order.objects.create(user_id=UserFactory().pk, total=Decimal("2.00"), currency="USD")
    assert logged_in.get(f"/orders/{mine.pk}/").status_code == 200
    for order_id in (theirs.pk, 999_999, 2**63, 10**30):
        assert logged_in.get(f"/orders/{order_id}/").status_code == 404
    assert "Order #" + str(theirs.pk) not in text(logged_in.get("/orders/"))


def test_the_order_pages_need_a_login():
    order = Order.objects.create(user_id=UserFactory().pk, total=Decimal("1.00"), currency="USD")
    guest = Client()
    for path in ("/orders/", f"/orders/{order.pk}/"):
        response = guest.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_the_order_list_is_newest_first_and_paginated(logged_in, user, shoe):
    orders = [Order.objects.create(user_id=user.pk, total=Decimal(n), currency="USD") for n in range(1, 22)]
    OrderLine.objects.create(
        order=orders[-1], item_id=shoe.item_id, sku_id=shoe.sku_id, title="Trail shoe",
        quantity=3, unit_price=Decimal("7.00"), line_total=Decimal("21.00"),
    )  # fmt: skip
    first, second = text(logged_in.get("/orders/")), text(logged_in.get("/orders/?page=2"))
    shown = [int(n) for n in re.findall(r"Order #(\d+)</a>", first)]
    assert shown == [o.pk for o in reversed(orders)][:20]
    assert "Page 1 of 2" in first and "3 items" in first and "$21.00" in first
    assert re.findall(r"Order #(\d+)</a>", second) == [str(orders[0].pk)]
    assert logged_in.get("/orders/?page=banana").status_code == 200


def test_no_orders_yet_has_its_own_state(logged_in):
    assert "You have no orders yet." in text(logged_in.get("/orders/"))


# --- admin --------------------------------------------------------------------------------


def test_staff_see_orders_read_only_and_find_them_by_user_or_order_id(client, user, shoe, towel):
    put(user, shoe, 2)
    put(user, towel)
    client.force_login(user)
    client.post("/cart/checkout", checkout_form(client))
    order = Order.objects.get()
    # An id that is no user's id here, so a search by the user's id cannot match it.
    other = Order.objects.create(
        pk=user.pk + order.pk + 1000, user_id=user.pk + 1000, total=Decimal("5.00"), currency="EUR"
    )
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))

    listing = text(client.get("/admin/orders/order/"))
    assert "68.97" in listing and "EUR" in listing
    by_user = text(client.get(f"/admin/orders/order/?q={user.pk}"))
    assert f"/admin/orders/order/{order.pk}/change/" in by_user
    assert f"/admin/orders/order/{other.pk}/change/" not in by_user
    by_id = text(client.get(f"/admin/orders/order/?q={other.pk}"))
    assert f"/admin/orders/order/{other.pk}/change/" in by_id
    assert client.get("/admin/orders/order/?q=abc").status_code == 200

    detail = text(client.get(f"/admin/orders/order/{order.pk}/change/"))
    assert "Trail shoe" in detail and "39.98" in detail
    assert 'name="_save"' not in detail and 'name="lines-0-quantity"' not in detail
    assert client.get("/admin/orders/order/add/").status_code == 403


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_the_same_form_sent_twice_at_once_places_one_order(user, shoe):
    put(user, shoe, 2)
    browsers = [Client(), Client()]
    for browser in browsers:
        browser.force_login(user)
    form = checkout_form(browsers[0])
    barrier = threading.Barrier(len(browsers))

    def submit(browser):
        barrier.wait()
        try:
            return browser.post("/cart/checkout", form)
        finally:
            for connection in connections.all():
                connection.close()

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        responses = list(pool.map(submit, browsers))

    order = Order.objects.get(user_id=user.pk)
    assert [r["Location"] for r in responses] == [f"/orders/{order.pk}/"] * 2
    assert stock(shoe) == 48 and OrderLine.objects.count() == 1
