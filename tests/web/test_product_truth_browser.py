"""Counts, the checkout button and out-of-stock products on the real pages, in Chromium
(``tests/web/browser.py``): one counting rule in the header, "Selected" and
the subtotal; a checkout button that is disabled with its reason when nothing selected
can be bought; no "Add to cart" for what is sold out."""

import re

import pytest
from playwright.sync_api import expect

from cart.services import cart_add_line
from orders.models import Order
from tests.factories import UserFactory
from tests.web.browser import BROWSER_TESTS, CART_LINK, DESKTOP, PHONE, line, log_in
from tests.web.helpers import make_sku, mark_checked

pytestmark = BROWSER_TESTS


def _put(user, sku, quantity=1, status="available"):
    cart_add_line(user_id=user.pk, item_id=sku.item_id, sku_id=sku.sku_id, quantity=quantity)
    mark_checked(user.pk, sku, status)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1100px", "375px"])
def test_badge_selected_and_subtotal_follow_one_rule_as_lines_change(open_page, viewport):
    shoe, towel = make_sku("Trail Shoe", "19.99"), make_sku("Bath Towel", "28.99")
    lamp = make_sku("Old Lamp", "18.99", stock=0)
    user = UserFactory()
    _put(user, shoe, 2)
    _put(user, towel, 3)
    _put(user, lamp, 1, status="out_of_stock")

    page = open_page("/cart/", viewport=viewport)
    log_in(page, user)

    # Header: every unit. Selected and the subtotal: the checked lines that can be bought.
    expect(page.locator(".cart-count")).to_have_text("6")
    expect(page.locator("#selected-count")).to_have_text("5")
    expect(page.locator("#subtotal")).to_have_text("$126.95")
    expect(line(page, "Old Lamp")).to_contain_text("Out of stock")

    # Unchecking a line updates both in place; the header still counts it.
    line(page, "Bath Towel").get_by_label("Select Bath Towel").uncheck()
    expect(page.locator("#selected-count")).to_have_text("2")
    expect(page.locator("#subtotal")).to_have_text("$39.98")
    expect(page.locator(".cart-count")).to_have_text("6")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1100px", "375px"])
def test_checkout_is_disabled_with_its_reason_when_nothing_selected_can_be_bought(open_page, viewport):
    lamp, shoe = make_sku("Old Lamp", "18.99", stock=0), make_sku("Trail Shoe", "19.99")
    user = UserFactory()
    _put(user, lamp, 1, status="out_of_stock")
    _put(user, shoe, 1)

    page = open_page("/cart/", viewport=viewport)
    log_in(page, user)
    line(page, "Trail Shoe").get_by_label("Select Trail Shoe").uncheck()

    button = page.get_by_role("button", name="Proceed to checkout")
    expect(button).to_be_disabled()
    expect(page.locator("#checkout-blocked")).to_have_text(re.compile("None of the selected items can be bought"))
    expect(page.locator("#subtotal")).to_have_text("$0.00")
    assert page.get_by_text("Prices changed").count() == 0

    # Selecting a line that can be bought enables it again, and it buys that line only.
    line(page, "Trail Shoe").get_by_label("Select Trail Shoe").check()
    expect(button).to_be_enabled()
    expect(page.locator("#checkout-blocked")).to_have_count(0)
    button.click()
    page.wait_for_url(re.compile(r"/checkout/"))
    expect(page.locator(".left-out-reason")).to_have_text("Out of stock")  # the lamp, and why
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    expect(page.get_by_text("Thank you! Your order is placed.")).to_be_visible()
    assert [line.sku_id for line in Order.objects.get(user_id=user.pk).lines.all()] == [shoe.sku_id]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1100px", "375px"])
def test_sold_out_products_offer_no_add_and_an_add_names_the_item(open_page, viewport):
    make_sku("Old Lamp", "18.99", stock=0)
    make_sku("Trail Shoe", "19.99")

    page = open_page("/products/", viewport=viewport)

    sold_out = page.get_by_role("button", name="Old Lamp is out of stock")
    expect(sold_out).to_be_disabled()
    expect(sold_out).to_have_text("Out of stock")
    expect(page.get_by_role("button", name="Add Old Lamp to cart")).to_have_count(0)

    page.get_by_role("button", name="Add Trail Shoe to cart").click()
    message = page.locator(".message-success")
    expect(message).to_have_text("Added Trail Shoe to your cart. View cart")
    message.get_by_role("link", name="View cart").click()
    page.wait_for_url("**/cart/")
    expect(line(page, "Trail Shoe")).to_have_count(1)
    expect(page.get_by_role("link", name=CART_LINK)).to_have_accessible_name("Cart, 1 item")
