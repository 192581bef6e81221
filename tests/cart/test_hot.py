"""Hot carts served from process memory, invalidated across processes."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from cart.engine.hot import hot_carts
from cart.selectors import cart_get_raw
from cart.services import cart_add_line
from tests.conftest import db_all
from tests.costs import count_redis

pytestmark = db_all

ROOT = Path(__file__).resolve().parents[2]


def _wait_until(condition, seconds=3.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def _make_hot(user_id: int) -> None:
    for _ in range(25):
        cart_get_raw(user_id=user_id)
    assert _wait_until(lambda: (cart_get_raw(user_id=user_id), hot_carts.get(user_id))[1] is not None)


def test_a_cart_read_far_more_than_others_is_served_from_memory():
    cart_add_line(user_id=31, item_id=1, sku_id=1)
    cart_add_line(user_id=32, item_id=1, sku_id=1)
    _make_hot(31)
    cart_get_raw(user_id=32)

    with count_redis() as log:
        hot = cart_get_raw(user_id=31)
        cart_get_raw(user_id=32)

    assert hot.lines[0].id == "1:1"
    # The hot cart cost nothing; the other one its read (and its saved lines' TTL, in the same trip).
    assert log.commands == ["HGETALL", "PEXPIRE", "PEXPIRE"]


def test_a_write_in_this_process_is_seen_by_the_next_read():
    cart_add_line(user_id=33, item_id=1, sku_id=1)
    _make_hot(33)
    change = cart_add_line(user_id=33, item_id=1, sku_id=1)
    assert cart_get_raw(user_id=33).version == change.cart_version


def test_copies_expire_even_without_a_change(settings):
    settings.HOT_CART_TTL_SECONDS = 0.05
    cart_add_line(user_id=34, item_id=1, sku_id=1)
    _make_hot(34)
    time.sleep(0.06)
    assert hot_carts.get(34) is None


@pytest.fixture
def other_process():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
    }
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("hot_reader.py"))],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def read(user_id: int) -> tuple[int, str]:
        process.stdin.write(f"{user_id}\n")
        process.stdin.flush()
        version, source = process.stdout.readline().split()
        return int(version), source

    yield read
    process.stdin.close()
    process.wait(timeout=10)


def test_a_write_in_another_process_drops_this_processs_copy(other_process):
    cart_add_line(user_id=35, item_id=1, sku_id=1)
    for _ in range(25):
        other_process(35)
    assert _wait_until(lambda: other_process(35)[1] == "hot"), "the other process never kept a copy"

    change = cart_add_line(user_id=35, item_id=2, sku_id=2)  # this process writes

    assert _wait_until(lambda: other_process(35) == (change.cart_version, "redis"), seconds=1.0)
