"""The bench's naive synchronous-MySQL add must answer every request, or its figure
compares the cart with a design that drops some of its work.

Requests of one shopper that find no cart header yet all insert it at once: the first
commits, the others' duplicate-key checks each take a shared lock on its row, and each
then asks for the exclusive lock to read it for update, which InnoDB resolves by rolling
all but one back as a deadlock. The endpoint runs such a transaction again.
"""

import threading
from types import SimpleNamespace

from django.db import OperationalError
from rest_framework.test import APIRequestFactory, force_authenticate

from cart.api.bench_views import SyncMysqlAddView
from cart.models import Cart, CartItem
from core.sharding import shard_index
from tests.cart.helpers import in_parallel
from tests.conftest import db_all_tx, needs_mysql

pytestmark = [db_all_tx, needs_mysql]

THREADS = 8
ADDS_PER_THREAD = 30
LINES = 10


def _neighbours(count: int) -> list[int]:
    """Users whose carts share one shard, so their gap locks meet."""
    return [user_id for user_id in range(900_000, 901_000) if shard_index(user_id) == 3][:count]


def _add(user_id: int, item_id: int):
    request = APIRequestFactory().post("/api/bench/sync-mysql-add", {"item_id": item_id}, format="json")
    force_authenticate(request, user=SimpleNamespace(pk=user_id, is_authenticated=True))
    return SyncMysqlAddView.as_view()(request)


def _in_threads(requests) -> list[int]:
    """Every status of ``requests(n)`` run in THREADS threads at once, in order."""
    return [status for statuses in in_parallel(THREADS, requests) for status in statuses]


def test_neighbours_adding_at_once_all_get_their_lines_written():
    users = _neighbours(THREADS)

    def shopper(n: int) -> list[int]:  # in_parallel releases the threads together
        return [_add(users[n], 1 + k % LINES).status_code for k in range(ADDS_PER_THREAD)]

    assert _in_threads(shopper) == [200] * THREADS * ADDS_PER_THREAD
    for user_id in users:
        quantities = dict(CartItem.objects.for_user(user_id).values_list("item_id", "quantity"))
        assert quantities == dict.fromkeys(range(1, LINES + 1), ADDS_PER_THREAD // LINES)
        assert Cart.objects.for_user(user_id).count() == 1


def test_requests_of_a_new_shopper_racing_to_create_the_cart_all_succeed():
    users = _neighbours(12)[THREADS:]
    barrier = threading.Barrier(THREADS)

    def first_adds(n: int) -> list[int]:
        statuses = []
        for user_id in users:
            barrier.wait()  # every thread's first add of this shopper at once
            statuses.append(_add(user_id, 1 + n % 2).status_code)
        return statuses

    assert _in_threads(first_adds) == [200] * THREADS * len(users)
    for user_id in users:
        assert dict(CartItem.objects.for_user(user_id).values_list("item_id", "quantity")) == {1: 4, 2: 4}


def test_a_deadlock_is_run_again_and_other_errors_are_not(monkeypatch):
    failures = [OperationalError(1213, "Deadlock found"), OperationalError(1205, "Lock wait timeout")]
    calls = []

    def conflicted(user_id, item_id):
        calls.append(item_id)
        if failures:
            raise failures.pop(0)
        return 4

    monkeypatch.setattr(SyncMysqlAddView, "_add", staticmethod(conflicted))
    response = _add(_neighbours(1)[0], 7)
    assert (response.status_code, response.data, calls) == (200, {"quantity": 4}, [7, 7, 7])

    def gone(user_id, item_id):
        calls.append(item_id)
        raise OperationalError(2006, "MySQL server has gone away")

    calls.clear()
    monkeypatch.setattr(SyncMysqlAddView, "_add", staticmethod(gone))
    response = _add(_neighbours(1)[0], 7)
    assert (response.status_code, response.data["code"], "Retry-After" in response, calls) == (
        503,
        "service_unavailable",
        True,
        [7],
    )


def test_an_item_id_that_is_not_a_positive_integer_is_refused_and_writes_nothing():
    user_id = _neighbours(13)[12]
    for item_id in ("7", 7.5, True, None, 0, -1, 2**63, [7]):
        response = _add(user_id, item_id)
        assert (response.status_code, response.data["code"], list(response.data["fields"])) == (
            400,
            "invalid",
            ["item_id"],
        ), item_id
    assert not Cart.objects.for_user(user_id).exists()
    assert not CartItem.objects.for_user(user_id).exists()
