"""Failed logins are limited per username and per client address on every login path
(API.md, "Auth"): the API's token login, the shop's login form and the admin's; the
client address is the connection's unless trusted proxies are configured; a limit slows
guessing and lets the owner in again within one refill."""

import re
import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from ops import metrics
from tests.conftest import db_all
from tests.factories import UserFactory

LOGIN = "/api/v1/auth/token"
PASSWORD = "correct-horse-battery"

pytestmark = db_all


@pytest.fixture
def limits(settings):
    """Three failures per username and five per address, refilling one a minute."""
    settings.LOGIN_LIMITS = {"username": {"rate": 1 / 60, "burst": 3}, "address": {"rate": 1 / 60, "burst": 5}}
    return settings.LOGIN_LIMITS


def _login(username, password, address="10.0.0.1", **headers):
    body = {"username": username, "password": password}
    return APIClient().post(LOGIN, body, format="json", REMOTE_ADDR=address, **headers)


def _counted(result: str) -> float:
    return metrics.LOGIN_LIMIT_DECISIONS.labels(result)._value.get()


def test_a_username_is_refused_after_its_failures_whatever_address_they_claim(limits):
    owner = UserFactory()
    for n in range(3):
        wrong = _login(owner.username, "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid")

    refused = _login(owner.username, PASSWORD, address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert refused.status_code == 429
    assert refused.json() == {
        "code": "too_many_attempts",
        "detail": f"Too many failed login attempts; try again in {refused['Retry-After']} seconds.",
    }
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "token" not in refused.json()  # the right password was not even checked


def test_an_address_is_refused_after_failures_across_usernames(limits):
    users = [UserFactory() for _ in range(6)]
    for user in users[:5]:
        assert _login(user.username, "guess", address="10.0.0.9").status_code == 400

    refused = _login(users[5].username, PASSWORD, address="10.0.0.9")
    elsewhere = _login(users[5].username, PASSWORD, address="10.0.0.10")

    assert (refused.status_code, refused.json()["code"]) == (429, "too_many_attempts")
    assert elsewhere.status_code == 200 and elsewhere.json()["token"]


def test_usernames_are_counted_without_regard_to_case(limits):
    owner = UserFactory(username="Casey")
    for name in ("casey", "CASEY", "Casey"):
        _login(name, "guess", address=f"10.1.0.{len(name)}{name.count('C')}")
    assert _login("cAsEy", "guess", address="10.1.9.9").status_code == 429
    assert owner.username == "Casey"


def test_the_owner_gets_in_again_after_one_refill(settings):
    # One token a second: the three attempts below fit well inside one refill even on a
    # loaded machine (at 5 a second, a slow CI run refilled between them).
    settings.LOGIN_LIMITS = {"username": {"rate": 1.0, "burst": 2}, "address": {"rate": 1.0, "burst": 10}}
    owner = UserFactory()
    for _ in range(2):
        _login(owner.username, "guess")
    refused = _login(owner.username, PASSWORD)
    assert refused.status_code == 429 and refused["Retry-After"] == "1"

    time.sleep(1.05)  # one token at 1 per second

    assert _login(owner.username, PASSWORD).status_code == 200


def test_a_success_costs_nothing(limits):
    owner = UserFactory()
    for _ in range(6):
        assert _login(owner.username, PASSWORD).status_code == 200


def test_trusted_proxies_name_the_client_and_nothing_else_can(limits, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    users = [UserFactory() for _ in range(6)]
    # Behind one proxy: the address the proxy appended is the client's, whatever the
    # client wrote before it.
    for n, user in enumerate(users[:5]):
        forged = f"192.0.2.{n}, 198.51.100.20"
        assert _login(user.username, "guess", address="10.9.9.9", HTTP_X_FORWARDED_FOR=forged).status_code == 400

    same_client = _login(users[5].username, PASSWORD, address="10.9.9.8", HTTP_X_FORWARDED_FOR="198.51.100.20")
    other_client = _login(users[5].username, PASSWORD, address="10.9.9.9", HTTP_X_FORWARDED_FOR="198.51.100.21")

    assert same_client.status_code == 429
    assert other_client.status_code == 200


def test_the_shop_login_form_is_limited_with_a_clear_message(limits):
    owner = UserFactory()
    client = Client(REMOTE_ADDR="10.2.0.1")
    for _ in range(3):
        page = client.post("/accounts/login/", {"username": owner.username, "password": "guess"})
        assert "Wrong username or password." in page.content.decode()

    page = client.post("/accounts/login/", {"username": owner.username, "password": PASSWORD})

    text = page.content.decode()
    assert re.search(r"Too many failed login attempts; try again in \d+ seconds\.", text)
    assert "_auth_user_id" not in client.session


def test_the_admin_login_is_limited_too(limits):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="10.3.0.1")
    for _ in range(3):
        client.post("/admin/login/", {"username": staff.username, "password": "guess"})

    page = client.post("/admin/login/?next=/admin/", {"username": staff.username, "password": PASSWORD})

    assert page.status_code == 200  # the form again, not the admin index
    assert re.search(r"Too many failed login attempts; try again in \d+ seconds\.", page.content.decode())
    assert "_auth_user_id" not in client.session


def test_logins_go_on_when_redis_does_not_answer(limits, monkeypatch):
    import redis

    from accounts import login_limits

    owner = UserFactory()
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(login_limits, "get_redis", lambda: dead)
    before = _counted("failed_open")

    for _ in range(5):
        assert _login(owner.username, "guess").status_code == 400
    assert _login(owner.username, PASSWORD).status_code == 200

    assert _counted("failed_open") == before + 6
