"""Login, signup and logout pages, and the guest cart merging into the account."""

import re

import pytest
from django.contrib.auth import get_user_model

from cart.selectors import cart_get
from cart.services import cart_add_line
from cart.web.guest import COOKIE_NAME, GuestCart, GuestLine
from tests.conftest import db_all
from tests.factories import UserFactory
from tests.web.helpers import make_sku

pytestmark = db_all

PASSWORD = "correct-horse-battery"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def quantities(user) -> dict[int, int]:
    return {v.line.sku_id: v.line.quantity for v in cart_get(user_id=user.pk).items}


@pytest.fixture
def skus():
    return [make_sku(f"Thing {n}") for n in range(3)]


def test_the_login_and_signup_pages_have_labelled_fields(client):
    for path in ("/accounts/login/", "/accounts/signup/"):
        page = client.get(path).content.decode()
        for name in re.findall(r'<input[^>]+type="(?:text|password)"[^>]*id="([^"]+)"', page):
            assert f'<label for="{name}"' in page, (path, name)


def test_login_merges_the_guest_cart_with_the_max_rule(client, skus):
    a, b, c = skus
    user = UserFactory()
    cart_add_line(user_id=user.pk, item_id=a.item_id, sku_id=a.sku_id, quantity=5)
    cart_add_line(user_id=user.pk, item_id=b.item_id, sku_id=b.sku_id, quantity=1)
    guest = GuestCart(
        [GuestLine(a.item_id, a.sku_id, 2), GuestLine(b.item_id, b.sku_id, 4), GuestLine(c.item_id, c.sku_id, 1)]
    )
    client.cookies[COOKIE_NAME] = guest.to_cookie()

    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/cart/"
    assert response.cookies[COOKIE_NAME].value == ""  # the guest cookie is cleared
    assert quantities(user) == {a.sku_id: 5, b.sku_id: 4, c.sku_id: 1}
    page = text(client.get("/cart/"))
    assert (
        "We added 1 item from your guest cart. 1 item already in your cart now has the guest cart's larger "
        "quantity. 1 item already in your cart keeps its quantity, the larger one." in page.replace("&#x27;", "'")
    )


def test_login_honours_next_and_merges_even_then(client, skus):
    user = UserFactory()
    client.cookies[COOKIE_NAME] = GuestCart([GuestLine(skus[0].item_id, skus[0].sku_id, 2)]).to_cookie()
    response = client.post(
        "/accounts/login/?next=/products/", {"username": user.username, "password": PASSWORD, "next": "/products/"}
    )
    assert response["Location"] == "/products/"
    assert quantities(user) == {skus[0].sku_id: 2}


def test_lines_that_do_not_fit_are_skipped_and_reported(client, skus):
    user = UserFactory()
    for n in range(119):
        cart_add_line(user_id=user.pk, item_id=1 + n, sku_id=900_000 + n)
    client.cookies[COOKIE_NAME] = GuestCart([GuestLine(s.item_id, s.sku_id, 1) for s in skus]).to_cookie()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert len(cart_get(user_id=user.pk).items) == 120
    page = text(client.get("/cart/"))
    assert "We added 1 item from your guest cart. 2 items did not fit: a cart holds at most 120" in page


def test_a_wrong_password_keeps_the_guest_cart_and_says_why(client, skus):
    user = UserFactory()
    client.cookies[COOKIE_NAME] = GuestCart([GuestLine(skus[0].item_id, skus[0].sku_id, 1)]).to_cookie()
    response = client.post("/accounts/login/", {"username": user.username, "password": "nope"})
    assert response.status_code == 200 and "Wrong username or password." in text(response)
    assert COOKIE_NAME not in response.cookies and quantities(user) == {}


def test_login_with_a_tampered_guest_cookie_logs_in_and_drops_it(client):
    user = UserFactory()
    client.cookies[COOKIE_NAME] = "not-a-signed-value"
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.cookies[COOKIE_NAME].value == ""
    assert "merged" not in text(client.get("/cart/"))


def test_signup_creates_the_account_logs_in_and_merges(client, skus):
    client.post("/cart/add", {"item_id": skus[0].item_id, "sku_id": skus[0].sku_id, "quantity": 3})
    response = client.post(
        "/accounts/signup/", {"username": "newbie", "password1": "a-long-passphrase", "password2": "a-long-passphrase"}
    )
    assert response.status_code == 302 and response["Location"] == "/cart/"
    user = get_user_model().objects.get(username="newbie")
    assert quantities(user) == {skus[0].sku_id: 3}
    page = text(client.get("/cart/"))
    assert "newbie" in page and "We added 1 item from your guest cart." in page and "Thing 0" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "taken", "password1": "a-long-passphrase", "password2": "a-long-passphrase"}, "already exists"),
        ({"username": "TAKEN", "password1": "a-long-passphrase", "password2": "a-long-passphrase"}, "already exists"),
        ({"username": "fresh", "password1": "short", "password2": "short"}, "too short"),
        ({"username": "fresh", "password1": "a-long-passphrase", "password2": "another-passphrase"}, "didn"),
    ],
)
def test_signup_errors_are_shown_on_the_form(client, data, message):
    UserFactory(username="taken")
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 200 and message in text(response)
    assert not get_user_model().objects.filter(username="fresh").exists()


def test_logout_is_a_post_and_leaves_a_guest(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/products/"
    page = text(client.get("/products/"))
    assert "Log in" in page and "You have logged out." in page
