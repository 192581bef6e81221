"""Accessibility in a real browser: axe-core on every shopper-facing view (product list,
product, cart, checkout review, saved for later) at desktop and phone width, with no
serious or critical violation; and the cart's controls work from the keyboard alone,
with the focus visible."""

import re

import pytest

from cart.services import cart_add_line, cart_save_for_later
from tests.factories import UserFactory
from tests.web.browser import BROWSER_TESTS, DESKTOP, PHONE, line, log_in
from tests.web.helpers import deactivate, make_sku, mark_checked

pytestmark = BROWSER_TESTS

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")
BLOCKING = ("serious", "critical")


def blocking_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as shown, one line each."""
    results = axe_sync.Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(str(n['target']) for n in v['nodes'][:3])}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.fixture
def shop():
    """A shopper whose cart shows every state a line can be in, with a saved list."""
    user = UserFactory()
    shoe = make_sku("Trail Running Shoe", "89.00", size="42")
    towel = make_sku("Plush Bath Towel", "24.99", colour="Olive", size="Large")
    beanie = make_sku("Merino Wool Beanie", "19.00", colour="Charcoal", stock=0)
    lamp = make_sku("Brass Desk Lamp", "64.00", finish="Brass")
    mug = make_sku("Stoneware Mug", "12.50", colour="Sand")
    for sku, status, price_at_add in [
        (shoe, "available", None),
        (towel, "available", "27.99"),
        (beanie, "out_of_stock", None),
        (lamp, "available", None),
        (mug, "available", None),
    ]:
        cart_add_line(user_id=user.pk, item_id=sku.item_id, sku_id=sku.sku_id, quantity=2)
        mark_checked(user.pk, sku, status, price_at_add=price_at_add)
    deactivate(lamp)
    cart_save_for_later(user_id=user.pk, item_id=mug.item_id, sku_id=mug.sku_id)
    return user, shoe


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_serious_or_critical_violations_on_any_shopper_view(open_page, shop, viewport):
    user, shoe = shop
    page = open_page("/products/", viewport=viewport)
    found = {"product list (guest)": blocking_violations(page)}
    page.goto("/cart/")
    found["cart (guest)"] = blocking_violations(page)
    log_in(page, user)
    views = {
        "product list": "/products/",
        "product": f"/products/{shoe.item_id}/",
        "cart and saved for later": "/cart/",
        "checkout review": "/checkout/",
    }
    for name, path in views.items():
        page.goto(path)
        page.wait_for_load_state("networkidle")
        found[name] = blocking_violations(page)
    assert page.locator("li.saved-line").count() == 0  # the review shows no saved lines
    page.goto("/cart/")
    assert page.locator("li.saved-line").count() == 1 and page.locator("li.cart-line.is-gone").count() == 2

    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_cart_works_from_the_keyboard_with_the_focus_visible(open_page, shop):
    user, _ = shop
    page = open_page("/cart/")
    log_in(page, user)
    page.goto("/cart/")
    page.wait_for_selector("html.js")
    shoe = line(page, "Trail Running Shoe")
    subtotal = page.locator("#subtotal").inner_text()

    # The stepper: reached with Tab, pressed with Enter and Space.
    more = shoe.get_by_role("button", name="One more Trail Running Shoe")
    more.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('li.cart-line[data-line] .js-qty') && "
        "[...document.querySelectorAll('li.cart-line')].some(li => li.textContent.includes('Trail Running Shoe') "
        "&& li.querySelector('.js-qty').value === '3')"
    )
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == "One more Trail Running Shoe"  # the focus stays on the control
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"

    # The checkbox: Space unchecks it, and the subtotal follows.
    page.keyboard.press("Shift+Tab")  # back to the quantity field
    checkbox = line(page, "Trail Running Shoe").get_by_role("checkbox")
    checkbox.focus()
    page.keyboard.press("Space")
    page.wait_for_function("([before]) => document.getElementById('subtotal').textContent !== before", arg=[subtotal])
    assert not line(page, "Trail Running Shoe").get_by_role("checkbox").is_checked()
    assert re.fullmatch(r"\$[\d,]+\.\d\d", page.locator("#subtotal").inner_text())

    # Save for later, from the keyboard too.
    line(page, "Trail Running Shoe").get_by_role("button", name="Save Trail Running Shoe for later").focus()
    page.keyboard.press("Enter")
    page.locator("li.saved-line", has_text="Trail Running Shoe").wait_for()
