"""What the browser tests share: Debian's Chromium, the viewports, the marks, and the
steps every flow takes (open pages, log in, find a line). The ``browser`` and
``open_page`` fixtures are in ``tests/web/conftest.py``.

The browser is the system one; Playwright never downloads its own. Without it these
tests skip; CI installs it.
"""

import re
from pathlib import Path

import pytest

from tests.conftest import db_all_tx

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct-horse-battery"
DESKTOP = {"width": 1100, "height": 760}
PHONE = {"width": 375, "height": 740}
CART_LINK = re.compile(r"^Cart(, \d+ items?)?$")

# The marks of every browser test module.
BROWSER_TESTS = [
    db_all_tx,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


def launch_chromium(playwright):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    )


def pages_at(browser, base_url: str):
    """Yield an opener of pages at ``base_url``, each in a fresh browser context (its own
    cookies) at a viewport size; the contexts are closed afterwards."""
    contexts = []

    def open_(path: str = "/", viewport: dict = DESKTOP, **options):
        context = browser.new_context(viewport=viewport, base_url=base_url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        return page

    yield open_
    for context in contexts:
        context.close()


def line(page, title: str):
    return page.locator("li.cart-line", has_text=title)


def log_in(page, user) -> None:
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/cart/")


def mark_reload_sentinel(page) -> None:
    """Set a flag that a full page load would wipe: proves an update came without one."""
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__noReload === true")
