"""The cart API's happy paths and promised behaviours (API.md, "Cart"), through HTTP only.

Bad input (400 ``invalid``) is covered in ``test_api_input.py``.
"""

import time
from decimal import Decimal
from itertools import pairwise

import pytest

from cart.engine.keys import cart_key
from catalog.cache import local_cache, sku_info_many, sku_info_refresh
from pricing.models import Price
from tests.conftest import db_all
from tests.factories import SkuFactory

pytestmark = db_all

CART = "/api/v1/cart"
ITEMS = "/api/v1/cart/items"
SELECTION = "/api/v1/cart/selection"
MERGE = "/api/v1/cart/merge"

LINE_FIELDS = {
    "id",
    "item_id",
    "sku_id",
    "quantity",
    "checked",
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
}
CART_FIELDS = {"user_id", "version", "max_lines", "items", "summary"}
SUMMARY_FIELDS = {"lines", "quantity", "checked_lines", "checked_quantity", "checked_subtotal", "currency"}


@pytest.fixture(autouse=True)
def _fresh_sku_info():
    """SKU display data is cached per process; start every test without it."""
    local_cache.clear()
    yield
    local_cache.clear()


# --- helpers ----------------------------------------------------------------------------


def item_path(line_id: str) -> str:
    return f"{ITEMS}/{line_id}"


def quoted(version: int) -> str:
    return f'"{version}"'


def add(api, item_id: int, sku_id: int, quantity: int | None = None, **headers):
    body = {"item_id": item_id, "sku_id": sku_id}
    if quantity is not None:
        body["quantity"] = quantity
    return api.send("post", ITEMS, body, **headers)


def add_ok(api, item_id: int, sku_id: int, quantity: int | None = None) -> dict:
    response = add(api, item_id, sku_id, quantity)
    assert response.status_code == 200, response.content
    return response.json()


def get_cart(api) -> dict:
    response = api.send("get", CART)
    assert response.status_code == 200, response.content
    assert response["ETag"] == quoted(response.json()["version"])
    return response.json()


def lines_by_id(cart: dict) -> dict[str, dict]:
    return {line["id"]: line for line in cart["items"]}


def entry(n: int, quantity: int = 1, **extra) -> dict:
    """A merge entry for line ``"<n>:<n + 100000>"``."""
    return {"item_id": n, "sku_id": n + 100_000, "quantity": quantity, **extra}


def entry_id(n: int) -> str:
    return f"{n}:{n + 100_000}"


def merge(api, items: list[dict], policy: str | None = None, **headers):
    body = {"items": items}
    if policy is not None:
        body["policy"] = policy
    return api.send("post", MERGE, body, **headers)


def fill_cart(api, count: int, start: int = 1) -> dict:
    """Put ``count`` distinct lines in the cart in one merge request."""
    response = merge(api, [entry(n) for n in range(start, start + count)])
    assert response.status_code == 200, response.content
    assert response.json()["summary"]["lines"] == count
    return response.json()


# --- add --------------------------------------------------------------------------------


def test_add_returns_the_line_with_the_new_cart_version_and_etag(api):
    response = add(api, 1001, 2001, quantity=2)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == LINE_FIELDS | {"cart_version"}
    assert body["id"] == "1001:2001"
    assert (body["item_id"], body["sku_id"]) == (1001, 2001)
    assert body["quantity"] == 2
    assert body["checked"] is True
    assert body["status"] == "unknown"
    assert body["price_at_add"] is None and body["price_change"] is None
    assert body["currency"] == "USD"
    assert body["added_at"].endswith("Z") and body["updated_at"].endswith("Z")
    assert "capped" not in body
    assert response["ETag"] == quoted(body["cart_version"])
    assert get_cart(api)["version"] == body["cart_version"]


def test_add_quantity_defaults_to_one(api):
    body = add_ok(api, 1001, 2001)

    assert body["quantity"] == 1
    assert lines_by_id(get_cart(api))["1001:2001"]["quantity"] == 1


def test_adding_an_existing_line_grows_it(api):
    first = add_ok(api, 1001, 2001, quantity=3)

    second = add_ok(api, 1001, 2001, quantity=4)

    assert second["quantity"] == 7
    assert "capped" not in second
    assert second["cart_version"] > first["cart_version"]
    assert second["added_at"] == first["added_at"]
    cart = get_cart(api)
    assert cart["summary"]["lines"] == 1
    assert lines_by_id(cart)["1001:2001"]["quantity"] == 7


@pytest.mark.parametrize(
    ("initial", "extra", "capped"),
    [(998, 1, False), (990, 20, True), (999, 999, True)],
    ids=["reaches-999", "past-999", "already-999"],
)
def test_growth_is_capped_at_999_and_says_so(api, initial, extra, capped):
    add_ok(api, 1001, 2001, quantity=initial)

    response = add(api, 1001, 2001, quantity=extra)

    assert response.status_code == 200
    body = response.json()
    assert body["quantity"] == 999
    assert body.get("capped", False) is capped
    assert lines_by_id(get_cart(api))["1001:2001"]["quantity"] == 999


# --- read -------------------------------------------------------------------------------


def test_an_empty_cart_has_the_full_shape(api):
    response = api.send("get", CART)

    assert response.status_code == 200
    cart = response.json()
    assert set(cart) == CART_FIELDS
    assert cart["user_id"] == api.user.pk
    assert isinstance(cart["version"], int) and cart["version"] >= 0
    assert cart["max_lines"] == 120
    assert cart["items"] == []
    assert cart["summary"] == {
        "lines": 0,
        "quantity": 0,
        "checked_lines": 0,
        "checked_quantity": 0,
        "checked_subtotal": "0.00",
        "currency": "USD",
    }
    assert response["ETag"] == quoted(cart["version"])


def test_cart_lists_lines_newest_first_dressed_from_the_catalog(api):
    sku = SkuFactory(price__amount=Decimal("19.99"), attributes={"size": "42"}, item__title="Trail shoe")
    add_ok(api, 7, 70, quantity=2)
    time.sleep(0.005)  # distinct added_at milliseconds
    add_ok(api, sku.item_id, sku.sku_id, quantity=3)
    time.sleep(0.005)
    add_ok(api, 3, 30)

    cart = get_cart(api)

    assert [line["id"] for line in cart["items"]] == ["3:30", f"{sku.item_id}:{sku.sku_id}", "7:70"]
    added = [line["added_at"] for line in cart["items"]]
    assert added == sorted(added, reverse=True) and len(set(added)) == 3
    assert all(set(line) == LINE_FIELDS for line in cart["items"])
    known = cart["items"][1]
    assert known["title"] == "Trail shoe"
    assert known["sku_attributes"] == {"size": "42"}
    assert known["unit_price"] == "19.99"
    assert known["currency"] == "USD"
    assert known["stock"] == 50
    unknown = cart["items"][2]
    assert (unknown["title"], unknown["unit_price"], unknown["stock"]) == (None, None, None)
    assert unknown["sku_attributes"] == {}
    assert cart["summary"]["lines"] == 3
    assert cart["summary"]["quantity"] == 6
    # No cache held these SKUs at the add: every line waits for its check, and the
    # checked figures count only lines that are available (what checkout would buy).
    assert [line["status"] for line in cart["items"]] == ["unknown"] * 3
    assert cart["summary"]["checked_lines"] == 0
    assert cart["summary"]["checked_quantity"] == 0


def test_lines_no_cache_knew_at_the_add_are_unknown_and_not_counted(api):
    sku = SkuFactory(price__amount=Decimal("19.99"))

    add_ok(api, sku.item_id, sku.sku_id, quantity=2)

    cart = get_cart(api)
    line = cart["items"][0]
    assert (line["status"], line["checked"], line["unit_price"]) == ("unknown", True, "19.99")
    assert cart["summary"]["checked_lines"] == 0
    assert cart["summary"]["checked_quantity"] == 0
    assert cart["summary"]["checked_subtotal"] == "0.00"
    assert cart["summary"]["currency"] == "USD"


def test_version_increases_on_every_change(api):
    versions = [get_cart(api)["version"]]
    changes = [
        ("post", ITEMS, {"item_id": 1, "sku_id": 10}),
        ("post", ITEMS, {"item_id": 1, "sku_id": 10, "quantity": 2}),
        ("patch", item_path("1:10"), {"quantity": 5}),
        ("patch", item_path("1:10"), {"delta": -1}),
        ("patch", item_path("1:10"), {"checked": False}),
        ("post", SELECTION, {"checked": True}),
        ("post", MERGE, {"items": [{"item_id": 2, "sku_id": 20, "quantity": 1}]}),
        ("delete", item_path("1:10"), None),
        ("patch", item_path("2:20"), {"quantity": 0}),
    ]

    for method, path, body in changes:
        response = api.send(method, path, body)
        assert response.status_code in (200, 204), (method, path, response.content)
        versions.append(get_cart(api)["version"])

    assert all(later > earlier for earlier, later in pairwise(versions)), versions


def test_version_never_goes_down_after_the_cache_lost_the_cart(api, _clean_redis):
    add_ok(api, 1001, 2001)
    before = get_cart(api)["version"]
    _clean_redis.delete(cart_key(api.user.pk))  # Redis evicted the cart (not a state edit)

    after = get_cart(api)["version"]
    changed = add_ok(api, 1002, 2002)["cart_version"]

    assert after >= before
    assert changed > after


def test_if_none_match_with_the_current_version_is_304_without_body(api):
    add_ok(api, 1001, 2001)
    version = get_cart(api)["version"]

    response = api.send("get", CART, HTTP_IF_NONE_MATCH=quoted(version))

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == quoted(version)


def test_if_none_match_with_an_old_version_gets_the_cart(api):
    old = add_ok(api, 1001, 2001)["cart_version"]
    add_ok(api, 1002, 2002)

    response = api.send("get", CART, HTTP_IF_NONE_MATCH=quoted(old))

    assert response.status_code == 200
    assert response.json()["summary"]["lines"] == 2
    assert response["ETag"] == quoted(response.json()["version"])
    assert response.json()["version"] > old


# --- patch ------------------------------------------------------------------------------


def test_patch_quantity_sets_it_absolutely(api):
    add_ok(api, 1001, 2001, quantity=5)

    response = api.send("patch", item_path("1001:2001"), {"quantity": 2})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == LINE_FIELDS | {"cart_version"}
    assert body["quantity"] == 2
    assert response["ETag"] == quoted(body["cart_version"])
    cart = get_cart(api)
    assert cart["version"] == body["cart_version"]
    assert lines_by_id(cart)["1001:2001"]["quantity"] == 2


@pytest.mark.parametrize(
    "change", [{"quantity": 0}, {"delta": -3}, {"delta": -999}], ids=["quantity-0", "delta-to-0", "delta-below-0"]
)
def test_patch_to_zero_removes_the_line(api, change):
    add_ok(api, 1001, 2001, quantity=3)
    add_ok(api, 1002, 2002)

    response = api.send("patch", item_path("1001:2001"), change)

    assert response.status_code == 200
    cart = get_cart(api)
    assert response.json() == {"removed": True, "cart_version": cart["version"]}
    assert list(lines_by_id(cart)) == ["1002:2002"]


def test_patch_delta_increments_and_decrements(api):
    add_ok(api, 1001, 2001, quantity=3)

    up = api.send("patch", item_path("1001:2001"), {"delta": 4})
    down = api.send("patch", item_path("1001:2001"), {"delta": -2})

    assert (up.status_code, up.json()["quantity"]) == (200, 7)
    assert (down.status_code, down.json()["quantity"]) == (200, 5)
    assert lines_by_id(get_cart(api))["1001:2001"]["quantity"] == 5


def test_patch_delta_past_999_clamps_to_999(api):
    add_ok(api, 1001, 2001, quantity=990)

    response = api.send("patch", item_path("1001:2001"), {"delta": 50})

    assert response.status_code == 200
    assert response.json()["quantity"] == 999
    assert lines_by_id(get_cart(api))["1001:2001"]["quantity"] == 999


def test_patch_checked_false_unchecks_the_line(api):
    first, second = SkuFactory(), SkuFactory()
    sku_info_many([first.sku_id, second.sku_id])  # held: the lines are born available
    first_id, second_id = f"{first.item_id}:{first.sku_id}", f"{second.item_id}:{second.sku_id}"
    add_ok(api, first.item_id, first.sku_id, quantity=2)
    add_ok(api, second.item_id, second.sku_id, quantity=3)

    response = api.send("patch", item_path(first_id), {"checked": False})

    assert response.status_code == 200
    assert response.json()["checked"] is False
    cart = get_cart(api)
    assert lines_by_id(cart)[first_id]["checked"] is False
    assert lines_by_id(cart)[second_id]["checked"] is True
    assert (cart["summary"]["checked_lines"], cart["summary"]["checked_quantity"]) == (1, 3)
    assert (cart["summary"]["lines"], cart["summary"]["quantity"]) == (2, 5)


def test_acknowledge_price_resets_price_at_add_to_the_current_price(api):
    sku = SkuFactory(price__amount=Decimal("19.99"))
    line_id = f"{sku.item_id}:{sku.sku_id}"
    add_ok(api, sku.item_id, sku.sku_id)
    assert lines_by_id(get_cart(api))[line_id]["price_at_add"] is None

    response = api.send("patch", item_path(line_id), {"acknowledge_price": True})

    assert response.status_code == 200
    assert (response.json()["price_at_add"], response.json()["price_change"]) == ("19.99", "0.00")
    line = lines_by_id(get_cart(api))[line_id]
    assert (line["unit_price"], line["price_at_add"], line["price_change"]) == ("19.99", "19.99", "0.00")


def test_acknowledge_price_clears_a_price_change_notice(api):
    sku = SkuFactory(price__amount=Decimal("19.99"))
    line_id = f"{sku.item_id}:{sku.sku_id}"
    add_ok(api, sku.item_id, sku.sku_id)
    api.send("patch", item_path(line_id), {"acknowledge_price": True})
    Price.objects.filter(sku=sku).update(amount=Decimal("17.99"))
    sku_info_refresh([sku.sku_id])  # what a price-change event does
    assert lines_by_id(get_cart(api))[line_id]["price_change"] == "-2.00"

    response = api.send("patch", item_path(line_id), {"acknowledge_price": True})

    assert response.status_code == 200
    line = lines_by_id(get_cart(api))[line_id]
    assert (line["unit_price"], line["price_at_add"], line["price_change"]) == ("17.99", "17.99", "0.00")


@pytest.mark.parametrize("change", [{"quantity": 2}, {"delta": 1}, {"checked": False}, {"acknowledge_price": True}])
def test_patch_of_a_line_not_in_the_cart_is_404(api, change):
    add_ok(api, 1001, 2001)
    before = get_cart(api)

    response = api.send("patch", item_path("1001:2002"), change)

    assert response.status_code == 404
    assert response.json()["code"] == "line_not_found"
    assert response.json()["detail"]
    assert get_cart(api) == before


# --- delete -----------------------------------------------------------------------------


def test_delete_removes_the_line_and_is_idempotent(api):
    add_ok(api, 1001, 2001)
    add_ok(api, 1002, 2002)

    first = api.send("delete", item_path("1001:2001"))

    assert first.status_code == 204
    assert first.content == b""
    after_first = get_cart(api)
    assert list(lines_by_id(after_first)) == ["1002:2002"]
    assert first["ETag"] == quoted(after_first["version"])

    second = api.send("delete", item_path("1001:2001"))

    assert second.status_code == 204
    assert get_cart(api) == after_first


def test_delete_of_a_line_never_there_is_204_and_changes_nothing(api):
    add_ok(api, 1001, 2001)
    before = get_cart(api)

    response = api.send("delete", item_path("5:5"))

    assert response.status_code == 204
    assert get_cart(api) == before


# --- If-Match ---------------------------------------------------------------------------

# Each of these changes the cart set up by ``_two_lines``.
WRITES = [
    pytest.param("post", ITEMS, {"item_id": 3, "sku_id": 30}, 200, id="add-new"),
    pytest.param("post", ITEMS, {"item_id": 1, "sku_id": 10, "quantity": 5}, 200, id="add-existing"),
    pytest.param("patch", item_path("1:10"), {"quantity": 9}, 200, id="patch"),
    pytest.param("delete", item_path("1:10"), None, 204, id="delete"),
    pytest.param("post", SELECTION, {"checked": False}, 200, id="selection"),
    pytest.param("post", MERGE, {"items": [{"item_id": 4, "sku_id": 40, "quantity": 1}]}, 200, id="merge"),
]


def _two_lines(api) -> tuple[int, int]:
    """Two lines; return (an older version, the current version)."""
    older = add_ok(api, 1, 10, quantity=2)["cart_version"]
    current = add_ok(api, 2, 20)["cart_version"]
    return older, current


@pytest.mark.parametrize(("method", "path", "body", "ok_status"), WRITES)
def test_if_match_with_a_stale_version_is_412_and_changes_nothing(api, method, path, body, ok_status):
    stale, current = _two_lines(api)
    before = get_cart(api)

    response = api.send(method, path, body, HTTP_IF_MATCH=quoted(stale))

    assert response.status_code == 412
    assert response.json()["code"] == "version_mismatch"
    assert response.json()["current_version"] == current
    assert get_cart(api) == before


@pytest.mark.parametrize("match", ["current", "*"])
@pytest.mark.parametrize(("method", "path", "body", "ok_status"), WRITES)
def test_if_match_with_the_current_version_or_star_applies(api, method, path, body, ok_status, match):
    _, current = _two_lines(api)
    header = quoted(current) if match == "current" else "*"

    response = api.send(method, path, body, HTTP_IF_MATCH=header)

    assert response.status_code == ok_status, response.content
    assert get_cart(api)["version"] > current


# --- Idempotency-Key --------------------------------------------------------------------


def test_add_retried_with_the_same_key_replays_the_first_response_without_adding_twice(api):
    first = add(api, 1001, 2001, quantity=2, HTTP_IDEMPOTENCY_KEY="add-1")
    assert first.status_code == 200
    assert not first.has_header("Idempotent-Replayed")

    retry = add(api, 1001, 2001, quantity=2, HTTP_IDEMPOTENCY_KEY="add-1")

    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    cart = get_cart(api)
    assert lines_by_id(cart)["1001:2001"]["quantity"] == 2
    assert cart["version"] == first.json()["cart_version"]


def test_same_key_with_another_body_is_422_and_changes_nothing(api):
    add(api, 1001, 2001, quantity=2, HTTP_IDEMPOTENCY_KEY="add-1")
    before = get_cart(api)

    response = add(api, 1001, 2001, quantity=3, HTTP_IDEMPOTENCY_KEY="add-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert get_cart(api) == before


def test_same_key_from_another_user_is_independent(api, other_api):
    add(api, 1001, 2001, quantity=2, HTTP_IDEMPOTENCY_KEY="shared-key")
    mine_before = get_cart(api)

    theirs = add(other_api, 1002, 2002, quantity=5, HTTP_IDEMPOTENCY_KEY="shared-key")

    assert theirs.status_code == 200
    assert not theirs.has_header("Idempotent-Replayed")
    assert theirs.json()["id"] == "1002:2002"
    assert list(lines_by_id(get_cart(other_api))) == ["1002:2002"]
    assert get_cart(api) == mine_before


@pytest.mark.parametrize(
    ("path", "body"),
    [(SELECTION, {"checked": False}), (MERGE, {"items": [{"item_id": 9, "sku_id": 90, "quantity": 1}]})],
    ids=["selection", "merge"],
)
def test_a_key_reused_on_another_endpoint_is_422(api, path, body):
    add(api, 1001, 2001, HTTP_IDEMPOTENCY_KEY="k-1")
    before = get_cart(api)

    response = api.send("post", path, body, HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert get_cart(api) == before


def test_merge_retried_with_the_same_key_does_not_sum_twice(api):
    add_ok(api, 1, 100_001, quantity=2)
    body_items = [entry(1, quantity=3)]

    first = merge(api, body_items, policy="sum", HTTP_IDEMPOTENCY_KEY="merge-1")
    retry = merge(api, body_items, policy="sum", HTTP_IDEMPOTENCY_KEY="merge-1")

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert lines_by_id(get_cart(api))[entry_id(1)]["quantity"] == 5


def test_a_cart_full_refusal_under_a_key_replays_as_409(api):
    fill_cart(api, 120)
    first = add(api, 5000, 6000, HTTP_IDEMPOTENCY_KEY="full-1")
    assert first.status_code == 409
    assert api.send("delete", item_path(entry_id(1))).status_code == 204  # now there would be room

    retry = add(api, 5000, 6000, HTTP_IDEMPOTENCY_KEY="full-1")

    assert retry.status_code == 409
    assert retry.json() == first.json()
    assert retry.json()["code"] == "cart_full"
    assert retry["Idempotent-Replayed"] == "true"
    cart = get_cart(api)
    assert cart["summary"]["lines"] == 119
    assert "5000:6000" not in lines_by_id(cart)


# --- cart_full --------------------------------------------------------------------------


def test_a_new_line_in_a_full_cart_is_409_and_changes_nothing(api):
    fill_cart(api, 120)
    before = get_cart(api)

    response = add(api, 5000, 6000)

    assert response.status_code == 409
    assert response.json()["code"] == "cart_full"
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    after = get_cart(api)
    assert after == before
    assert after["summary"]["lines"] == 120


def test_an_existing_line_in_a_full_cart_can_still_grow(api):
    fill_cart(api, 120)

    response = add(api, 7, 100_007, quantity=4)

    assert response.status_code == 200
    assert response.json()["quantity"] == 5
    cart = get_cart(api)
    assert cart["summary"]["lines"] == 120
    assert lines_by_id(cart)[entry_id(7)]["quantity"] == 5


# --- selection --------------------------------------------------------------------------


def test_selection_without_ids_sets_every_line_and_returns_the_whole_cart(api):
    for n in (1, 2, 3):
        add_ok(api, n, n * 10, quantity=n)

    response = api.send("post", SELECTION, {"checked": False})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == CART_FIELDS
    assert body == get_cart(api)
    assert [line["checked"] for line in body["items"]] == [False, False, False]
    assert (body["summary"]["checked_lines"], body["summary"]["checked_quantity"]) == (0, 0)
    assert (body["summary"]["lines"], body["summary"]["quantity"]) == (3, 6)


def test_selection_with_ids_sets_only_those_and_ignores_unknown_ids(api):
    for n in (1, 2, 3):
        add_ok(api, n, n * 10)

    response = api.send("post", SELECTION, {"checked": False, "ids": ["1:10", "3:30", "999:999"]})

    assert response.status_code == 200
    checked = {line["id"]: line["checked"] for line in response.json()["items"]}
    assert checked == {"1:10": False, "2:20": True, "3:30": False}
    assert get_cart(api) == response.json()

    again = api.send("post", SELECTION, {"checked": True, "ids": ["3:30"]})

    assert {line["id"]: line["checked"] for line in again.json()["items"]} == {
        "1:10": False,
        "2:20": True,
        "3:30": True,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"checked": True},
        {"checked": False, "ids": ["999:999"]},
        {"checked": True, "ids": ["1:10"]},
        {"checked": True, "ids": []},
    ],
    ids=["all-already-checked", "only-unknown-ids", "listed-already-checked", "empty-ids"],
)
def test_a_selection_that_changes_nothing_keeps_the_version(api, body):
    add_ok(api, 1, 10)
    add_ok(api, 2, 20)
    before = get_cart(api)

    response = api.send("post", SELECTION, body)

    assert response.status_code == 200
    assert response.json()["version"] == before["version"]
    assert get_cart(api) == before


# --- merge ------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", [None, "max"], ids=["default", "explicit-max"])
def test_merge_max_takes_the_larger_quantity_and_adds_new_lines(api, policy):
    add_ok(api, 1, 100_001, quantity=5)
    add_ok(api, 2, 100_002, quantity=2)

    response = merge(api, [entry(1, quantity=3), entry(2, quantity=7), entry(3, quantity=4)], policy=policy)

    assert response.status_code == 200
    body = response.json()
    assert body["merged"] == [
        {"id": entry_id(1), "action": "kept", "quantity": 5},
        {"id": entry_id(2), "action": "raised", "quantity": 7},
        {"id": entry_id(3), "action": "added", "quantity": 4},
    ]
    assert body["skipped"] == []
    quantities = {line["id"]: line["quantity"] for line in get_cart(api)["items"]}
    assert quantities == {entry_id(1): 5, entry_id(2): 7, entry_id(3): 4}


def test_merge_sum_adds_quantities_capped_at_999(api):
    add_ok(api, 1, 100_001, quantity=5)
    add_ok(api, 2, 100_002, quantity=990)
    add_ok(api, 3, 100_003, quantity=999)
    items = [entry(1, quantity=3), entry(2, quantity=20), entry(3, quantity=1), entry(4, quantity=6)]

    response = merge(api, items, policy="sum")

    assert response.status_code == 200
    assert response.json()["merged"] == [
        {"id": entry_id(1), "action": "raised", "quantity": 8},
        {"id": entry_id(2), "action": "raised", "quantity": 999},
        {"id": entry_id(3), "action": "kept", "quantity": 999},
        {"id": entry_id(4), "action": "added", "quantity": 6},
    ]
    quantities = {line["id"]: line["quantity"] for line in get_cart(api)["items"]}
    assert quantities == {entry_id(1): 8, entry_id(2): 999, entry_id(3): 999, entry_id(4): 6}


def test_merge_near_full_adds_new_lines_in_request_order_and_skips_the_rest(api):
    fill_cart(api, 118)
    items = [entry(500), entry(501), entry(502), entry(1, quantity=9), entry(503)]

    response = merge(api, items)

    assert response.status_code == 200
    body = response.json()
    assert body["merged"] == [
        {"id": entry_id(500), "action": "added", "quantity": 1},
        {"id": entry_id(501), "action": "added", "quantity": 1},
        {"id": entry_id(1), "action": "raised", "quantity": 9},
    ]
    assert body["skipped"] == [entry_id(502), entry_id(503)]
    cart = get_cart(api)
    assert cart["summary"]["lines"] == 120
    assert entry_id(502) not in lines_by_id(cart) and entry_id(503) not in lines_by_id(cart)


def test_merge_honours_checked_for_new_lines(api):
    response = merge(api, [entry(1, checked=False), entry(2, checked=True), entry(3)])

    assert response.status_code == 200
    checked = {line["id"]: line["checked"] for line in get_cart(api)["items"]}
    assert checked == {entry_id(1): False, entry_id(2): True, entry_id(3): True}


def test_merge_answers_with_the_whole_cart_plus_merged_and_skipped(api):
    add_ok(api, 1, 100_001)

    response = merge(api, [entry(1, quantity=2), entry(2)])

    assert response.status_code == 200
    body = response.json()
    assert set(body) == CART_FIELDS | {"merged", "skipped"}
    assert set(body["summary"]) == SUMMARY_FIELDS
    assert all(set(line) == LINE_FIELDS for line in body["items"])
    cart_part = {key: value for key, value in body.items() if key not in ("merged", "skipped")}
    assert cart_part == get_cart(api)


def test_a_merge_that_changes_nothing_keeps_the_version(api):
    add_ok(api, 1, 100_001, quantity=5)
    before = get_cart(api)

    response = merge(api, [entry(1, quantity=2)])

    assert response.status_code == 200
    assert response.json()["merged"] == [{"id": entry_id(1), "action": "kept", "quantity": 5}]
    assert response.json()["version"] == before["version"]
    assert get_cart(api) == before


# --- isolation --------------------------------------------------------------------------


def test_another_user_never_sees_my_lines(api, other_api):
    add_ok(api, 1001, 2001, quantity=2)

    theirs = get_cart(other_api)

    assert theirs["user_id"] == other_api.user.pk != api.user.pk
    assert theirs["items"] == []
    assert theirs["summary"]["lines"] == 0


@pytest.mark.parametrize(
    ("method", "body", "expected_status"),
    [("patch", {"quantity": 9}, 404), ("patch", {"delta": -1}, 404), ("delete", None, 204)],
    ids=["patch-quantity", "patch-delta", "delete"],
)
def test_another_user_cannot_change_my_line(api, other_api, method, body, expected_status):
    add_ok(api, 1001, 2001, quantity=2)
    mine_before = get_cart(api)

    response = other_api.send(method, item_path("1001:2001"), body)

    assert response.status_code == expected_status
    if expected_status == 404:
        assert response.json()["code"] == "line_not_found"
    assert get_cart(api) == mine_before
    assert get_cart(other_api)["items"] == []
