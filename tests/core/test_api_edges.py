"""Unsafe methods at the edges of /api/: unknown routes and the event stream answer the
contract's JSON, never Django's HTML "CSRF verification failed" page, with CSRF checks
enforced: by Django's test client told to enforce them, and by a real server under
production settings."""

import httpx
import pytest
from django.test import Client

from tests.conftest import db_all
from tests.factories import UserFactory

UNSAFE = ["POST", "PUT", "PATCH", "DELETE"]
UNKNOWN = ["/api/v1/cart/no-such-thing", "/api/nothing-here", "/api/v1/cart/items/1:2/nope", "/api/v1/cart/"]


def _assert_json_error(status: int, content_type: str, body: dict, *, expected_status: int, code: str) -> None:
    assert status == expected_status
    assert content_type.startswith("application/json")
    assert body["code"] == code and body["detail"]


@db_all
class TestWithCsrfEnforced:
    @pytest.fixture
    def browser(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(UserFactory())
        return client

    @pytest.mark.parametrize("method", UNSAFE)
    @pytest.mark.parametrize("path", UNKNOWN)
    def test_an_unknown_route_is_404_json_with_a_session_and_no_token(self, browser, method, path):
        response = getattr(browser, method.lower())(path, data="{}", content_type="application/json")
        _assert_json_error(
            response.status_code, response["Content-Type"], response.json(), expected_status=404, code="not_found"
        )

    @pytest.mark.parametrize("method", UNSAFE)
    def test_the_event_stream_refuses_unsafe_methods_with_405_json(self, browser, method):
        response = getattr(browser, method.lower())("/api/v1/cart/events")
        _assert_json_error(
            response.status_code,
            response["Content-Type"],
            response.json(),
            expected_status=405,
            code="method_not_allowed",
        )

    def test_a_session_write_without_its_csrf_token_is_403_json(self, browser):
        response = browser.post("/api/v1/cart/items", data={"item_id": 1, "sku_id": 2}, content_type="application/json")
        _assert_json_error(
            response.status_code, response["Content-Type"], response.json(), expected_status=403, code="csrf_failed"
        )

    def test_pages_keep_djangos_csrf_page(self, browser):
        response = browser.post("/cart/add", {"item_id": 1, "sku_id": 2})
        assert response.status_code == 403
        assert response["Content-Type"].startswith("text/html")


class TestAgainstAProductionServer:
    @pytest.mark.parametrize("method", UNSAFE)
    @pytest.mark.parametrize("path", [*UNKNOWN, "/api/v1/cart/events"])
    def test_no_unsafe_method_under_api_answers_html(self, production_server, method, path):
        with httpx.Client(base_url=production_server, timeout=10) as client:
            for headers in ({}, {"Authorization": "Token not-a-real-token"}, {"Cookie": "csrftoken=x; sessionid=y"}):
                response = client.request(method, path, content=b"{}", headers=headers)
                expected = (405, "method_not_allowed") if path.endswith("/events") else (404, "not_found")
                _assert_json_error(
                    response.status_code,
                    response.headers["content-type"],
                    response.json(),
                    expected_status=expected[0],
                    code=expected[1],
                )
