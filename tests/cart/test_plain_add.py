"""The plain add path (cart/api/plain_add.py) answers exactly as the DRF view does, and
leaves every request it does not fully understand to that view."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from cart.api import views
from catalog.cache import sku_info_many
from ops.ratelimit import Limit, limit_set
from tests.api_client import ApiClient
from tests.conftest import db_all
from tests.factories import SkuFactory, UserFactory

pytestmark = db_all

ADD = "/api/v1/cart/items"
# Set per request by design, so they differ between any two answers.
_VOLATILE_HEADERS = {"X-Request-ID", "ETag"}
_VOLATILE_FIELDS = {"cart_version", "current_version", "added_at", "updated_at"}


@pytest.fixture
def drf_calls(monkeypatch):
    """The requests the DRF view served."""
    served = []
    original = views.CartItemsView.dispatch

    def dispatch(self, request, *args, **kwargs):
        served.append(request.path)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(views.CartItemsView, "dispatch", dispatch)
    return served


def _answer(response) -> tuple:
    body = response.json()
    comparable = {k: v for k, v in body.items() if k not in _VOLATILE_FIELDS} if isinstance(body, dict) else body
    headers = {k: v for k, v in response.headers.items() if k not in _VOLATILE_HEADERS}
    return response.status_code, comparable, headers


def _both_paths(settings, scenario) -> tuple[tuple, tuple]:
    """Run ``scenario(api) -> response`` on a new shopper, with and without the plain path."""
    answers = []
    for plain in (True, False):
        settings.CART_PLAIN_ADD = plain
        answers.append(_answer(scenario(ApiClient())))
    return answers[0], answers[1]


def _add(api, sku, quantity=1, **headers):
    return api.send("POST", ADD, {"item_id": sku.item_id, "sku_id": sku.sku_id, "quantity": quantity}, **headers)


def test_a_plain_add_is_served_without_the_drf_view(drf_calls):
    sku = SkuFactory()
    response = _add(ApiClient(), sku, 2)
    assert response.status_code == 200
    assert response.json()["quantity"] == 2
    assert response["ETag"] == f'"{response.json()["cart_version"]}"'
    assert drf_calls == []


@pytest.mark.parametrize("held", [True, False], ids=["SKU data held", "no cache holds the SKU"])
def test_a_new_line_answers_the_same_on_both_paths(settings, held):
    sku = SkuFactory()
    if held:
        sku_info_many([sku.sku_id])
    plain, drf = _both_paths(settings, lambda api: _add(api, sku, 3))
    assert plain == drf
    assert plain[0] == 200 and plain[1]["quantity"] == 3
    assert (plain[1]["title"], plain[1]["status"]) == ((sku.item.title, "available") if held else (None, "unknown"))
    assert plain[2]["Allow"] == "POST, OPTIONS" and plain[2]["Content-Type"] == "application/json"


def test_a_capped_line_answers_the_same_on_both_paths(settings):
    sku = SkuFactory()

    def capped(api):
        _add(api, sku, 999)
        return _add(api, sku, 5)

    plain, drf = _both_paths(settings, capped)
    assert plain == drf
    assert plain[1]["capped"] is True and plain[1]["quantity"] == 999


def test_a_full_cart_answers_the_same_on_both_paths(settings):
    settings.CART_MAX_LINES = 1
    first, second = SkuFactory(), SkuFactory()

    def full(api):
        _add(api, first)
        return _add(api, second)

    plain, drf = _both_paths(settings, full)
    assert plain == drf
    assert plain[0] == 409 and plain[1]["code"] == "cart_full"


def test_a_stale_if_match_answers_the_same_on_both_paths(settings):
    sku = SkuFactory()

    def stale(api):
        _add(api, sku)
        return _add(api, sku, HTTP_IF_MATCH='"1"')

    plain, drf = _both_paths(settings, stale)
    assert plain == drf
    assert plain[0] == 412 and plain[1]["code"] == "version_mismatch"


def test_a_current_if_match_applies_on_the_plain_path(drf_calls):
    api, sku = ApiClient(), SkuFactory()
    version = _add(api, sku).json()["cart_version"]
    response = _add(api, sku, HTTP_IF_MATCH=f'"{version}"')
    assert response.status_code == 200 and response.json()["quantity"] == 2
    assert drf_calls == []


def test_an_unknown_token_answers_the_same_on_both_paths(settings):
    sku = SkuFactory()

    def unknown(api):
        api.credentials(HTTP_AUTHORIZATION="Token " + "x" * 64)
        return _add(api, sku)

    plain, drf = _both_paths(settings, unknown)
    assert plain == drf
    assert plain[0] == 401 and plain[1]["code"] == "not_authenticated"
    assert plain[2]["WWW-Authenticate"] == "Token"


def test_an_exhausted_bucket_answers_the_same_on_both_paths(settings):
    limit_set("core_write", Limit(0.001, 1, 1e6, 1_000_000))
    try:
        sku = SkuFactory()

        def busy(api):
            _add(api, sku)
            return _add(api, sku)

        plain, drf = _both_paths(settings, busy)
    finally:
        limit_set("core_write", None)
    assert plain == drf
    assert plain[0] == 429 and plain[1]["code"] == "system_busy"
    assert int(plain[2]["Retry-After"]) >= 1


def test_a_bucket_of_n_lets_exactly_n_concurrent_plain_adds_through(drf_calls):
    api, sku = ApiClient(), SkuFactory()
    api.get("/api/v1/cart")  # the token is verified and remembered: the adds fuse their limit into its lookup
    limit_set("core_write", Limit(0.001, 5, 1e6, 1_000_000))
    try:
        clients = [ApiClient(user=api.user, token=api.token) for _ in range(16)]
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda c: _add(c, sku).status_code, clients))
    finally:
        limit_set("core_write", None)
    assert sorted(statuses) == [200] * 5 + [429] * 11
    assert api.get("/api/v1/cart").json()["items"][0]["quantity"] == 5
    assert drf_calls == []


def test_a_keyed_add_and_its_retry_answer_the_same_on_both_paths(settings, drf_calls):
    sku = SkuFactory()
    sku_info_many([sku.sku_id])  # held on both runs alike

    def retried(api):
        first = _add(api, sku, 2, HTTP_IDEMPOTENCY_KEY="k-1")
        assert not first.has_header("Idempotent-Replayed")
        again = _add(api, sku, 2, HTTP_IDEMPOTENCY_KEY="k-1")
        assert again.json() == first.json() and again["ETag"] == first["ETag"]
        assert api.get("/api/v1/cart").json()["items"][0]["quantity"] == 2
        return again

    plain, drf = _both_paths(settings, retried)
    assert plain == drf
    assert plain[0] == 200 and plain[2]["Idempotent-Replayed"] == "true"
    assert drf_calls == [ADD, ADD]  # only the run with the plain path switched off


def test_a_reused_key_and_a_replayed_refusal_answer_the_same_on_both_paths(settings):
    settings.CART_MAX_LINES = 1
    first, second = SkuFactory(), SkuFactory()

    def reused(api):
        _add(api, first, HTTP_IDEMPOTENCY_KEY="k-1")
        refused = _add(api, second, HTTP_IDEMPOTENCY_KEY="k-2")
        again = _add(api, second, HTTP_IDEMPOTENCY_KEY="k-2")
        assert (refused.status_code, again.status_code) == (409, 409) and again.json() == refused.json()
        assert again["Idempotent-Replayed"] == "true"
        return _add(api, second, 5, HTTP_IDEMPOTENCY_KEY="k-1")

    plain, drf = _both_paths(settings, reused)
    assert plain == drf
    assert plain[0] == 422 and plain[1]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({"HTTP_IDEMPOTENCY_KEY": " "}, None, 400, "invalid"),
        ({"HTTP_ACCEPT": "text/html"}, None, 406, "not_acceptable"),
        ({"HTTP_IF_MATCH": "seventeen"}, None, 400, "invalid"),
        ({}, '{"item_id": "1", "sku_id": 1}', 400, "invalid"),
        ({}, '{"item_id": 123456789012345678901234, "sku_id": 1}', 400, "invalid"),
        ({}, '{"item_id": 1,', 400, "invalid"),
        ({}, "[1, 2]", 400, "invalid"),
    ],
)
def test_requests_off_the_plain_path_go_to_the_drf_view(drf_calls, headers, body, status, code):
    api, sku = ApiClient(), SkuFactory()
    raw = body if body is not None else f'{{"item_id": {sku.item_id}, "sku_id": {sku.sku_id}}}'
    response = api.send("POST", ADD, raw=raw, **headers)
    assert response.status_code == status
    if code:
        assert response.json()["code"] == code
    else:
        assert response.json()["quantity"] == 1
    assert drf_calls == [ADD]


def test_a_query_string_or_another_content_type_goes_to_the_drf_view(drf_calls):
    api, sku = ApiClient(), SkuFactory()
    body = f'{{"item_id": {sku.item_id}, "sku_id": {sku.sku_id}}}'
    assert api.post(f"{ADD}?format=json", data=body, content_type="application/json").status_code == 200
    response = api.post(ADD, data=body, content_type="text/plain")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    assert drf_calls == [ADD, ADD]


def test_a_session_add_still_needs_the_csrf_token(drf_calls):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(UserFactory())
    sku = SkuFactory()
    body = f'{{"item_id": {sku.item_id}, "sku_id": {sku.sku_id}}}'
    response = browser.post(ADD, body, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert browser.get("/api/v1/cart").json()["items"] == []
    assert drf_calls == [ADD]


def test_the_schema_still_documents_the_add(client):
    import yaml

    operation = yaml.safe_load(client.get("/api/schema/").content)["paths"][ADD]["post"]
    assert operation["summary"] == "Add a SKU to the cart"
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AddLineIn")
    assert {p["name"] for p in operation["parameters"]} == {"If-Match", "Idempotency-Key"}
