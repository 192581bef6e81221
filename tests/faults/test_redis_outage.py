"""Redis gone (SIGKILL), hung (SIGSTOP) or full under gunicorn with production settings, as a
shopper and a mobile client meet it: every API call that needs Redis answers 503 JSON
with Retry-After within a second, the catalog keeps answering from MySQL, shoppers get a
styled page, /readyz answers within a second, and everything recovers without a restart
once Redis is back (docs/reliability.md, "Outages as a client sees them")."""

import statistics
import time

import httpx
import pytest
import redis

from tests.conftest import db_all_tx
from tests.factories import SkuFactory
from tests.faults.procs import RedisServer, running, wait_for
from tests.processes import start_production_server

pytestmark = [db_all_tx, pytest.mark.faults]

UNAVAILABLE = {"service_unavailable", "cart_unavailable"}


@pytest.fixture
def outage(tmp_path):
    """A Redis of the test's own and gunicorn (production settings) on it; yields
    (redis, base URL, a shopper's token, a SKU in the catalog)."""
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    sku = SkuFactory()
    server, base = start_production_server(tmp_path, REDIS_URL=redis_server.url, RATE_LIMITS_ENABLED="1")
    with running(server):
        registered = httpx.post(
            f"{base}/api/v1/auth/register", json={"username": "outage-shopper", "password": "a-long-passphrase"}
        )
        assert registered.status_code == 201, registered.text
        token = registered.json()["token"]
        added = _add(base, token, sku)
        assert added.status_code == 200, added.text
        try:
            yield redis_server, base, token, sku
        finally:
            redis_server.stop()


def _auth(token: str) -> dict:
    return {"Authorization": f"Token {token}"}


def _add(base: str, token: str, sku):
    body = {"item_id": sku.item_id, "sku_id": sku.sku_id, "quantity": 1}
    return httpx.post(f"{base}/api/v1/cart/items", json=body, headers=_auth(token), timeout=10)


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _assert_api_503(response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["code"] in UNAVAILABLE and response.json()["detail"]
    assert int(response.headers["Retry-After"]) >= 1


def _assert_recovers(base: str, token: str, sku) -> None:
    def everything_answers() -> bool:
        # Several rounds: each worker process has a breaker of its own, closed at its next try.
        for _ in range(4):
            cart = httpx.get(f"{base}/api/v1/cart", headers=_auth(token), timeout=10)
            ready = httpx.get(f"{base}/readyz", timeout=10)
            if (cart.status_code, _add(base, token, sku).status_code, ready.status_code) != (200, 200, 200):
                return False
        return True

    assert wait_for(everything_answers, 20, pause=0.2), "the service did not recover once Redis was back"


def _cart_calls(base: str, token: str, sku) -> list:
    return [
        lambda: httpx.get(f"{base}/api/v1/cart", headers=_auth(token), timeout=10),
        lambda: _add(base, token, sku),
        lambda: httpx.patch(
            f"{base}/api/v1/cart/items/{sku.item_id}:{sku.sku_id}", json={"quantity": 3}, headers=_auth(token)
        ),
    ]


def test_redis_killed_gives_503s_with_retry_after_and_the_catalog_keeps_working(outage):
    redis_server, base, token, sku = outage
    redis_server.kill9()

    for call in _cart_calls(base, token, sku):
        _assert_api_503(call())
    # The catalog needs no cart: it answers from MySQL, with or without a token.
    for headers in ({}, _auth(token)):
        products = httpx.get(f"{base}/api/v1/products", headers=headers, timeout=10)
        assert products.status_code == 200 and products.json()["count"] >= 1
    assert httpx.get(f"{base}/products/", timeout=10).status_code == 200
    product = httpx.get(f"{base}/api/v1/products/{sku.item_id}", headers=_auth(token), timeout=10)
    assert product.status_code == 200 and product.json()["item_id"] == sku.item_id
    # A shopper's cart page: a page that says what is going on, never Django's 500.
    page = httpx.get(f"{base}/cart/", cookies={"sessionid": "x"}, timeout=10)
    assert page.status_code in (200, 503)
    if page.status_code == 503:
        assert "We&#x27;ll be back in a moment" in page.text or "We'll be back in a moment" in page.text
        assert page.headers["Retry-After"]
    ready, took = _timed(lambda: httpx.get(f"{base}/readyz", timeout=10))
    assert ready.status_code == 503 and ready.json()["checks"]["redis"].startswith("error")
    assert took < 1.0

    redis_server.start()  # the same port, an empty server
    _assert_recovers(base, token, sku)


def test_a_hung_redis_fails_requests_fast_and_recovers_without_restart(outage):
    redis_server, base, token, sku = outage
    redis_server.freeze()

    durations = []
    calls = _cart_calls(base, token, sku)
    deadline = time.monotonic() + 8  # several breaker periods: closed, open, half-open tries
    while time.monotonic() < deadline:
        for call in calls:
            response, took = _timed(call)
            _assert_api_503(response)
            durations.append(took)
    ready, ready_took = _timed(lambda: httpx.get(f"{base}/readyz", timeout=10))
    products = httpx.get(f"{base}/api/v1/products", timeout=10)

    durations.sort()
    p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
    print(
        f"hung Redis: {len(durations)} requests, p50 {statistics.median(durations) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {durations[-1] * 1000:.0f} ms; /readyz in {ready_took * 1000:.0f} ms"
    )
    assert len(durations) >= 30
    assert p99 < 1.0
    assert ready.status_code == 503 and ready_took < 1.0
    assert products.status_code == 200

    redis_server.thaw()
    _assert_recovers(base, token, sku)


def test_a_full_redis_refuses_writes_whole_with_503s_and_takes_them_once_it_has_room(outage):
    redis_server, base, token, sku = outage
    cart = f"{base}/api/v1/cart"
    before = httpx.get(cart, headers=_auth(token), timeout=10).json()
    client = redis.Redis(port=redis_server.port)
    client.config_set("maxmemory", 1)  # under the default noeviction: every write refused
    try:
        for call in _cart_calls(base, token, sku)[1:]:  # the add and the quantity change
            _assert_api_503(call())
    finally:
        client.config_set("maxmemory", 0)

    assert httpx.get(cart, headers=_auth(token), timeout=10).json() == before
    _assert_recovers(base, token, sku)
