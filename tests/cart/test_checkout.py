"""Checkout reads price and stock from MySQL, deducts stock atomically, and refuses honestly."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connections

from cart.engine import keys
from cart.engine.store import CartStore
from catalog.cache import SkuInfo
from catalog.keys import sku_info_key
from catalog.models import Stock
from core.redis_client import get_redis
from orders import checkout
from orders.models import Order, OrderLine
from tests.api_client import ApiClient
from tests.conftest import db_all, db_all_tx
from tests.factories import SkuFactory

CHECKOUT = "/api/v1/checkout"


def _add(api, sku, quantity=1):
    response = api.send(
        "POST", "/api/v1/cart/items", {"item_id": sku.item_id, "sku_id": sku.sku_id, "quantity": quantity}
    )
    assert response.status_code == 200
    return f"{sku.item_id}:{sku.sku_id}"


def _stock(sku) -> int:
    return Stock.objects.get(sku=sku).quantity


@db_all
class TestCheckout:
    def test_buys_the_checked_lines_deducts_stock_and_empties_them_from_the_cart(self, api):
        shoe = SkuFactory(price__amount=Decimal("19.99"), stock__quantity=5)
        sock = SkuFactory(price__amount=Decimal("3.50"), stock__quantity=10)
        hat = SkuFactory(stock__quantity=1)
        _add(api, shoe, 2)
        _add(api, sock, 3)
        hat_id = _add(api, hat)
        api.send("PATCH", f"/api/v1/cart/items/{hat_id}", {"checked": False})

        response = api.send("POST", CHECKOUT, {})

        assert response.status_code == 201
        body = response.json()
        assert (body["total"], body["currency"]) == ("50.48", "USD")
        assert sorted((line["sku_id"], line["quantity"], line["line_total"]) for line in body["lines"]) == sorted(
            [(shoe.sku_id, 2, "39.98"), (sock.sku_id, 3, "10.50")]
        )
        assert (_stock(shoe), _stock(sock), _stock(hat)) == (3, 7, 1)
        assert [item["id"] for item in api.get("/api/v1/cart").json()["items"]] == [hat_id]
        order = Order.objects.get(pk=body["order_id"])
        assert (order.user_id, order.total, order.lines.count()) == (api.user.pk, Decimal("50.48"), 2)

    def test_buys_only_the_listed_ids(self, api):
        first, second = SkuFactory(), SkuFactory()
        first_id = _add(api, first)
        second_id = _add(api, second)
        body = api.send("POST", CHECKOUT, {"ids": [second_id]}).json()
        assert [line["id"] for line in body["lines"]] == [second_id]
        assert [item["id"] for item in api.get("/api/v1/cart").json()["items"]] == [first_id]

    def test_prices_come_from_mysql_not_from_the_cache(self, api, _clean_redis):
        sku = SkuFactory(price__amount=Decimal("40.00"))
        _add(api, sku)
        wrong = SkuInfo(sku.sku_id, sku.item_id, "x", {}, True, Decimal("1.00"), "USD", 99)
        _clean_redis.set(sku_info_key(sku.sku_id), wrong.to_json())
        assert api.send("POST", CHECKOUT, {}).json()["total"] == "40.00"

    def test_short_stock_refuses_the_whole_order_and_deducts_nothing(self, api):
        plenty, short = SkuFactory(stock__quantity=10), SkuFactory(stock__quantity=1)
        _add(api, plenty, 2)
        short_id = _add(api, short, 2)
        before = api.get("/api/v1/cart").json()

        response = api.send("POST", CHECKOUT, {})

        assert response.status_code == 409
        assert response.json()["code"] == "sold_out" and response.json()["ids"] == [short_id]
        assert (_stock(plenty), _stock(short)) == (10, 1)
        assert not Order.objects.exists() and not OrderLine.objects.exists()
        assert api.get("/api/v1/cart").json()["items"] == before["items"]

    def test_an_inactive_product_is_refused_as_unavailable(self, api):
        gone = SkuFactory(item__active=False)
        fine = SkuFactory()
        gone_id = _add(api, gone)
        _add(api, fine)
        response = api.send("POST", CHECKOUT, {})
        assert (response.status_code, response.json()["code"], response.json()["ids"]) == (
            409,
            "unavailable",
            [gone_id],
        )
        assert _stock(fine) == 50

    def test_an_expected_total_that_no_longer_holds_is_refused(self, api):
        sku = SkuFactory(price__amount=Decimal("10.00"))
        line_id = _add(api, sku, 2)
        sku.price.amount = Decimal("11.00")
        sku.price.save()

        response = api.send("POST", CHECKOUT, {"expected_total": "20.00"})

        assert response.status_code == 409
        assert response.json()["code"] == "price_changed" and response.json()["total"] == "22.00"
        assert response.json()["ids"] == [line_id]
        assert _stock(sku) == 50
        assert api.send("POST", CHECKOUT, {"expected_total": "22.00"}).status_code == 201

    @pytest.mark.parametrize(
        "body, field",
        [
            ({"ids": []}, "ids"),
            ({"ids": ["x"]}, "ids"),
            ({"expected_total": 20}, "expected_total"),
            ({"total": "1.00"}, "total"),
        ],
    )
    def test_bad_bodies_are_refused(self, api, body, field):
        _add(api, SkuFactory())
        response = api.send("POST", CHECKOUT, body)
        assert response.status_code == 400 and field in response.json()["fields"]

    def test_nothing_checked_is_a_409_and_unknown_ids_a_404(self, api):
        line_id = _add(api, SkuFactory())
        api.send("PATCH", f"/api/v1/cart/items/{line_id}", {"checked": False})
        refused = api.send("POST", CHECKOUT, {})
        assert (refused.status_code, refused.json()["code"], refused.json()["ids"]) == (409, "unavailable", [])
        response = api.send("POST", CHECKOUT, {"ids": ["1:1"]})
        assert (response.status_code, response.json()["code"]) == (404, "line_not_found")

    def test_a_retried_checkout_with_its_idempotency_key_does_not_buy_twice(self, api):
        sku = SkuFactory(stock__quantity=5)
        _add(api, sku, 2)
        first = api.send("POST", CHECKOUT, {}, HTTP_IDEMPOTENCY_KEY="order-1")
        again = api.send("POST", CHECKOUT, {}, HTTP_IDEMPOTENCY_KEY="order-1")
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
        assert _stock(sku) == 3 and Order.objects.count() == 1

    def test_a_checkout_kept_waiting_by_another_buys_nothing_and_its_retry_runs(self, api, monkeypatch):
        monkeypatch.setattr(checkout, "WAIT_SECONDS", 0.2)
        sku = SkuFactory(stock__quantity=5)
        _add(api, sku, 2)
        lock = keys.checkout_lock_key(api.user.pk)
        assert CartStore().try_lock(lock, "another-checkout", 10_000)

        response = api.send("POST", CHECKOUT, {}, HTTP_IDEMPOTENCY_KEY="order-1")

        assert (response.status_code, response.json()["code"]) == (409, "checkout_in_progress")
        assert _stock(sku) == 5 and not Order.objects.exists()
        assert CartStore().unlock(lock, "another-checkout")  # its lock was left alone
        retry = api.send("POST", CHECKOUT, {}, HTTP_IDEMPOTENCY_KEY="order-1")
        assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
        assert _stock(sku) == 3 and Order.objects.count() == 1

    def test_the_checkout_lock_is_released_after_a_refusal(self, api):
        sku = SkuFactory(stock__quantity=1)
        _add(api, sku, 2)
        assert api.send("POST", CHECKOUT, {}).json()["code"] == "sold_out"
        assert get_redis().exists(keys.checkout_lock_key(api.user.pk)) == 0
        Stock.objects.filter(sku=sku).update(quantity=2)
        assert api.send("POST", CHECKOUT, {}).status_code == 201

    def test_another_users_lines_cannot_be_bought(self, api, other_api):
        line_id = _add(api, SkuFactory())
        response = other_api.send("POST", CHECKOUT, {"ids": [line_id]})
        assert response.status_code == 404


def _check_out_at_once(clients: list[ApiClient]) -> list:
    """Every client posts a checkout at the same moment, each from a thread of its own."""
    barrier = threading.Barrier(len(clients))

    def buy(client):
        barrier.wait()
        try:
            return client.send("POST", CHECKOUT, {})
        finally:
            for connection in connections.all():
                connection.close()

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(buy, clients))


@db_all_tx
def test_two_buyers_racing_for_the_last_unit_exactly_one_wins():
    sku = SkuFactory(stock__quantity=1)
    buyers = [ApiClient(), ApiClient()]
    for buyer in buyers:
        _add(buyer, sku)
    responses = _check_out_at_once(buyers)

    assert sorted(r.status_code for r in responses) == [201, 409]
    assert [r.json()["code"] for r in responses if r.status_code == 409] == ["sold_out"]
    assert _stock(sku) == 0 and Order.objects.count() == 1


@db_all_tx
def test_one_shoppers_overlapping_checkouts_buy_the_cart_once():
    sku = SkuFactory(stock__quantity=10)
    devices = [ApiClient()]
    devices += [ApiClient(user=devices[0].user) for _ in range(3)]
    _add(devices[0], sku, 2)
    responses = _check_out_at_once(devices)

    # The first buys the two; the others wait for it, then find nothing left to buy.
    assert sorted(r.status_code for r in responses) == [201, 400, 400, 400]
    assert all("Your cart is empty" in r.json()["fields"]["ids"][0] for r in responses if r.status_code == 400)
    assert _stock(sku) == 8 and Order.objects.count() == 1
