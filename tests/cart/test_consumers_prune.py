"""Consumers that restarted workers left in the streams' groups are removed once idle and
holding nothing; one that still holds entries stays (tests on the real Redis)."""

import time

from cart.engine import keys
from cart.engine.streams import ensure_group
from cart.persistence.consumer import consumers_prune
from cart.persistence.write_behind import GROUP
from cart.validity import GROUP as CHECK_GROUP
from core.redis_client import get_redis
from tests.conftest import db_all

pytestmark = db_all


def _consumers(stream: str, group: str) -> dict[str, int]:
    return {c["name"].decode(): c["pending"] for c in get_redis().xinfo_consumers(stream, group)}


def test_idle_consumers_holding_nothing_are_removed_and_the_others_stay():
    client = get_redis()
    log, checks = keys.log_keys()[0], keys.check_keys()[0]
    for stream, group in ((log, GROUP), (checks, CHECK_GROUP)):
        ensure_group(client, stream, group)
        client.xadd(stream, {"u": "1"})
        client.xadd(stream, {"u": "2"})
        # A worker that read and acknowledged its entry, then restarted under a new name …
        (_, [(entry_id, _)]), *_ = client.xreadgroup(group, "old-worker-1", {stream: ">"}, count=1)
        client.xack(stream, group, entry_id)
        # … and one that died holding an entry.
        client.xreadgroup(group, "dead-worker-2", {stream: ">"}, count=1)
    time.sleep(0.05)

    assert consumers_prune(idle_ms=10) == 2

    for stream, group in ((log, GROUP), (checks, CHECK_GROUP)):
        assert _consumers(stream, group) == {"dead-worker-2": 1}
    assert consumers_prune(idle_ms=10) == 0  # its entry is still to be claimed


def test_a_consumer_active_within_the_limit_stays():
    client = get_redis()
    log = keys.log_keys()[0]
    ensure_group(client, log, GROUP)
    client.xadd(log, {"u": "3"})
    (_, [(entry_id, _)]), *_ = client.xreadgroup(GROUP, "live-worker", {log: ">"}, count=1)
    client.xack(log, GROUP, entry_id)

    assert consumers_prune(idle_ms=3600_000) == 0
    assert "live-worker" in _consumers(log, GROUP)


def test_streams_without_a_group_yet_are_skipped():
    assert consumers_prune(idle_ms=0) == 0
