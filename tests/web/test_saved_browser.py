"""Saved for later in a real browser, at desktop and phone width: a shopper's walk from
the product list to an order, with a line saved and moved back on the way; and a guest,
who is asked to log in."""

import re

import pytest

from orders.models import Order
from tests.factories import UserFactory
from tests.web.browser import BROWSER_TESTS, DESKTOP, PASSWORD, PHONE, line, log_in
from tests.web.helpers import make_sku, mark_checked

pytestmark = BROWSER_TESTS


def saved_line(page, title: str):
    return page.locator("li.saved-line", has_text=title)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_shoppers_walk_with_a_line_saved_and_moved_back(open_page, viewport):
    shoe = make_sku("Trail Running Shoe", "89.00", size="42")
    mug = make_sku("Stoneware Mug", "12.50", colour="Sand")
    user = UserFactory()
    page = open_page("/cart/", viewport=viewport)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, user)

    # List → product → add.
    page.goto("/products/")
    page.get_by_role("link", name="Stoneware Mug").first.click()
    page.get_by_role("button", name=re.compile("Add .*to cart")).first.click()
    page.goto("/products/")
    page.get_by_role("button", name="Add Trail Running Shoe to cart").click()
    mark_checked(user.pk, shoe)
    mark_checked(user.pk, mug)
    page.goto("/cart/")
    page.wait_for_selector("html.js")
    page.evaluate("window.__noReload = true")

    # Save the mug for later: it leaves the cart for the list below, in place.
    line(page, "Stoneware Mug").get_by_role("button", name="Save Stoneware Mug for later").click()
    saved_line(page, "Stoneware Mug").wait_for()
    assert page.get_by_text("Saved Stoneware Mug for later.").is_visible()
    assert line(page, "Stoneware Mug").count() == 0
    assert page.get_by_role("heading", name=re.compile(r"Saved for later \(1\)")).is_visible()
    assert page.locator("#subtotal").inner_text() == "$89.00"
    assert fits(page), viewport
    assert page.evaluate("window.__noReload === true")

    # And back: the cart has it again, checked, and the list is gone.
    saved_line(page, "Stoneware Mug").get_by_role("button", name="Move Stoneware Mug to cart").click()
    line(page, "Stoneware Mug").wait_for()
    assert page.get_by_text("Moved Stoneware Mug to your cart.").is_visible()
    assert saved_line(page, "Stoneware Mug").count() == 0
    assert line(page, "Stoneware Mug").get_by_role("checkbox").is_checked()
    assert page.locator("#subtotal").inner_text() == "$101.50"

    # Save it again and buy the rest: what is saved is never bought.
    line(page, "Stoneware Mug").get_by_role("button", name="Save Stoneware Mug for later").click()
    saved_line(page, "Stoneware Mug").wait_for()
    page.get_by_role("button", name="Proceed to checkout").click()
    page.wait_for_url(re.compile(r"/checkout/"))
    assert page.get_by_role("row", name=re.compile("Trail Running Shoe")).is_visible()
    assert page.get_by_role("row", name=re.compile("Stoneware Mug")).count() == 0
    assert fits(page), viewport
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(user_id=user.pk)
    assert [line.sku_id for line in order.lines.all()] == [shoe.sku_id]

    page.goto("/cart/")
    assert saved_line(page, "Stoneware Mug").is_visible()
    assert page.get_by_text("Your cart is empty.").is_visible()
    assert errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_guest_is_asked_to_log_in_to_save_and_keeps_the_cart(open_page, viewport):
    make_sku("Trail Running Shoe", "89.00", size="42")
    user = UserFactory()
    page = open_page("/products/", viewport=viewport)
    page.get_by_role("button", name="Add Trail Running Shoe to cart").click()
    page.goto("/cart/")

    line(page, "Trail Running Shoe").get_by_role("button", name="Save Trail Running Shoe for later").click()

    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert page.get_by_text("Log in to save items for later.").is_visible()
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/cart/")
    assert line(page, "Trail Running Shoe").is_visible()  # merged into the account
    line(page, "Trail Running Shoe").get_by_role("button", name="Save Trail Running Shoe for later").click()
    saved_line(page, "Trail Running Shoe").wait_for()
    assert fits(page), viewport


def test_undo_brings_a_removed_line_back_in_place(open_page):
    shoe = make_sku("Trail Running Shoe", "89.00", size="42")
    user = UserFactory()
    page = open_page("/cart/", viewport=PHONE)
    log_in(page, user)
    page.goto("/products/")
    page.get_by_role("button", name="Add Trail Running Shoe to cart").click()
    mark_checked(user.pk, shoe)
    page.goto("/cart/")
    page.wait_for_selector("html.js")
    line(page, "Trail Running Shoe").get_by_role("button", name="One more Trail Running Shoe").click()
    page.wait_for_function("() => document.querySelector('.js-qty').value === '2'")
    page.evaluate("window.__noReload = true")

    line(page, "Trail Running Shoe").get_by_role("button", name="Remove Trail Running Shoe").click()
    page.get_by_role("button", name="Undo").click()

    line(page, "Trail Running Shoe").wait_for()
    assert page.get_by_text("Trail Running Shoe is back in your cart.").is_visible()
    assert line(page, "Trail Running Shoe").locator(".js-qty").input_value() == "2"
    assert page.evaluate("window.__noReload === true")
