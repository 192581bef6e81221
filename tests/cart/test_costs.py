"""Exact costs of the request path: Redis round trips and SQL queries, counted."""

import pytest
from django.conf import settings

from cart.selectors import cart_get
from cart.services import MergeEntry, cart_add_line, cart_merge
from tests.api_client import ApiClient
from tests.conftest import db_all
from tests.costs import capture_sql, count_redis
from tests.factories import SkuFactory

pytestmark = db_all

# On one server the rate-limit script also reads the token's entry: one call. A cluster
# keeps them in different slots, so there they are a GET and a script, two round trips.
AUTH_AND_LIMIT = ["GET", "EVALSHA"] if settings.REDIS_CLUSTER else ["EVALSHA"]
AUTH_AND_LIMIT_ROUND_TRIPS = len(AUTH_AND_LIMIT)


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
    # The token and the rate limit (one script on one server), then the cart: one
    # pipeline, whatever the number of lines.
    assert redis_log.round_trips == AUTH_AND_LIMIT_ROUND_TRIPS + 1
    assert redis_log.commands == [*AUTH_AND_LIMIT, "HGETALL", "PEXPIRE"]
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
    assert redis_log.commands == [*AUTH_AND_LIMIT, "EVALSHA"]  # token and rate limit, the add script
    assert redis_log.round_trips == AUTH_AND_LIMIT_ROUND_TRIPS + 1
    assert sql == {}


@pytest.mark.parametrize("lines", [1, 120])
def test_selecting_every_line_is_one_script_call(shopper, lines):
    _fill(shopper.user.pk, lines)
    shopper.get("/api/v1/cart")
    # Loads the script into Redis, whose script cache another test may have flushed.
    shopper.send("POST", "/api/v1/cart/selection", {"checked": True})

    with count_redis() as redis_log, capture_sql() as sql:
        response = shopper.send("POST", "/api/v1/cart/selection", {"checked": False})

    assert response.json()["summary"]["checked_lines"] == 0
    assert redis_log.commands == [*AUTH_AND_LIMIT, "EVALSHA"]  # token and rate limit, the select script
    assert sql == {}


def test_a_merge_of_twenty_lines_is_one_script_call(shopper):
    skus = [SkuFactory() for _ in range(20)]
    body = {"items": [{"item_id": s.item_id, "sku_id": s.sku_id, "quantity": 2} for s in skus]}
    with count_redis() as redis_log, capture_sql() as sql:
        response = shopper.send("POST", "/api/v1/cart/merge", body)
    assert len(response.json()["merged"]) == 20
    assert {line["status"] for line in response.json()["items"]} == {"available"}  # born checked
    # Token, rate limit, one MGET for the SKU data (new lines are born with it), at most
    # three queries for what no cache held, then the merge script.
    assert redis_log.commands[: len(AUTH_AND_LIMIT) + 1] == [*AUTH_AND_LIMIT, "MGET"]
    assert redis_log.commands[-1] == "EVALSHA"
    assert redis_log.commands.count("EVALSHA") == AUTH_AND_LIMIT.count("EVALSHA") + 1
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
