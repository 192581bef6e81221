"""The broker and every stream consumer down while shoppers keep adding: every
acknowledged change is in MySQL after one reconciliation pass once they are back."""

import pytest

from cart.persistence.write_behind import persistence_backlog
from tests.cart.helpers import cached, catalog_checked, persisted
from tests.conftest import db_all_tx, needs_mysql
from tests.faults.procs import run_python, running, start_worker, wait_for

pytestmark = [db_all_tx, needs_mysql, pytest.mark.faults]

USERS = (9201, 9202, 9203)


def test_acknowledged_adds_reach_mysql_in_one_reconciliation_pass_after_an_outage(tmp_path, dead_broker, settings):
    from tests.api_client import ApiClient
    from tests.factories import UserFactory

    settings.RATE_LIMITS_ENABLED = False
    clients = {user_id: ApiClient(user=UserFactory(id=user_id)) for user_id in USERS}
    # Given a worker that persists changes, then dies (its consumer with it) while the broker is unreachable
    worker = start_worker(tmp_path)
    try:
        assert clients[USERS[0]].send("POST", "/api/v1/cart/items", {"item_id": 1, "sku_id": 1}).status_code == 200
        assert wait_for(lambda: persisted(USERS[0]) == cached(USERS[0]), 30), "the worker never persisted"
        worker.kill9()
    finally:
        worker.stop()

    # When shoppers keep adding and changing lines: every request is acknowledged
    acknowledged = {}
    for n in range(2, 12):
        for user_id, client in clients.items():
            response = client.send("POST", "/api/v1/cart/items", {"item_id": n, "sku_id": n, "quantity": n})
            assert response.status_code == 200, response.content
            acknowledged[(user_id, f"{n}:{n}")] = n
    response = clients[USERS[1]].send("PATCH", "/api/v1/cart/items/5:5", {"delta": 7})
    assert response.status_code == 200
    acknowledged[(USERS[1], "5:5")] = 12
    assert persistence_backlog() > 0
    assert all(persisted(u) != cached(u) for u in USERS)

    # ... and after the outage one reconciliation pass runs (a real `manage.py reconcile`)
    result = run_python("manage.py", "reconcile")
    assert result.returncode == 0, result.stderr

    # Then every acknowledged change is in MySQL, and MySQL equals Redis
    for (user_id, line), quantity in acknowledged.items():
        assert persisted(user_id)[line][0] == quantity
    assert all(persisted(u) == cached(u) for u in USERS)

    # ... and the consumer draining the old backlog later leaves them equal. Its catalog
    # check of the lines added in the outage changes them once more (their status): wait
    # for that change to be persisted too, or the backlog could read empty in between.
    with running(start_worker(tmp_path, name="worker-2")):
        assert wait_for(
            lambda: all(catalog_checked(u) and persisted(u) == cached(u) for u in USERS) and persistence_backlog() == 0,
            30,
        )
    assert all(persisted(u) == cached(u) for u in USERS)
