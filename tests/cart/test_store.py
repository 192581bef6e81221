"""The Redis layout and the mutation scripts, against the real Redis."""

import json

import pytest
from django.conf import settings

from cart.engine import keys
from cart.engine.codec import states_from_stream
from cart.engine.store import CartStore, NotLoaded
from cart.services import cart_add_line, cart_remove_line, cart_update_line
from catalog.cache import local_cache
from core.errors import CartFull, VersionMismatch
from tests.cart.helpers import cached, compactly_encoded
from tests.conftest import db_all
from tests.costs import count_redis

pytestmark = db_all


def test_a_cart_is_one_hash_of_compact_lines_and_a_version(_clean_redis):
    cart_add_line(user_id=7, item_id=1001, sku_id=2001, quantity=2)
    fields = _clean_redis.hgetall(keys.cart_key(7))
    assert set(fields) == {b"1001:2001", b"_v"}
    quantity, flags, *_ = fields[b"1001:2001"].decode().split(",")
    assert (quantity, flags) == ("2", "1u")  # quantity 2, checked, status unknown
    assert len(fields[b"1001:2001"]) <= 64
    assert compactly_encoded(_clean_redis, keys.cart_key(7))
    assert keys.cart_key(7).endswith("cart:{7}")


def test_the_cart_lives_seven_days_and_use_refreshes_it(_clean_redis):
    cart_add_line(user_id=7, item_id=1, sku_id=1)
    key = keys.cart_key(7)
    _clean_redis.pexpire(key, 1000)
    CartStore().read(7)
    assert _clean_redis.pttl(key) > settings.CART_TTL_SECONDS * 1000 - 5000


def test_scripts_refuse_a_cart_that_is_not_loaded(_clean_redis):
    store = CartStore()
    _clean_redis.hset(keys.cart_key(7), "1:1", json.dumps({"q": 1, "a": 1}))  # a partial hash, no _v
    with pytest.raises(NotLoaded):
        store.mutate("add", user_id=7, expected_version=None, args=["1:2", 1, 120, 999])
    assert _clean_redis.hgetall(keys.cart_key(7)) == {b"1:1": json.dumps({"q": 1, "a": 1}).encode()}


def test_the_service_loads_a_cold_cart_then_applies_the_change():
    change = cart_add_line(user_id=8, item_id=1, sku_id=1)
    assert change.line.quantity == 1
    assert cached(8) == {"1:1": (1, True, change.cart_version)}


def test_every_change_raises_the_version_and_versions_follow_the_clock():
    import time

    before_ms = int(time.time() * 1000)
    versions = [cart_add_line(user_id=9, item_id=1, sku_id=n).cart_version for n in range(1, 30)]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert versions[0] >= before_ms - 1000


def test_the_line_limit_is_enforced_inside_the_script():
    for n in range(settings.CART_MAX_LINES):
        cart_add_line(user_id=10, item_id=n + 1, sku_id=1)
    with pytest.raises(CartFull):
        cart_add_line(user_id=10, item_id=999_999, sku_id=1)
    assert len(cached(10)) == 120
    assert cart_add_line(user_id=10, item_id=1, sku_id=1, quantity=5).line.quantity == 6


def test_quantities_are_capped_and_clamped_to_the_range():
    assert cart_add_line(user_id=11, item_id=1, sku_id=1, quantity=990).line.quantity == 990
    grown = cart_add_line(user_id=11, item_id=1, sku_id=1, quantity=50)
    assert (grown.line.quantity, grown.capped) == (999, True)
    assert cart_update_line(user_id=11, item_id=1, sku_id=1, delta=999).line.quantity == 999
    assert cart_update_line(user_id=11, item_id=1, sku_id=1, delta=-998).line.quantity == 1
    assert cart_update_line(user_id=11, item_id=1, sku_id=1, delta=-999).removed
    assert cached(11) == {}


def test_a_stale_if_match_changes_nothing():
    first = cart_add_line(user_id=12, item_id=1, sku_id=1)
    second = cart_add_line(user_id=12, item_id=1, sku_id=2)
    for attempt in (
        lambda: cart_add_line(user_id=12, item_id=1, sku_id=3, expected_version=first.cart_version),
        lambda: cart_update_line(user_id=12, item_id=1, sku_id=1, quantity=5, expected_version=first.cart_version),
        lambda: cart_remove_line(user_id=12, item_id=1, sku_id=1, expected_version=first.cart_version),
    ):
        with pytest.raises(VersionMismatch) as caught:
            attempt()
        assert caught.value.extra == {"current_version": second.cart_version}
    assert cached(12) == {"1:1": (1, True, first.cart_version), "1:2": (1, True, second.cart_version)}
    applied = cart_add_line(user_id=12, item_id=1, sku_id=3, expected_version=second.cart_version)
    assert applied.cart_version > second.cart_version


def test_scripts_run_by_sha_after_being_registered_once(_clean_redis):
    cart_add_line(user_id=13, item_id=1, sku_id=1)
    local_cache.put_many({2: None}, ttl=60)  # held as "no such SKU": the add needs no MGET
    with count_redis() as log:
        cart_add_line(user_id=13, item_id=1, sku_id=2)
    assert log.commands == ["EVALSHA"]
    store = CartStore()
    shas = [script.sha for script in store.scripts.values()]
    assert _clean_redis.script_exists(store.scripts["add"].sha) == [True]
    assert len(set(shas)) == len(shas)


def test_every_change_is_appended_to_the_persistence_stream_in_the_same_call(_clean_redis):
    change = cart_add_line(user_id=14, item_id=5, sku_id=6, quantity=3)
    ((_, fields),) = _clean_redis.xrange(keys.log_key(14))
    assert int(fields[b"u"]) == 14 and int(fields[b"v"]) == change.cart_version
    assert set(fields) == {b"u", b"v", b"c"}  # the entry's id carries the time
    (state,) = states_from_stream(fields[b"c"], user_id=14, version=change.cart_version)
    assert (state.item_id, state.sku_id, state.quantity, state.deleted) == (5, 6, 3, False)
    cart_remove_line(user_id=14, item_id=5, sku_id=6)
    (removal,) = states_from_stream(_clean_redis.xrange(keys.log_key(14))[-1][1][b"c"], user_id=14, version=1)
    assert (removal.item_id, removal.sku_id, removal.quantity, removal.deleted) == (5, 6, 0, True)
    assert _clean_redis.zscore(keys.dirty_key(14), "14") is not None


def test_removing_a_missing_line_changes_nothing(_clean_redis):
    change = cart_add_line(user_id=15, item_id=1, sku_id=1)
    entries = _clean_redis.xlen(keys.log_key(15))
    result = cart_remove_line(user_id=15, item_id=9, sku_id=9)
    assert (result.removed, result.cart_version) == (False, change.cart_version)
    assert _clean_redis.xlen(keys.log_key(15)) == entries


def test_every_change_announces_the_new_version_on_the_users_channel(_clean_redis):
    cart_add_line(user_id=16, item_id=1, sku_id=1)
    listener = _clean_redis.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(keys.events_channel(16))
    listener.get_message(timeout=1)
    change = cart_add_line(user_id=16, item_id=2, sku_id=2)
    cart_add_line(user_id=17, item_id=2, sku_id=2)  # another user's cart: not on this channel

    message = listener.get_message(timeout=2)
    assert json.loads(message["data"]) == {"version": change.cart_version}
    assert listener.get_message(timeout=0.2) is None
    listener.close()
