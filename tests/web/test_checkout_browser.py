"""Checkout in a real browser: from a product to the order confirmation.

Reuses the browser, the pages and the login step of ``tests/web/browser.py``; skips when
the system Chromium is missing.
"""

import re

from catalog.models import Stock
from orders.models import Order
from tests.factories import UserFactory
from tests.web.browser import BROWSER_TESTS, DESKTOP, PHONE, log_in
from tests.web.helpers import make_sku, mark_checked

pytestmark = BROWSER_TESTS
ORDER_PAGE = re.compile(r"/orders/\d+/$")


def test_a_shopper_checks_out_and_sees_the_confirmation(open_page):
    shoe = make_sku("Trail Running Shoe", "89.00", size="42")
    make_sku("Stoneware Mug", "12.50", colour="Sand")
    user = UserFactory()

    page = open_page("/cart/")
    log_in(page, user)
    page.goto("/products/")
    page.get_by_role("button", name="Add Trail Running Shoe to cart").click()
    mark_checked(user.pk, shoe)  # the asynchronous catalog check, played now
    page.goto("/cart/")
    assert page.locator("#subtotal").inner_text() == "$89.00"

    page.get_by_role("button", name="Proceed to checkout").click()
    page.wait_for_url(re.compile(r"/checkout/"))
    # The review: what will be bought, and nothing is bought yet.
    assert page.get_by_role("heading", name="Review your order").is_visible()
    assert page.get_by_role("row", name=re.compile("Trail Running Shoe")).inner_text().split("\t")[1:] == [
        "1",
        "$89.00",
        "$89.00",
    ]
    assert page.locator("#review-total").inner_text() == "$89.00"
    assert not Order.objects.filter(user_id=user.pk).exists()
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), viewport

    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(ORDER_PAGE)

    order = Order.objects.get(user_id=user.pk)
    assert page.get_by_role("heading", name=f"Order #{order.pk}").is_visible()
    assert page.get_by_text("Thank you! Your order is placed.").is_visible()
    assert page.get_by_role("row", name=re.compile("Trail Running Shoe")).inner_text().split("\t")[1:] == [
        "1",
        "$89.00",
        "$89.00",
    ]
    assert page.locator("#order-total").inner_text() == "$89.00"
    assert Stock.objects.get(sku=shoe).quantity == 49
    assert page.locator(".cart-count").inner_text() == "0"

    # The same page at phone and desktop width: nothing wider than the screen.
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), viewport

    page.get_by_role("link", name="All your orders").click()
    assert page.get_by_role("link", name=f"Order #{order.pk}").is_visible()
