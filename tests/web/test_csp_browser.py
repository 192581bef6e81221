"""The Content-Security-Policy the pages are served with, and the pages working within
it in Chromium: no violation reported on the shop's pages (with the cart's script at
work), the login pages, the admin and the API docs."""

import re

from playwright.sync_api import expect

from tests.factories import UserFactory
from tests.web.browser import BROWSER_TESTS, line, log_in
from tests.web.helpers import make_sku

pytestmark = BROWSER_TESTS


def _watch(page) -> list[str]:
    """Every CSP violation the page reports, from the console and the DOM event."""
    violations = []
    page.on(
        "console",
        lambda m: violations.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    return violations


def _directives(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


def test_the_header_is_strict(client):
    for path in ("/products/", "/cart/", "/accounts/login/", "/api/v1/products"):
        directives = _directives(client.get(path))
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    # Swagger UI's bundle sets inline styles: that one page allows them, never inline script.
    docs = _directives(client.get("/api/docs/"))
    assert docs["style-src"] == "'self' 'unsafe-inline'" and docs["script-src"] == "'self'"


def test_the_shop_works_within_the_policy(open_page):
    shoe = make_sku("Trail Shoe", "19.99")
    user = UserFactory()
    page = open_page("about:blank")
    violations = _watch(page)

    page.goto("/products/")
    page.get_by_role("button", name="Add Trail Shoe to cart").click()
    page.goto(f"/products/{shoe.item_id}/")
    page.goto("/cart/")
    log_in(page, user)
    page.goto("/products/")
    page.get_by_role("button", name="Add Trail Shoe to cart").click()
    page.goto("/cart/")
    # The script is at work: a step changes the quantity without a reload.
    line(page, "Trail Shoe").get_by_role("button", name="One more Trail Shoe").click()
    expect(page.get_by_label("Quantity of Trail Shoe")).to_have_value("3")

    assert violations == []


def test_the_admin_and_the_api_docs_work_within_the_policy(open_page):
    staff = UserFactory(is_staff=True, is_superuser=True)
    page = open_page("about:blank")
    violations = _watch(page)

    page.goto("/admin/login/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    page.get_by_role("link", name="Look up a user's cart").click()
    expect(page.get_by_role("button", name="Look up")).to_be_visible()
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)

    assert violations == []
