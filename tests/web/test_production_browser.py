"""The shop in Chromium against gunicorn under production settings (DEBUG off, CSRF
enforced, static files served by the app itself): styled pages, a working script, an
add to cart, saving for later and Undo, and Swagger UI with nothing fetched from another host."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import Item
from tests.web.browser import BROWSER_TESTS, DESKTOP, PHONE, line, pages_at
from tests.web.helpers import make_sku

pytestmark = BROWSER_TESTS


@pytest.fixture
def open_page(browser, production_server):
    """Pages of the production server, in fresh browser contexts."""
    yield from pages_at(browser, production_server)


def test_styled_pages_and_a_working_cart_under_production_settings(open_page):
    make_sku("Trail Shoe", "19.99")
    failed = []
    for viewport in (DESKTOP, PHONE):
        page = open_page("/products/", viewport=viewport)
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.reload()

        button = page.get_by_role("button", name="Add Trail Shoe to cart")
        # The stylesheet applied: a button is the shop's accent colour, not the browser's grey.
        background = button.evaluate("b => getComputedStyle(b).backgroundColor")
        assert background not in ("rgba(0, 0, 0, 0)", "rgb(239, 239, 239)")
        button.click()
        expect(page.locator(".message-success")).to_have_text("Added Trail Shoe to your cart. View cart")
        page.get_by_role("link", name="View cart").click()
        page.wait_for_url(re.compile(r"/cart/$"))
        # The page's script ran: it hides the no-script "Update" buttons.
        expect(page.locator("li.cart-line", has_text="Trail Shoe")).to_have_count(1)
        expect(page.locator("li.cart-line .js-hide").first).to_be_hidden()
    assert failed == []


def test_swagger_ui_renders_from_the_apps_own_files(open_page, production_server):
    elsewhere = []
    page = open_page("about:blank")
    page.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith(production_server) else None)
    page.goto(f"{production_server}/api/docs/")

    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert elsewhere == []


def test_product_images_load_under_hashed_names_and_an_uncollected_one_shows_the_placeholder(open_page):
    shoe, lamp = make_sku("Trail Shoe", "19.99"), make_sku("Lost Lamp", "18.99")
    Item.objects.filter(pk=shoe.item_id).update(image="catalog/shoes/olive.svg")
    Item.objects.filter(pk=lamp.item_id).update(image="catalog/home/not-collected.svg")

    page = open_page("/products/")
    images = {
        title: page.locator(".product-card", has_text=title).locator("img.product-image")
        for title in ("Trail Shoe", "Lost Lamp")
    }
    hashed = r"\.[0-9a-f]{12}\.svg$"
    expect(images["Trail Shoe"]).to_have_attribute("src", re.compile(r"^/static/catalog/shoes/olive" + hashed))
    expect(images["Lost Lamp"]).to_have_attribute("src", re.compile(r"^/static/catalog/placeholder" + hashed))
    for image in images.values():
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")

    page.goto(f"/products/{lamp.item_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lost Lamp")


def test_save_for_later_move_back_and_undo_under_production_settings(open_page):
    # CSRF enforced and the page's script posting the forms: the saved list and Undo as a
    # browser meets them on the real server, not through the test client.
    make_sku("Trail Shoe", "19.99")
    failed = []
    page = open_page("/accounts/signup/", viewport=PHONE)
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    # Signed up on this server: its password hashers are production's, not the tests' fast one.
    page.locator("input[name=username]").fill("prod-shopper")
    page.locator("input[name=password1]").fill("a-long-passphrase")
    page.locator("input[name=password2]").fill("a-long-passphrase")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto("/products/")
    page.get_by_role("button", name="Add Trail Shoe to cart").click()
    page.goto("/cart/")
    saved = page.locator("li.saved-line", has_text="Trail Shoe")

    line(page, "Trail Shoe").get_by_role("button", name="Save Trail Shoe for later").click()
    expect(saved).to_have_count(1)
    saved.get_by_role("button", name="Move Trail Shoe to cart").click()
    expect(line(page, "Trail Shoe")).to_have_count(1)
    line(page, "Trail Shoe").get_by_role("button", name="Remove Trail Shoe").click()
    page.get_by_role("button", name="Undo").click()

    expect(page.get_by_text("Trail Shoe is back in your cart.")).to_be_visible()
    expect(line(page, "Trail Shoe")).to_have_count(1)
    assert saved.count() == 0
    assert failed == []
