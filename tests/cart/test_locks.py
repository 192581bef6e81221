"""The one Redis lock helper, with real threads on the real Redis: one holder at a time,
a bounded wait, no release of someone else's lock, and a waiter that stops waiting when
the work is already done."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from cart.engine.locks import Backoff, redis_lock
from cart.engine.store import CartStore


class Busy(Exception):
    pass


def test_twenty_threads_hold_the_lock_one_at_a_time(_clean_redis):
    store, inside, most, done = CartStore(), [0], [0], []
    guard = threading.Lock()
    start = threading.Barrier(20)

    def work(n):
        start.wait()
        with redis_lock(store, "test:lock:a", ttl_ms=5_000, wait_seconds=10, on_timeout=Busy) as held:
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.005)  # long enough for the others to try
            with guard:
                inside[0] -= 1
            done.append((n, held))

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(work, range(20)))

    assert most[0] == 1
    assert sorted(n for n, _ in done) == list(range(20)) and all(held for _, held in done)
    assert _clean_redis.get("test:lock:a") is None  # released by the last holder


def test_a_waiter_gives_up_with_the_callers_error_and_leaves_the_holders_lock(_clean_redis):
    store = CartStore()
    assert store.try_lock("test:lock:b", "someone-else", 5_000)

    with pytest.raises(Busy), redis_lock(store, "test:lock:b", ttl_ms=5_000, wait_seconds=0.05, on_timeout=Busy):
        pytest.fail("ran without the lock")

    assert _clean_redis.get("test:lock:b") == b"someone-else"


def test_a_waiter_whose_work_was_done_meanwhile_runs_without_the_lock(_clean_redis):
    store = CartStore()
    assert store.try_lock("test:lock:c", "loader", 5_000)
    asked = []

    def needed():
        asked.append(1)
        return False  # the holder loaded the cart already

    with redis_lock(store, "test:lock:c", ttl_ms=5_000, wait_seconds=5, on_timeout=Busy, needed=needed) as held:
        assert held is False
    assert asked == [1]
    assert _clean_redis.get("test:lock:c") == b"loader"  # not ours: left alone


def test_a_holder_that_outlived_its_ttl_does_not_release_the_next_holders_lock(_clean_redis):
    store = CartStore()
    with redis_lock(store, "test:lock:d", ttl_ms=50, wait_seconds=1, on_timeout=Busy):
        time.sleep(0.1)  # our lock expired ...
        assert store.try_lock("test:lock:d", "next-holder", 5_000)  # ... and someone else took it
    assert _clean_redis.get("test:lock:d") == b"next-holder"


def test_backoff_doubles_up_to_its_cap_and_ends():
    waits = Backoff(seconds=0.2, first=0.01, cap=0.04)
    pauses = []
    while waits.wait():
        pauses.append(waits.pause)
    assert pauses[:3] == [0.02, 0.04, 0.04]
    assert waits.wait() is False
