"""A full Redis (its maxmemory reached, under noeviction) refuses writes whole: every cart
write answers 503 ``service_unavailable`` with ``Retry-After``, nothing changes, and the
same requests succeed once Redis has room (docs/reliability.md, "Redis full")."""

import pytest
from prometheus_client import REGISTRY

from tests.cart.helpers import redis_configured
from tests.conftest import db_all
from tests.factories import SkuFactory

pytestmark = db_all

CART = "/api/v1/cart"
FULL = 1  # bytes: whatever Redis holds is over it


@pytest.fixture
def cart_of_one_line(api):
    sku = SkuFactory()
    line = f"{sku.item_id}:{sku.sku_id}"
    added = api.send("post", f"{CART}/items", {"item_id": sku.item_id, "sku_id": sku.sku_id, "quantity": 2})
    assert added.status_code == 200, added.content
    return sku, line


def _refused(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "service_unavailable" and response.json()["detail"]
    assert int(response["Retry-After"]) >= 1


def _refusals() -> float:
    return REGISTRY.get_sample_value("service_unavailable_total", {"service": "redis"}) or 0.0


def test_every_cart_write_is_refused_whole_and_nothing_changes(api, cart_of_one_line):
    sku, line = cart_of_one_line
    other = SkuFactory()
    before = api.get(CART).json()
    refusals = _refusals()

    with redis_configured("maxmemory", FULL):
        writes = [
            api.send("post", f"{CART}/items", {"item_id": sku.item_id, "sku_id": sku.sku_id, "quantity": 1}),
            api.send("post", f"{CART}/items", {"item_id": other.item_id, "sku_id": other.sku_id}),
            api.send("patch", f"{CART}/items/{line}", {"quantity": 7}),
            api.send("post", f"{CART}/selection", {"checked": False}),
            api.send("post", f"{CART}/merge", {"items": [{"item_id": other.item_id, "sku_id": other.sku_id}]}),
            api.send("post", f"{CART}/items/{line}/save-for-later"),
            api.delete(f"{CART}/items/{line}"),
        ]

    for response in writes:
        _refused(response)
    assert _refusals() == refusals + len(writes)
    assert api.get(CART).json() == before


def test_the_same_requests_succeed_once_redis_has_room(api, cart_of_one_line):
    _, line = cart_of_one_line
    with redis_configured("maxmemory", FULL):
        _refused(api.send("patch", f"{CART}/items/{line}", {"quantity": 7}))

    patched = api.send("patch", f"{CART}/items/{line}", {"quantity": 7})

    assert patched.status_code == 200, patched.content
    assert patched.json()["quantity"] == 7
    (item,) = api.get(CART).json()["items"]
    assert (item["id"], item["quantity"]) == (line, 7)


def test_a_shopper_adding_from_a_page_gets_the_styled_page_and_the_cart_is_unchanged(client, api, cart_of_one_line):
    sku, _ = cart_of_one_line
    client.force_login(api.user)
    before = api.get(CART).json()

    with redis_configured("maxmemory", FULL):
        page = client.post("/cart/add", {"item_id": sku.item_id, "sku_id": sku.sku_id, "quantity": 1})

    assert page.status_code == 503 and int(page["Retry-After"]) >= 1
    assert page["Content-Type"].startswith("text/html")
    assert "back in a moment" in page.content.decode()
    assert api.get(CART).json() == before
