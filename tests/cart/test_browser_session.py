"""Browsers use the session cookie, and every write needs the CSRF token."""

import pytest
from django.test import Client

from tests.conftest import db_all
from tests.factories import UserFactory

pytestmark = db_all


@pytest.fixture
def browser():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    return client


def test_a_session_reads_its_cart(browser):
    response = browser.get("/api/v1/cart")
    assert response.status_code == 200 and response.json()["items"] == []


def test_a_session_write_without_the_csrf_token_is_refused(browser):
    response = browser.post("/api/v1/cart/items", '{"item_id": 1, "sku_id": 1}', content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert browser.get("/api/v1/cart").json()["items"] == []


def test_a_session_write_with_the_csrf_token_applies(browser):
    token = "k" * 32  # the cookie a page would have set; the header must repeat it
    browser.cookies["csrftoken"] = token
    response = browser.post(
        "/api/v1/cart/items", '{"item_id": 1, "sku_id": 1}', content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200 and response.json()["quantity"] == 1


def test_an_anonymous_browser_gets_401_json(client):
    response = client.post("/api/v1/cart/items", '{"item_id": 1, "sku_id": 1}', content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_the_openapi_document_lists_every_endpoint(client):
    import yaml

    response = client.get("/api/schema/")
    assert response.status_code == 200
    paths = set(yaml.safe_load(response.content)["paths"])
    assert {
        "/api/v1/cart",
        "/api/v1/cart/items",
        "/api/v1/cart/items/{line_id}",
        "/api/v1/cart/selection",
        "/api/v1/cart/merge",
        "/api/v1/products",
        "/api/v1/products/{item_id}",
        "/api/v1/auth/register",
        "/api/v1/auth/token",
        "/api/v1/auth/logout",
    } <= paths
    assert not any(path.startswith("/api/bench") for path in paths)


def test_the_browsable_api_docs_render(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200 and b"swagger" in response.content.lower()
