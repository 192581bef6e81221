"""Fixtures of the page tests: a shopper, and Django's test client logged in as them."""

import pytest

from tests.factories import UserFactory


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """Debian's Chromium, headless, driven by Playwright; one per test module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.web.browser import launch_chromium

    # Playwright's sync API keeps an asyncio loop on this thread while it runs, and Django
    # refuses ORM calls on a thread with a loop. The test code stays plain synchronous
    # code (the loop only drives the browser), so allow it for this module's lifetime.
    with pytest.MonkeyPatch.context() as patch, sync_api.sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, live_server):
    """Open pages of the live server in fresh browser contexts; closed after the test."""
    from tests.web.browser import pages_at

    yield from pages_at(browser, live_server.url)
