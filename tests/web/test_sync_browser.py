"""Live sync in a real browser: two browser contexts logged in as one shopper; a change in
one shows in the other within two seconds, without a reload.

The pages come from an ASGI server (uvicorn, in a thread of this process, so the same
databases and Redis), because the event stream needs one: pytest-django's live server
is WSGI and would buffer the stream forever.
"""

import socket
import threading
import time

import pytest

from cart.services import cart_add_line, cart_move_to_cart, cart_save_for_later, cart_update_line
from tests.factories import UserFactory
from tests.web.browser import BROWSER_TESTS, line, log_in, pages_at
from tests.web.helpers import make_sku, mark_checked

pytestmark = BROWSER_TESTS


@pytest.fixture
def asgi_url(django_db_setup):
    uvicorn = pytest.importorskip("uvicorn")
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from config.asgi import application

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        ASGIStaticFilesHandler(application), log_level="warning", lifespan="off", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def open_page(browser, asgi_url):  # the ASGI server's pages, not the live server's
    yield from pages_at(browser, asgi_url)


def quantity_is(page, line_id: str, quantity: int, timeout_ms: int):
    page.wait_for_function(
        "([id, q]) => { const el = document.getElementById('qty-' + id); return el && el.value === q; }",
        arg=[line_id, str(quantity)],
        timeout=timeout_ms,
    )


def test_a_change_in_one_browser_shows_in_the_other_within_two_seconds(open_page):
    shoe = make_sku("Trail Running Shoe", "89.00", size="42")
    user = UserFactory()
    cart_add_line(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id)
    mark_checked(user.pk, shoe)
    shoe_id = f"{shoe.item_id}:{shoe.sku_id}"

    laptop = open_page("/cart/")
    log_in(laptop, user)
    phone = open_page("/cart/")
    log_in(phone, user)
    for page in (laptop, phone):
        page.wait_for_selector("html[data-cart-live]")  # listening
    phone.evaluate("window.__noReload = true")

    # One more on the laptop: the phone follows within two seconds, without reloading.
    line(laptop, "Trail Running Shoe").get_by_role("button", name="One more Trail Running Shoe").click()
    quantity_is(laptop, shoe_id, 2, 10_000)
    started = time.monotonic()
    quantity_is(phone, shoe_id, 2, 2_000)
    assert time.monotonic() - started < 2.0
    assert phone.evaluate("window.__noReload === true")

    # A change from a third device (the API) reaches both.
    cart_update_line(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id, quantity=5)
    quantity_is(laptop, shoe_id, 5, 2_000)
    quantity_is(phone, shoe_id, 5, 2_000)
    assert phone.locator(".cart-count").inner_text() == "5"


def test_saving_for_later_on_another_device_shows_here_without_a_reload(open_page):
    shoe = make_sku("Trail Running Shoe", "89.00", size="42")
    user = UserFactory()
    cart_add_line(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id, quantity=2)
    mark_checked(user.pk, shoe)
    page = open_page("/cart/")
    log_in(page, user)
    page.wait_for_selector("html[data-cart-live]")
    page.evaluate("window.__noReload = true")

    cart_save_for_later(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id)  # from the app
    page.locator("li.saved-line", has_text="Trail Running Shoe").wait_for(timeout=2_000)
    assert line(page, "Trail Running Shoe").count() == 0

    cart_move_to_cart(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id)
    quantity_is(page, f"{shoe.item_id}:{shoe.sku_id}", 2, 2_000)
    assert page.locator("li.saved-line").count() == 0
    assert page.evaluate("window.__noReload === true")


def test_the_share_button_copies_a_working_link(open_page):
    shoe = make_sku("Trail Running Shoe", "89.00", size="42")
    user = UserFactory()
    cart_add_line(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id, quantity=2)
    page = open_page("/cart/")
    log_in(page, user)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    page.get_by_role("button", name="Share this cart").click()
    page.locator(".share-link").wait_for()

    url = page.locator(".share-link").get_attribute("href")
    assert "/s/" in url
    assert page.locator(".share-result").inner_text().startswith(("Link copied:", "Copy this link:"))
    visitor = open_page(url)
    assert visitor.get_by_text("Trail Running Shoe").first.is_visible()
    assert visitor.get_by_role("button", name="Add all to my cart").is_visible()
