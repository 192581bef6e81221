"""Saved for later (API.md, "Saved for later"): the second list beside the cart, through
HTTP, and how it is persisted, reloaded and re-checked like cart lines."""

import json
from decimal import Decimal

import pytest
from django.db import connections
from django.test import override_settings

from cart.engine import keys
from cart.engine.store import CartStore
from cart.models import SavedItem
from cart.persistence.reconciliation import reconcile_run
from catalog.cache import local_cache, sku_info_refresh
from core.redis_client import get_redis
from pricing.models import Price
from tests.cart.helpers import cached, drain, persisted
from tests.conftest import db_all
from tests.factories import SkuFactory as Factory

pytestmark = db_all

CART = "/api/v1/cart"
ITEMS = "/api/v1/cart/items"
SAVED = "/api/v1/saved"
SAVED_LINE_FIELDS = {
    "id",
    "item_id",
    "sku_id",
    "quantity",
    "status",
    "title",
    "sku_attributes",
    "unit_price",
    "currency",
    "price_at_add",
    "price_change",
    "stock",
    "added_at",
    "updated_at",
    "saved_at",
}


@pytest.fixture(autouse=True)
def _fresh_sku_info():
    local_cache.clear()
    yield
    local_cache.clear()


def SkuFactory(**kwargs):
    """A SKU whose data the caches hold, as a shop's SKUs do: adds know its price."""
    sku = Factory(**kwargs)
    sku_info_refresh([sku.sku_id])
    return sku


def line_of(sku) -> str:
    return f"{sku.item_id}:{sku.sku_id}"


def add(api, sku, quantity=1) -> dict:
    response = api.send("post", ITEMS, {"item_id": sku.item_id, "sku_id": sku.sku_id, "quantity": quantity})
    assert response.status_code == 200, response.content
    return response.json()


def save(api, line_id: str, **headers):
    return api.send("post", f"{ITEMS}/{line_id}/save-for-later", **headers)


def move(api, line_id: str, **headers):
    return api.send("post", f"{SAVED}/{line_id}/move-to-cart", **headers)


def saved_list(api) -> dict:
    response = api.send("get", SAVED)
    assert response.status_code == 200, response.content
    return response.json()


def cart_ids(api) -> dict[str, int]:
    return {line["id"]: line["quantity"] for line in api.send("get", CART).json()["items"]}


def saved_rows(user_id: int) -> dict[str, int]:
    return {f"{r.item_id}:{r.sku_id}": r.quantity for r in SavedItem.objects.for_user(user_id).filter(deleted=False)}


# --- the moves ---------------------------------------------------------------------------


def test_save_for_later_moves_the_whole_line_out_of_the_cart(api):
    sku, other = SkuFactory(), SkuFactory()
    add(api, sku, 3)
    add(api, other)
    api.send("patch", f"{ITEMS}/{line_of(sku)}", {"checked": False})

    response = save(api, line_of(sku))

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"cart_version", "saved"}
    assert set(body["saved"]) == SAVED_LINE_FIELDS
    assert body["saved"]["id"] == line_of(sku)
    assert body["saved"]["quantity"] == 3
    assert body["saved"]["price_at_add"] == "19.99"
    assert body["saved"]["status"] == "available"
    assert response["ETag"] == f'"{body["cart_version"]}"'
    assert cart_ids(api) == {line_of(other): 1}
    listed = saved_list(api)
    assert listed["version"] == body["cart_version"]
    assert listed["max_lines"] == 500
    assert [line["id"] for line in listed["items"]] == [line_of(sku)]
    assert listed["items"][0]["saved_at"] == body["saved"]["saved_at"]


def test_saving_again_replaces_the_saved_quantity(api):
    sku = SkuFactory()
    add(api, sku, 5)
    save(api, line_of(sku))
    add(api, sku, 2)

    body = save(api, line_of(sku)).json()

    assert body["saved"]["quantity"] == 2
    assert [(line["id"], line["quantity"]) for line in saved_list(api)["items"]] == [(line_of(sku), 2)]
    assert cart_ids(api) == {}


def test_move_to_cart_brings_the_line_back_checked_with_its_price_at_add(api):
    sku = SkuFactory()
    add(api, sku, 2)
    save(api, line_of(sku))
    Price.objects.filter(sku=sku).update(amount=Decimal("17.49"))
    local_cache.clear()

    response = move(api, line_of(sku))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["line"]["id"] == line_of(sku)
    assert body["line"]["quantity"] == 2
    assert body["line"]["checked"] is True
    assert body["line"]["price_at_add"] == "19.99"
    assert saved_list(api)["items"] == []
    assert cart_ids(api) == {line_of(sku): 2}
    assert body["cart_version"] == api.send("get", CART).json()["version"]


def test_move_to_cart_grows_a_line_already_there_capped_at_999(api):
    sku = SkuFactory()
    add(api, sku, 900)
    save(api, line_of(sku))
    add(api, sku, 200)

    body = move(api, line_of(sku)).json()

    assert body["line"]["quantity"] == 999
    assert body["capped"] is True
    assert saved_list(api)["items"] == []


@override_settings(CART_MAX_LINES=2)
def test_move_to_a_full_cart_is_refused_and_nothing_moves(api):
    skus = [SkuFactory() for _ in range(3)]
    add(api, skus[0])
    save(api, line_of(skus[0]))
    add(api, skus[1])
    add(api, skus[2])
    before = saved_list(api)

    response = move(api, line_of(skus[0]))

    assert response.status_code == 409
    assert response.json()["code"] == "cart_full"
    assert saved_list(api) == before
    assert set(cart_ids(api)) == {line_of(skus[1]), line_of(skus[2])}


@override_settings(CART_MAX_SAVED_LINES=2)
def test_a_full_list_refuses_a_new_line_but_takes_one_it_holds(api):
    skus = [SkuFactory() for _ in range(3)]
    for sku in skus:
        add(api, sku)
    save(api, line_of(skus[0]))
    save(api, line_of(skus[1]))

    refused = save(api, line_of(skus[2]))
    add(api, skus[0], 4)
    replaced = save(api, line_of(skus[0]))

    assert refused.status_code == 409
    assert refused.json()["code"] == "saved_full"
    assert "500" in refused.json()["detail"] or "at most" in refused.json()["detail"]
    assert cart_ids(api) == {line_of(skus[2]): 1}
    assert replaced.status_code == 200
    assert replaced.json()["saved"]["quantity"] == 4


def test_saved_lines_do_not_count_toward_the_cart_limit(api):
    with override_settings(CART_MAX_LINES=1):
        first, second = SkuFactory(), SkuFactory()
        add(api, first)
        save(api, line_of(first))
        add(api, second)  # the cart is empty again: room for one
        assert cart_ids(api) == {line_of(second): 1}
        assert len(saved_list(api)["items"]) == 1


def test_delete_a_saved_line_is_idempotent(api):
    sku = SkuFactory()
    add(api, sku)
    save(api, line_of(sku))

    first = api.send("delete", f"{SAVED}/{line_of(sku)}")
    version = saved_list(api)["version"]
    second = api.send("delete", f"{SAVED}/{line_of(sku)}")

    assert (first.status_code, second.status_code) == (204, 204)
    assert saved_list(api)["items"] == []
    assert saved_list(api)["version"] == version  # deleting nothing changes nothing


def test_unknown_lines_are_line_not_found_and_change_nothing(api):
    sku = SkuFactory()
    add(api, sku)
    version = api.send("get", CART).json()["version"]

    not_in_cart = save(api, "1:2")
    not_saved = move(api, line_of(sku))

    for response in (not_in_cart, not_saved):
        assert response.status_code == 404
        assert response.json()["code"] == "line_not_found"
    assert api.send("get", CART).json()["version"] == version


def test_other_users_lines_are_not_reachable(api, other_api):
    sku = SkuFactory()
    add(other_api, sku)
    save(other_api, line_of(sku))

    assert save(api, line_of(sku)).status_code == 404
    assert move(api, line_of(sku)).status_code == 404
    assert api.send("delete", f"{SAVED}/{line_of(sku)}").status_code == 204
    assert [line["id"] for line in saved_list(other_api)["items"]] == [line_of(sku)]
    assert saved_list(api)["items"] == []


def test_if_match_guards_every_move(api):
    sku = SkuFactory()
    add(api, sku)
    stale = api.send("get", CART).json()["version"] - 1

    responses = [
        save(api, line_of(sku), HTTP_IF_MATCH=f'"{stale}"'),
        move(api, line_of(sku), HTTP_IF_MATCH=f'"{stale}"'),
        api.send("delete", f"{SAVED}/{line_of(sku)}", HTTP_IF_MATCH=f'"{stale}"'),
    ]

    for response in responses:
        assert response.status_code == 412
        assert response.json()["current_version"] == stale + 1
    assert cart_ids(api) == {line_of(sku): 1}


def test_a_keyed_save_applies_once_and_replays_its_answer(api):
    sku = SkuFactory()
    add(api, sku, 2)

    first = save(api, line_of(sku), HTTP_IDEMPOTENCY_KEY="save-1")
    add(api, sku, 7)
    again = save(api, line_of(sku), HTTP_IDEMPOTENCY_KEY="save-1")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert cart_ids(api) == {line_of(sku): 7}  # the retry did not move the new line


def test_get_saved_answers_304_to_its_etag(api):
    sku = SkuFactory()
    add(api, sku)
    save(api, line_of(sku))
    etag = api.send("get", SAVED)["ETag"]

    response = api.send("get", SAVED, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("line_id", ["abc", "1", "0:1", "1:0", "01:2", "1:2:3", "-1:2", "99999999999999999999:1"])
def test_malformed_line_ids_are_invalid(api, line_id):
    for response in (save(api, line_id), move(api, line_id), api.send("delete", f"{SAVED}/{line_id}")):
        assert response.status_code == 400, (line_id, response.content)
        assert response.json()["code"] == "invalid"
        assert "id" in response.json()["fields"]


@pytest.mark.parametrize("body", [{"quantity": 2}, [], "x", 5, None])
def test_moves_take_no_body_fields(api, body):
    sku = SkuFactory()
    add(api, sku)

    response = api.send("post", f"{ITEMS}/{line_of(sku)}/save-for-later", raw=json.dumps(body))

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert cart_ids(api) == {line_of(sku): 1}


def test_an_oversized_body_is_too_large(api):
    sku = SkuFactory()
    add(api, sku)

    response = api.send("post", f"{ITEMS}/{line_of(sku)}/save-for-later", raw=json.dumps({"x": "a" * 70_000}))

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert cart_ids(api) == {line_of(sku): 1}


def test_guests_are_asked_to_authenticate(client):
    paths = [("get", SAVED), ("post", f"{ITEMS}/1:2/save-for-later"), ("post", f"{SAVED}/1:2/move-to-cart")]
    for method, path in paths:
        response = getattr(client, method)(path)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


# --- persisted, reloaded, reconciled -----------------------------------------------------


def test_saved_lines_are_persisted_and_reloaded_after_cache_loss(api):
    sku, other = SkuFactory(), SkuFactory()
    add(api, sku, 4)
    add(api, other)
    save(api, line_of(sku))
    before = saved_list(api)
    drain()
    assert saved_rows(api.user.pk) == {line_of(sku): 4}
    assert line_of(sku) not in persisted(api.user.pk)

    get_redis().delete(keys.cart_key(api.user.pk), keys.saved_key(api.user.pk))

    after = saved_list(api)
    assert [(line["id"], line["quantity"], line["saved_at"]) for line in after["items"]] == [
        (line["id"], line["quantity"], line["saved_at"]) for line in before["items"]
    ]
    assert after["version"] >= before["version"]
    assert cart_ids(api) == {line_of(other): 1}


def test_a_move_back_is_persisted_in_both_tables(api):
    sku = SkuFactory()
    add(api, sku, 2)
    save(api, line_of(sku))
    drain()
    move(api, line_of(sku))
    drain()

    assert saved_rows(api.user.pk) == {}
    assert SavedItem.objects.for_user(api.user.pk).get(sku_id=sku.sku_id).deleted is True
    assert persisted(api.user.pk)[line_of(sku)][0] == 2


def test_reconciliation_repairs_saved_rows(api):
    sku = SkuFactory()
    add(api, sku, 2)
    save(api, line_of(sku))
    drain()
    SavedItem.objects.for_user(api.user.pk).filter(sku_id=sku.sku_id).update(quantity=9)
    SavedItem.objects.for_user(api.user.pk).filter(sku_id=sku.sku_id).update(deleted=True)

    run = reconcile_run()

    assert run.lines_fixed >= 1
    assert saved_rows(api.user.pk) == {line_of(sku): 2}


def test_fill_keeps_saved_lines_out_of_the_cart_hash(api):
    sku = SkuFactory()
    add(api, sku)
    save(api, line_of(sku))
    drain()
    get_redis().delete(keys.cart_key(api.user.pk), keys.saved_key(api.user.pk))

    saved_list(api)

    assert cached(api.user.pk) == {}
    pair = CartStore().read_many_with_saved([api.user.pk])[api.user.pk]
    assert pair is not None
    assert [line.id for line in pair[1]] == [line_of(sku)]
    assert connections  # the shard was read, not Redis alone (the rows above)
