"""Exact costs of the request path: Redis round trips and SQL queries, counted."""

import pytest
from knox.models import AuthToken

from cart.selectors import cart_get
from cart.services import MergeEntry, cart_add_line, cart_merge
from tests.api_client import ApiClient
from tests.conftest import db_all
from tests.costs import capture_sql, count_redis
from tests.factories import SkuFactory, UserFactory

pytestmark = db_all

# The token, the caller's rate limit and the cart's read or change share the user's hash
# slot: one script, on one server and on a Cluster alike (ops.gate). Nothing before it.


@pytest.fixture
def shopper(db):
    api = ApiClient()
    api.get("/api/v1/cart")  # token verified once and cached, cart loaded
    return api


def _fill(user_id: int, lines: int) -> None:
    skus = [SkuFactory() for _ in range(lines)]
    cart_merge(user_id=user_id, entries=[MergeEntry(item_id=s.item_id, sku_id=s.sku_id, quantity=1) for s in skus])


@pytest.mark.parametrize("lines", [1, 20, 120])
def test_a_warm_cart_read_is_one_round_trip_and_no_sql(shopper, lines):
    _fill(shopper.user.pk, lines)
    shopper.get("/api/v1/cart")  # warms the SKU data

    with count_redis() as redis_log, capture_sql() as sql:
        response = shopper.get("/api/v1/cart")

    assert len(response.json()["items"]) == lines
    # One script checks the token and the limit and reads the cart, whatever the number of lines.
    assert redis_log.round_trips == 1
    assert redis_log.commands == ["EVALSHA"]
    assert sql == {}


@pytest.mark.parametrize("plain_path", [True, False], ids=["plain path", "DRF view"])
def test_an_add_is_one_script_call_and_no_sql(shopper, settings, plain_path):
    settings.CART_PLAIN_ADD = plain_path
    sku = SkuFactory()
    cart_add_line(user_id=shopper.user.pk, item_id=sku.item_id, sku_id=sku.sku_id)
    shopper.get("/api/v1/cart")

    with count_redis() as redis_log, capture_sql() as sql:
        response = shopper.send("POST", "/api/v1/cart/items", {"item_id": sku.item_id, "sku_id": sku.sku_id})

    assert response.json()["quantity"] == 2
    assert redis_log.commands == ["EVALSHA"]  # token, rate limit and the add, in one script
    assert redis_log.round_trips == 1
    assert sql == {}


def test_a_quantity_change_and_a_removal_are_one_script_call_each_and_no_sql(shopper):
    sku, other = SkuFactory(), SkuFactory()
    for s in (sku, other):
        cart_add_line(user_id=shopper.user.pk, item_id=s.item_id, sku_id=s.sku_id)
    shopper.get("/api/v1/cart")
    # Both scripts loaded into Redis, whose script cache another test may have flushed.
    shopper.send("PATCH", f"/api/v1/cart/items/{other.item_id}:{other.sku_id}", {"quantity": 2})
    shopper.send("DELETE", "/api/v1/cart/items/1:1")  # not in the cart: nothing removed

    with count_redis() as patch_log, capture_sql() as patch_sql:
        patched = shopper.send("PATCH", f"/api/v1/cart/items/{sku.item_id}:{sku.sku_id}", {"quantity": 5})
    with count_redis() as remove_log, capture_sql() as remove_sql:
        removed = shopper.send("DELETE", f"/api/v1/cart/items/{sku.item_id}:{sku.sku_id}")

    assert patched.json()["quantity"] == 5 and removed.status_code == 204
    assert (patch_log.round_trips, patch_log.commands, patch_sql) == (1, ["EVALSHA"], {})
    assert (remove_log.round_trips, remove_log.commands, remove_sql) == (1, ["EVALSHA"], {})
    assert [line["sku_id"] for line in shopper.get("/api/v1/cart").json()["items"]] == [other.sku_id]


@pytest.mark.parametrize("lines", [1, 120])
def test_selecting_every_line_is_one_script_call(shopper, lines):
    _fill(shopper.user.pk, lines)
    shopper.get("/api/v1/cart")
    # Loads the script into Redis, whose script cache another test may have flushed.
    shopper.send("POST", "/api/v1/cart/selection", {"checked": True})

    with count_redis() as redis_log, capture_sql() as sql:
        response = shopper.send("POST", "/api/v1/cart/selection", {"checked": False})

    assert response.json()["summary"]["checked_lines"] == 0
    assert redis_log.commands == ["EVALSHA"]  # token, rate limit and the selection, in one script
    assert redis_log.round_trips == 1
    assert sql == {}


def test_a_merge_of_twenty_lines_is_one_script_call(shopper):
    skus = [SkuFactory() for _ in range(20)]
    body = {"items": [{"item_id": s.item_id, "sku_id": s.sku_id, "quantity": 2} for s in skus]}
    with count_redis() as redis_log, capture_sql() as sql:
        response = shopper.send("POST", "/api/v1/cart/merge", body)
    assert len(response.json()["merged"]) == 20
    assert {line["status"] for line in response.json()["items"]} == {"available"}  # born checked
    # One MGET for the SKU data (new lines are born with it), at most three queries for
    # what no cache held, then the merge script, which checks the token and the limit too.
    assert redis_log.commands[0] == "MGET"
    assert redis_log.commands[-1] == "EVALSHA"
    assert redis_log.commands.count("EVALSHA") == 1
    assert all(len(queries) <= 3 for queries in sql.values())


def test_reading_a_cold_sku_set_costs_a_fixed_number_of_queries_not_one_per_line(shopper):
    _fill(shopper.user.pk, 60)
    from catalog.cache import local_cache

    local_cache.clear()
    from core.redis_client import get_redis

    for key in get_redis().scan_iter(match="*sku:*"):
        get_redis().delete(key)
    with capture_sql() as sql:
        view = cart_get(user_id=shopper.user.pk)
    assert len(view.items) == 60 and all(item.info is not None for item in view.items)
    assert sum(len(q) for q in sql.values()) <= 3


def test_a_token_issued_before_tokens_named_their_user_costs_one_more_call_and_is_counted():
    from prometheus_client import REGISTRY

    user = UserFactory()
    _, legacy = AuthToken.objects.create(user=user)  # a bare knox token, as issued before
    api = ApiClient(user=user, token=legacy)
    api.get("/api/v1/cart")  # its cache entry written, the cart loaded
    before = REGISTRY.get_sample_value("api_token_checks_total", {"format": "legacy"}) or 0

    with count_redis() as redis_log, capture_sql() as sql:
        response = api.get("/api/v1/cart")

    assert response.status_code == 200 and response.json()["items"] == []
    assert redis_log.commands == ["GET", "EVALSHA"]  # its cache entry, then the read with the limit
    assert sql == {}
    assert REGISTRY.get_sample_value("api_token_checks_total", {"format": "legacy"}) == before + 1


def test_a_token_not_cached_yet_is_checked_in_the_database_once_then_rides_the_script(shopper):
    api = ApiClient()  # its digest is not cached yet
    with count_redis() as cold, capture_sql() as cold_sql:
        assert api.get("/api/v1/cart").status_code == 200
    with count_redis() as warm, capture_sql() as warm_sql:
        assert api.get("/api/v1/cart").status_code == 200

    assert sum(len(queries) for queries in cold_sql.values()) >= 1  # the token, then the cart's shard
    assert cold.commands[0] == "EVALSHA" and cold.round_trips > 1
    assert (warm.round_trips, warm_sql) == (1, {})


def test_a_read_of_an_unchanged_cart_gets_same_from_redis_and_a_changed_one_gets_its_lines(shopper):
    from cart.engine.hot import hot_carts

    _fill(shopper.user.pk, 119)
    first = shopper.get("/api/v1/cart").json()
    held = hot_carts.held(shopper.user.pk)

    with count_redis() as redis_log:
        second = shopper.get("/api/v1/cart").json()

    assert second == first and redis_log.commands == ["EVALSHA"]
    assert hot_carts.held(shopper.user.pk) is held  # Redis said "same": no line was sent or decoded

    # Changed by another process: this one still holds the cart as it was.
    sku = SkuFactory()
    cart_add_line(user_id=shopper.user.pk, item_id=sku.item_id, sku_id=sku.sku_id)
    hot_carts._held[shopper.user.pk] = held
    third = shopper.get("/api/v1/cart").json()

    assert len(third["items"]) == 120 and third["version"] > first["version"]
    assert hot_carts.held(shopper.user.pk) is not held


def test_saved_for_later_reads_and_moves_are_one_script_call_each_and_no_sql(shopper):
    sku, other = SkuFactory(), SkuFactory()
    for s in (sku, other):
        cart_add_line(user_id=shopper.user.pk, item_id=s.item_id, sku_id=s.sku_id)
    shopper.get("/api/v1/cart")  # warms the SKU data
    # Every script loaded once (another test may have flushed Redis's script cache).
    shopper.send("POST", f"/api/v1/cart/items/{other.item_id}:{other.sku_id}/save-for-later")
    shopper.get("/api/v1/saved")
    shopper.send("POST", f"/api/v1/saved/{other.item_id}:{other.sku_id}/move-to-cart")
    shopper.send("DELETE", "/api/v1/saved/1:1")

    logs = []
    for method, path in [
        ("POST", f"/api/v1/cart/items/{sku.item_id}:{sku.sku_id}/save-for-later"),
        ("GET", "/api/v1/saved"),
        ("POST", f"/api/v1/saved/{sku.item_id}:{sku.sku_id}/move-to-cart"),
        ("DELETE", f"/api/v1/saved/{other.item_id}:{other.sku_id}"),
    ]:
        with count_redis() as redis_log, capture_sql() as sql:
            response = shopper.send(method, path)
        assert response.status_code in (200, 204), (path, response.content)
        logs.append((method, redis_log.round_trips, redis_log.commands, sql))

    # Token, rate limit and the work, in one script each, whatever list they touch.
    assert logs == [(method, 1, ["EVALSHA"], {}) for method in ("POST", "GET", "POST", "DELETE")]
