"""The cold-cart loading mutex under real process faults: a holder that dies is taken
over once the mutex expires; a holder paused past the expiry cannot overwrite the newer
cart when it resumes (``fill.lua`` refuses a cart that already has a version)."""

import os
import signal
import time
from pathlib import Path

import pytest

from cart.engine import keys
from cart.selectors import cart_get
from cart.services import cart_add_line
from core.redis_client import get_redis
from tests.cart.helpers import cached, cached_version, drain
from tests.conftest import db_all_tx, needs_mysql
from tests.faults.procs import start_script, wait_for

pytestmark = [db_all_tx, needs_mysql, pytest.mark.faults]

LOCK_MS = 1500


def _cold_cart(user_id: int, lines: int) -> None:
    for n in range(1, lines + 1):
        cart_add_line(user_id=user_id, item_id=n, sku_id=n, quantity=n)
    drain()
    get_redis().delete(keys.cart_key(user_id))


def _stopped(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("T")


def test_a_dead_mutex_holder_is_taken_over_after_the_lock_expires(tmp_path, settings):
    settings.CART_LOAD_LOCK_MS = LOCK_MS
    user = 9401
    _cold_cart(user, 2)
    holder = start_script(tmp_path, "loader", "die", str(user), name="loader", CART_LOAD_LOCK_MS=str(LOCK_MS))
    try:
        # Given a loader that took the mutex, read MySQL and died before filling Redis
        assert wait_for(lambda: "read 2 lines" in holder.output(), 20), holder.output()
        holder.kill9()
    finally:
        holder.stop()
    assert get_redis().exists(keys.lock_key(user))

    # When a request needs the cart
    started = time.monotonic()
    cart = cart_get(user_id=user)

    # Then it took over once the mutex expired and loaded the cart
    assert time.monotonic() - started < LOCK_MS / 1000 + 1
    assert {v.line.id: v.line.quantity for v in cart.items} == {"1:1": 1, "2:2": 2}
    assert not get_redis().exists(keys.lock_key(user))


def test_a_paused_loader_cannot_overwrite_a_newer_cart_when_it_resumes(tmp_path, settings):
    settings.CART_LOAD_LOCK_MS = LOCK_MS
    user = 9402
    _cold_cart(user, 1)
    paused = start_script(tmp_path, "loader", "pause", str(user), name="loader", CART_LOAD_LOCK_MS=str(LOCK_MS))
    try:
        # Given a loader that read the old cart and was stopped (SIGSTOP) before filling Redis
        assert wait_for(lambda: "read 1 lines" in paused.output() and _stopped(paused.pid), 20), paused.output()

        # When the mutex expires and another request loads the cart and changes it
        change = cart_add_line(user_id=user, item_id=7, sku_id=7, quantity=3)
        newer = cached(user)
        assert set(newer) == {"1:1", "7:7"}

        # ... and the paused loader resumes and tries to fill its stale copy
        os.kill(paused.pid, signal.SIGCONT)
        assert paused.process.wait(timeout=20) == 0
    finally:
        paused.stop()

    # Then its fill was refused: the newer cart survived, version and all
    assert "filled 0" in paused.output()
    assert "unlocked 0" in paused.output()  # the mutex it held had expired; it released nothing
    assert cached(user) == newer
    assert cached_version(user) == change.cart_version
