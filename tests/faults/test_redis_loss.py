"""Redis killed with SIGKILL under a stream of acknowledged adds, and restarted with the
persistence the docs recommend (append-only file, fsync every second): carts come back
from the AOF or, for carts it lost, from MySQL through cache-aside; versions never go
down; and the acknowledged writes lost stay within the documented window (docs/reliability.md)."""

import time

import pytest

from tests.conftest import db_all_tx, needs_mysql
from tests.faults.procs import RedisServer, run_python, running, start_script, start_worker, subprocess_env, wait_for

pytestmark = [db_all_tx, needs_mysql, pytest.mark.faults]

USERS, FIRST_USER = 600, 95000
SHOPPING_SECONDS = 5.0
KILL_AFTER_SECONDS = 2.5
# docs/cart-engine.md, "The loss window": at most ~1 s of writes, 2 s if an fsync stalled.
DOCUMENTED_BOUND_SECONDS = 2.0


def _parse_acks(output: str) -> list[tuple[float, int, str, int]]:
    acks = []
    for line in output.splitlines():
        if line.startswith("ack "):
            _, user, line_id, version = line.split()
            acks.append((int(user), line_id, int(version)))
    return acks


def test_redis_killed_and_restarted_loses_at_most_the_documented_window(tmp_path):
    import redis

    from cart.persistence.write_behind import GROUP

    server = RedisServer(tmp_path)
    server.start()
    env = {"REDIS_URL": server.url, "CART_PERSIST_RETRY_BASE_MS": "300"}
    worker = start_worker(tmp_path, **env)
    shopper = start_script(
        tmp_path, "shopper", "add", str(SHOPPING_SECONDS), str(USERS), str(FIRST_USER), name="shopper", **env
    )
    try:
        with running(worker):
            # Given shoppers adding as fast as they can, a worker persisting behind them
            time.sleep(KILL_AFTER_SECONDS)
            # When Redis is killed mid-stream and restarted on its directory
            server.kill9()
            killed_at = time.monotonic()
            time.sleep(0.5)
            server.start()
            restarted_in = time.monotonic() - killed_at
            assert shopper.process.wait(timeout=SHOPPING_SECONDS + 30) == 0
            client = redis.Redis.from_url(server.url)
            stream = f"{subprocess_env()['REDIS_KEY_PREFIX']}cart:log"
            assert wait_for(lambda: client.xlen(stream) == 0, 30), "the worker did not drain after the restart"
            assert not client.xpending(stream, GROUP)["pending"]
        # ... and one reconciliation pass runs
        reconcile = run_python("manage.py", "reconcile", timeout=120, **env)
        assert reconcile.returncode == 0, reconcile.stderr
        reader = start_script(tmp_path, "shopper", "read", str(USERS), str(FIRST_USER), name="reader", **env)
        assert reader.process.wait(timeout=120) == 0, reader.output()
    finally:
        shopper.stop()
        server.stop()

    acks = _parse_acks(shopper.output())
    errors = shopper.output().count("\nerr ")
    carts = {}
    for line in reader.output().splitlines():
        if line.startswith("cart "):
            parts = line.split(" ")
            carts[int(parts[1])] = (int(parts[2]), set(filter(None, parts[3].split(","))))
    assert len(carts) == USERS

    # Then carts are back (from the AOF, or from MySQL through cache-aside) ...
    lost = [(user, line_id) for user, line_id, _ in acks if line_id not in carts[user][1]]
    rate = len(acks) / (SHOPPING_SECONDS - restarted_in)
    window = len(lost) / rate
    print(
        f"LOSS WINDOW: {len(acks)} acknowledged adds at {rate:.0f}/s, {errors} refused while Redis was down "
        f"({restarted_in:.2f} s); {len(lost)} acknowledged adds lost = {window * 1000:.0f} ms of writes"
    )
    # ... versions never went down ...
    newest_acked = {}
    for user, _, version in acks:
        newest_acked[user] = max(version, newest_acked.get(user, 0))
    assert all(carts[user][0] >= version for user, version in newest_acked.items())
    # ... and the acknowledged writes lost stay within the documented bound
    # (A busy 2-core machine has managed as few as ~440 in the 5 s; 200 still measure a window.)
    assert len(acks) > 200, "too few writes to measure anything"
    assert window <= DOCUMENTED_BOUND_SECONDS, f"lost {len(lost)} writes = {window:.2f} s at {rate:.0f}/s"
