"""Concurrency claims, tested with real threads against the real Redis."""

from cart.services import MergeEntry, cart_add_line, cart_merge
from tests.api_client import ApiClient
from tests.cart.helpers import cached, drain, in_parallel, persisted
from tests.conftest import db_all_tx

pytestmark = db_all_tx


def test_fifty_concurrent_increments_through_the_api_are_all_counted(settings):
    settings.RATE_LIMITS_ENABLED = False  # 50 writes at once would exceed a shopper's burst
    api = ApiClient()
    api.send("POST", "/api/v1/cart/items", {"item_id": 1, "sku_id": 1, "quantity": 7})

    def increment(_):
        return ApiClient(user=api.user, token=api.token).send("PATCH", "/api/v1/cart/items/1:1", {"delta": 1})

    responses = in_parallel(50, increment)

    assert {r.status_code for r in responses} == {200}
    assert sorted(r.json()["quantity"] for r in responses) == list(range(8, 58))
    assert cached(api.user.pk)["1:1"][0] == 57
    drain()
    assert persisted(api.user.pk) == cached(api.user.pk)


def test_adds_racing_for_the_last_free_lines_fill_the_cart_exactly():
    user_id = 801
    cart_merge(user_id=user_id, entries=[MergeEntry(item_id=n, sku_id=n, quantity=1) for n in range(1, 101)])

    def add(n):
        try:
            cart_add_line(user_id=user_id, item_id=1000 + n, sku_id=1)
            return "added"
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test counts
            return getattr(exc, "code", repr(exc))

    outcomes = in_parallel(40, add)

    assert outcomes.count("added") == 20
    assert outcomes.count("cart_full") == 20
    assert len(cached(user_id)) == 120


def test_a_merge_is_atomic_with_concurrent_adds():
    user_id = 802
    cart_merge(user_id=user_id, entries=[MergeEntry(item_id=n, sku_id=n, quantity=1) for n in range(1, 91)])
    merge_entries = [MergeEntry(item_id=5000 + n, sku_id=1, quantity=2) for n in range(20)]
    results = {}

    def work(n):
        if n == 0:
            results["merge"] = cart_merge(user_id=user_id, entries=merge_entries)
            return "merge"
        try:
            cart_add_line(user_id=user_id, item_id=9000 + n, sku_id=1)
            return "added"
        except Exception as exc:  # noqa: BLE001
            return getattr(exc, "code", repr(exc))

    outcomes = in_parallel(21, work)

    merge = results["merge"]
    added_by_merge = [m for m in merge.merged if m.action == "added"]
    assert len(added_by_merge) + len(merge.skipped) == 20
    assert len(cached(user_id)) == 120
    assert 90 + len(added_by_merge) + outcomes.count("added") == 120
    # Whatever the merge skipped, it skipped from the end: request order is kept.
    assert [m.id for m in added_by_merge] == [f"{5000 + n}:1" for n in range(len(added_by_merge))]
