"""A Celery worker killed with SIGKILL in the middle of persisting: the change comes back
to another worker, MySQL ends equal to Redis, and no quantity is applied twice."""

import pytest
from django.db import connections

from cart.engine import keys
from cart.engine.streams import ensure_group
from cart.models import DeadLetter
from cart.persistence.write_behind import GROUP, decode_entry, persistence_backlog, write_messages
from cart.services import cart_add_line, cart_update_line
from core.redis_client import get_redis
from core.sharding import shard_for_user
from tests.cart.helpers import cached, catalog_checked, drain, persisted
from tests.conftest import db_all_tx, needs_mysql
from tests.faults.procs import running, start_worker, wait_for

pytestmark = [db_all_tx, needs_mysql, pytest.mark.faults]

FAST_RETRY = {"CART_PERSIST_RETRY_BASE_MS": "300"}


def _pending(consumer_prefix: str = "") -> int:
    client = get_redis()
    stream = keys.log_key(0)
    if not client.exists(stream):
        return 0
    info = client.xpending(stream, GROUP)
    return sum(c["pending"] for c in info["consumers"] if c["name"].decode().startswith(consumer_prefix))


def _upsert_waits_for_lock(lock_connection) -> bool:
    with lock_connection.cursor() as cursor:
        cursor.execute(
            "SELECT state, info FROM information_schema.processlist WHERE info LIKE 'INSERT INTO cart_item%%'"
        )
        return any("lock" in (state or "").lower() for state, _ in cursor.fetchall())


def test_a_worker_killed_after_receiving_before_the_commit_is_redelivered_once(tmp_path):
    # Given a persisted line of 2, then changes that the worker will receive
    user = 9101
    cart_add_line(user_id=user, item_id=1, sku_id=1, quantity=2)
    drain()
    alias = shard_for_user(user)
    blocker = connections.create_connection(alias)
    with blocker.cursor() as cursor:
        cursor.execute("LOCK TABLES cart_item WRITE")  # the worker's upsert will wait here
    try:
        cart_update_line(user_id=user, item_id=1, sku_id=1, delta=3)
        cart_add_line(user_id=user, item_id=2, sku_id=2, quantity=4)
        first = start_worker(tmp_path, name="worker-1", **FAST_RETRY)
        try:
            # When the worker has received the messages and is blocked inside the commit
            assert wait_for(lambda: _pending() >= 2, 30), first.output()[-2000:]
            assert wait_for(lambda: _upsert_waits_for_lock(blocker), 10), "the upsert never reached the shard"
            # ... it is killed
            first.kill9()
        finally:
            first.stop()
    finally:
        with blocker.cursor() as cursor:
            cursor.execute("UNLOCK TABLES")
        blocker.close()
    assert persisted(user)["1:1"][0] == 2  # nothing of the killed worker's batch committed

    # Then another worker claims the messages after the backoff and applies them once.
    # Its catalog check of the two lines changes them once more (their status): wait for
    # that change to be persisted too, or stopping the worker could leave it in flight.
    with running(start_worker(tmp_path, name="worker-2", **FAST_RETRY)):
        assert wait_for(
            lambda: catalog_checked(user) and persisted(user) == cached(user) and persistence_backlog() == 0, 30
        )
    assert persisted(user) == cached(user)
    assert {line: state[0] for line, state in persisted(user).items()} == {"1:1": 5, "2:2": 4}
    assert not DeadLetter.objects.exists()


def test_a_redelivery_after_the_commit_but_before_the_ack_changes_nothing(tmp_path):
    # Given a consumer that committed a batch and died before acking it
    user = 9102
    cart_add_line(user_id=user, item_id=1, sku_id=1, quantity=2)
    cart_update_line(user_id=user, item_id=1, sku_id=1, delta=1)
    client = get_redis()
    stream = keys.log_key(user)
    ensure_group(client, stream, GROUP)
    [(_, entries)] = client.xreadgroup(GROUP, "crashed-consumer", {stream: ">"})
    write_messages(shard_for_user(user), [decode_entry(entry_id, fields) for entry_id, fields in entries])
    assert persisted(user) == cached(user)
    assert _pending("crashed-consumer") == 2
    # ... and a newer change made since, which a live worker will persist first
    cart_update_line(user_id=user, item_id=1, sku_id=1, delta=4)

    # When a real worker runs: it persists the new change and claims the stale ones after the backoff
    with running(start_worker(tmp_path, **FAST_RETRY)):
        # The worker's line check may record a status change after the stream looked
        # empty: wait for that to land too, not just for an empty stream.
        assert wait_for(
            lambda: (
                _pending("crashed-consumer") == 0
                and catalog_checked(user)
                and persistence_backlog() == 0
                and persisted(user) == cached(user)
            ),
            30,
        )

    # Then the redelivered (older) messages were no-ops: MySQL still equals Redis, quantity 2 + 1 + 4
    assert persisted(user) == cached(user)
    assert persisted(user)["1:1"][0] == 7
    assert not DeadLetter.objects.exists()
