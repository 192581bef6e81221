"""Cache-aside loading of cold carts: one loader per user, real threads, real MySQL."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import connections
from prometheus_client import REGISTRY

from cart.engine import keys
from cart.selectors import cart_get
from cart.services import cart_add_line
from tests.cart.helpers import cached, drain, persisted
from tests.conftest import db_all, db_all_tx


def _loads() -> float:
    return REGISTRY.get_sample_value("cart_cache_loads_total") or 0.0


def _close_thread_connections():
    for connection in connections.all():
        connection.close()


@db_all_tx
def test_fifty_concurrent_reads_of_a_cold_cart_load_it_from_mysql_once(_clean_redis):
    for n in range(1, 21):
        cart_add_line(user_id=21, item_id=n, sku_id=n, quantity=n)
    drain()
    _clean_redis.delete(keys.cart_key(21))
    before = _loads()
    start = threading.Barrier(50)

    def read(_):
        start.wait()
        try:
            return cart_get(user_id=21)
        finally:
            _close_thread_connections()

    with ThreadPoolExecutor(max_workers=50) as pool:
        views = list(pool.map(read, range(50)))

    assert _loads() - before == 1
    assert {len(v.items) for v in views} == {20}
    assert {v.version for v in views} == {views[0].version}


@db_all_tx
def test_a_dead_lock_holder_delays_the_load_only_until_its_lock_expires(_clean_redis):
    cart_add_line(user_id=22, item_id=1, sku_id=1, quantity=4)
    drain()
    _clean_redis.delete(keys.cart_key(22))
    _clean_redis.set(keys.lock_key(22), "a-loader-that-died", px=300)

    started = time.monotonic()
    view = cart_get(user_id=22)

    assert time.monotonic() - started >= 0.25
    assert [(v.line.id, v.line.quantity) for v in view.items] == [("1:1", 4)]
    assert _clean_redis.get(keys.lock_key(22)) is None


@db_all
def test_a_loader_never_releases_a_lock_it_no_longer_owns(_clean_redis):
    from cart.engine.store import CartStore

    store = CartStore()
    assert store.try_lock(keys.lock_key(23), "mine", 1000)
    _clean_redis.set(keys.lock_key(23), "someone-else", px=1000)  # mine expired, another took it
    assert store.unlock(keys.lock_key(23), "mine") is False
    assert _clean_redis.get(keys.lock_key(23)) == b"someone-else"


@db_all
def test_the_version_never_goes_down_after_redis_loses_the_cart(_clean_redis):
    cart_add_line(user_id=24, item_id=1, sku_id=1)
    drain()
    served = [cart_add_line(user_id=24, item_id=1, sku_id=n).cart_version for n in range(2, 6)]
    # Redis dies before these reach MySQL: the cart and the stream are gone.
    _clean_redis.delete(keys.cart_key(24), keys.log_key(24))
    time.sleep(0.005)

    reloaded = cart_get(user_id=24)

    assert reloaded.version > max(served)
    assert [v.line.id for v in reloaded.items] == ["1:1"]
    assert cart_add_line(user_id=24, item_id=7, sku_id=7).cart_version > reloaded.version


@db_all
def test_a_loaded_cart_is_never_overwritten_by_a_late_loader():
    from cart.engine.store import CartStore

    cart_add_line(user_id=25, item_id=1, sku_id=1, quantity=3)
    assert CartStore().fill(25, version=1, lines=[]) == 0
    assert cached(25)["1:1"][0] == 3
    assert persisted(25) == {}
