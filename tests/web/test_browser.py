"""The shopper pages in a real browser: Debian's Chromium driven by Playwright, against
pytest-django's live server (a thread of this process, so the same Redis and databases).

The browser and its helpers: ``tests/web/browser.py`` and ``tests/web/conftest.py``.
"""

import os
import re
from pathlib import Path

from cart.selectors import cart_get
from cart.services import cart_add_line, cart_save_for_later
from catalog.models import Item
from tests.factories import UserFactory
from tests.web.browser import (
    BROWSER_TESTS,
    CART_LINK,
    DESKTOP,
    PHONE,
    assert_not_reloaded,
    line,
    log_in,
    mark_reload_sentinel,
)
from tests.web.helpers import deactivate, make_sku, mark_checked

# `make screenshots` points this at docs/screenshots; a test run never rewrites tracked files.
SCREENSHOTS_DIR = os.environ.get("CART_SCREENSHOTS_DIR")

pytestmark = BROWSER_TESTS


def test_guest_cart_then_login_merges_with_the_max_rule(open_page):
    shoe = make_sku("Trail Running Shoe", "89.00", size="42")
    make_sku("Plush Bath Towel", "28.99", colour="Olive")
    mug = make_sku("Stoneware Mug", "12.50", colour="Sand")
    user = UserFactory()
    cart_add_line(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id, quantity=2)
    cart_add_line(user_id=user.pk, item_id=mug.item_id, sku_id=mug.sku_id, quantity=1)

    # As a guest: add two products from the list.
    page = open_page("/products/")
    page.get_by_role("button", name="Add Trail Running Shoe to cart").click()
    page.get_by_role("button", name="Add Plush Bath Towel to cart").click()
    page.get_by_role("link", name=CART_LINK).click()
    assert page.locator(".cart-count").inner_text() == "2"
    assert line(page, "Trail Running Shoe").count() == 1 and line(page, "Plush Bath Towel").count() == 1

    # Change quantities without reloading: + three times, then a typed value.
    mark_reload_sentinel(page)
    shoe_id = f"{shoe.item_id}:{shoe.sku_id}"
    for expected in ("2", "3", "4"):
        line(page, "Trail Running Shoe").get_by_role("button", name="One more Trail Running Shoe").click()
        page.wait_for_function("([id, q]) => document.getElementById('qty-' + id).value === q", arg=[shoe_id, expected])
    shoe_line = line(page, "Trail Running Shoe")
    shoe_line.get_by_label("Quantity of Trail Running Shoe").fill("3")
    shoe_line.get_by_label("Quantity of Trail Running Shoe").dispatch_event("change")
    page.wait_for_function("() => document.querySelector('.cart-count').textContent.trim() === '4'")
    assert_not_reloaded(page)

    # Remove one.
    line(page, "Plush Bath Towel").get_by_role("button", name="Remove Plush Bath Towel").click()
    line(page, "Plush Bath Towel").wait_for(state="detached")
    assert page.locator(".cart-count").inner_text() == "3"
    assert_not_reloaded(page)

    # Log in as a shopper who already has the shoe (2) and a mug: the larger quantity wins.
    log_in(page, user)
    assert page.get_by_text("1 item already in your cart now has the guest cart's larger quantity.").is_visible()
    assert page.get_by_label("Quantity of Trail Running Shoe").input_value() == "3"
    assert page.get_by_label("Quantity of Stoneware Mug").input_value() == "1"
    assert line(page, "Plush Bath Towel").count() == 0
    assert page.locator(".cart-count").inner_text() == "4"
    assert {v.line.sku_id: v.line.quantity for v in cart_get(user_id=user.pk).items} == {
        shoe.sku_id: 3,
        mug.sku_id: 1,
    }


def test_unchecking_a_line_changes_the_subtotal_without_a_reload(open_page):
    shoe = make_sku("Trail Running Shoe", "89.00", size="42")
    towel = make_sku("Plush Bath Towel", "28.99", colour="Olive")
    user = UserFactory()
    for sku in (shoe, towel):
        cart_add_line(user_id=user.pk, item_id=sku.item_id, sku_id=sku.sku_id)
        mark_checked(user.pk, sku)
    page = open_page("/cart/")
    log_in(page, user)
    subtotal = page.locator("#subtotal")
    assert subtotal.inner_text() == "$117.99"

    mark_reload_sentinel(page)
    page.get_by_label("Select Plush Bath Towel").uncheck()
    page.wait_for_function("() => document.getElementById('subtotal').textContent === '$89.00'")
    assert page.get_by_label("Select Plush Bath Towel").is_checked() is False
    page.get_by_role("button", name="Select all", exact=True).click()
    page.wait_for_function("() => document.getElementById('subtotal').textContent === '$117.99'")
    assert_not_reloaded(page)


def test_an_unavailable_line_is_gray_with_its_message(open_page):
    shoe = make_sku("Trail Running Shoe", "89.00", size="42")
    lamp = make_sku("Brass Desk Lamp", "64.00", finish="Brass")
    user = UserFactory()
    for sku in (shoe, lamp):
        cart_add_line(user_id=user.pk, item_id=sku.item_id, sku_id=sku.sku_id)
        mark_checked(user.pk, sku)
    deactivate(lamp)
    page = open_page("/cart/")
    log_in(page, user)
    gone = line(page, "Brass Desk Lamp")
    assert gone.get_by_text("This item is no longer available").is_visible()
    assert gone.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(241, 242, 244)"
    assert gone.locator(".line-title").evaluate("el => getComputedStyle(el).color") == "rgb(91, 100, 112)"
    assert page.locator("#subtotal").inner_text() == "$89.00"


def test_without_javascript_every_control_still_works(open_page):
    shoe = make_sku("Trail Running Shoe", "89.00", size="42")
    page = open_page(f"/products/{shoe.item_id}/", java_script_enabled=False)
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name=CART_LINK).click()
    page.get_by_role("button", name="One more Trail Running Shoe").click()
    assert page.get_by_label("Quantity of Trail Running Shoe").input_value() == "3"
    page.get_by_label("Quantity of Trail Running Shoe").fill("5")
    page.get_by_role("button", name="Update", exact=True).click()
    assert page.get_by_label("Quantity of Trail Running Shoe").input_value() == "5"
    page.get_by_label("Select Trail Running Shoe").uncheck()
    page.get_by_role("button", name="Update", exact=True).click()
    assert page.locator("#subtotal").inner_text() == "$0.00"
    page.get_by_role("button", name="Remove Trail Running Shoe").click()
    assert page.get_by_text("Your cart is empty.").is_visible()


def _showcase_cart():
    """A realistic cart for the screenshots: checked lines, a price drop, one sold out, one
    gone, and two lines saved for later (one of them cheaper now); every item has its
    category and picture, as the demo catalog's do."""
    user = UserFactory(username="demo")

    def item(title, price, category, picture, stock=50, **attributes):
        sku = make_sku(title, price, stock=stock, **attributes)
        Item.objects.filter(pk=sku.item_id).update(category=category, image=f"catalog/{category}/{picture}.svg")
        return sku

    saved = [
        (item("Cast Iron Skillet", "34.00", "kitchen", "black", size="26 cm"), 1, "39.00"),
        (item("Linen Throw Pillow", "29.50", "home", "white", colour="Oat"), 2, None),
    ]
    for sku, quantity, price_at_add in saved:
        cart_add_line(user_id=user.pk, item_id=sku.item_id, sku_id=sku.sku_id, quantity=quantity)
        mark_checked(user.pk, sku, "available", price_at_add=price_at_add)
        cart_save_for_later(user_id=user.pk, item_id=sku.item_id, sku_id=sku.sku_id)
    lines = [
        (
            item("Fjordwell Plush Bath Towel", "24.99", "home", "olive", colour="Olive", size="Large"),
            2,
            "27.99",
            "available",
        ),
        (item("Trail Running Shoe", "89.00", "shoes", "navy", size="42", width="Regular"), 1, None, "available"),
        (item("Stoneware Pour-Over Set", "46.50", "kitchen", "white", colour="Sand"), 1, "42.00", "available"),
        (item("Merino Wool Beanie", "19.00", "apparel", "grey", colour="Charcoal", stock=0), 1, None, "out_of_stock"),
        (item("Brass Desk Lamp", "64.00", "home", "red", finish="Brass"), 1, None, "available"),
    ]
    for sku, quantity, price_at_add, status in reversed(lines):
        cart_add_line(user_id=user.pk, item_id=sku.item_id, sku_id=sku.sku_id, quantity=quantity)
        mark_checked(user.pk, sku, status, price_at_add=price_at_add)
    deactivate(lines[-1][0])
    return user


def test_the_cart_page_at_desktop_and_phone_width(open_page, tmp_path):
    user = _showcase_cart()
    screenshots = Path(SCREENSHOTS_DIR) if SCREENSHOTS_DIR else tmp_path
    screenshots.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = open_page("/cart/", viewport=viewport)
        log_in(page, user)
        page.goto("/cart/")  # without the login message, as a shopper sees it later
        assert page.locator("li.cart-line").count() == 5
        assert page.locator("li.saved-line").count() == 2
        # Usable at phone width: nothing wider than the screen, so no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        page.screenshot(path=str(screenshots / f"cart-{name}.png"), full_page=True)
        assert (screenshots / f"cart-{name}.png").stat().st_size > 10_000  # a page, not a blank
        # The review: what "Place order" would buy, and what it leaves out and why.
        page.get_by_role("button", name="Proceed to checkout").click()
        page.wait_for_url(re.compile(r"/checkout/"))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        page.screenshot(path=str(screenshots / f"review-{name}.png"), full_page=True)
        assert (screenshots / f"review-{name}.png").stat().st_size > 10_000
        page.goto("/products/")
        page.screenshot(path=str(screenshots / f"products-{name}.png"), full_page=False)
        assert (screenshots / f"products-{name}.png").stat().st_size > 10_000
