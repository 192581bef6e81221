"""Carts stay compact hashes (listpacks) up to the line limit, and /readyz says when the
running Redis is configured so that they would not."""

import pytest
from django.conf import settings

from cart.engine import keys
from cart.engine.encoding import SHIPPED, required
from cart.engine.redis_settings import redis_settings_warnings
from cart.services import MergeEntry, cart_merge, cart_save_for_later
from core.redis_client import get_redis
from tests.cart.helpers import compactly_encoded, redis_configured
from tests.conftest import db_all, needs_cluster
from tests.factories import SkuFactory

pytestmark = db_all


def _cart_of(user_id: int, count: int) -> str:
    skus = [SkuFactory() for _ in range(count)]
    cart_merge(user_id=user_id, entries=[MergeEntry(sku.item_id, sku.sku_id, 3) for sku in skus])
    return keys.cart_key(user_id)


@pytest.mark.parametrize(("lines", "most_bytes"), [(20, 1_500), (settings.CART_MAX_LINES, 8_000)])
def test_a_cart_of_priced_lines_is_a_listpack_within_its_memory_budget(_clean_redis, lines, most_bytes):
    key = _cart_of(81, lines)
    redis = get_redis()
    assert redis.hlen(key) == lines + 1
    assert all(b"," in value for field, value in redis.hgetall(key).items() if field != b"_v")
    assert compactly_encoded(redis, key)
    assert redis.memory_usage(key) <= most_bytes


def test_a_long_saved_list_is_a_listpack_too(_clean_redis):
    # Past Redis's default of 128 entries: the shipped 512 keeps the list compact.
    skus = [SkuFactory() for _ in range(150)]
    for start in range(0, len(skus), settings.CART_MAX_LINES):
        batch = skus[start : start + settings.CART_MAX_LINES]
        cart_merge(user_id=82, entries=[MergeEntry(sku.item_id, sku.sku_id, 2) for sku in batch])
        for sku in batch:
            cart_save_for_later(user_id=82, item_id=sku.item_id, sku_id=sku.sku_id)
    redis = get_redis()
    key = keys.saved_key(82)
    assert redis.hlen(key) == 150
    assert redis.hlen(keys.cart_key(82)) == 1  # only _v: every line was moved
    assert compactly_encoded(redis, key)
    assert redis.memory_usage(key) <= 150 * 75  # about 69 bytes a line, as in a cart


def test_the_shipped_settings_cover_what_carts_need():
    assert all(SHIPPED[name] >= least for name, least in required().items())


@pytest.fixture
def lowered_listpack_value(_clean_redis):
    # The older name: Redis 7 takes it as an alias, the embedded server's Redis 6.2 knows only it.
    with redis_configured("hash-max-ziplist-value", 32):
        yield


def test_readyz_warns_when_redis_would_store_carts_as_hashtables_and_stays_ready(client, lowered_listpack_value):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok"
    (warning,) = body["warnings"]
    assert "hash-max-listpack-value is 32, below 64" in warning and "ships 64" in warning


def test_readyz_has_no_warning_under_settings_that_keep_carts_compact(client):
    assert redis_settings_warnings(get_redis()) == []
    assert client.get("/readyz").json()["warnings"] == []


@needs_cluster
def test_every_master_of_a_cluster_is_asked_not_only_the_clients_default_node():
    # The older name: Redis 7 takes it as an alias.
    with redis_configured("hash-max-ziplist-entries", 128, all_but_default_node=True):
        (warning,) = redis_settings_warnings(get_redis())
    assert "hash-max-listpack-entries is 128, below 500" in warning


def test_a_redis_that_refuses_config_is_a_warning_per_check_not_an_error():
    class NoConfig:
        def config_get(self, pattern):
            raise PermissionError("CONFIG is disabled")

    hash_settings, eviction = redis_settings_warnings(NoConfig())
    assert "cannot read Redis's hash settings (PermissionError)" in hash_settings and ">= 500" in hash_settings
    assert "cannot read Redis's eviction settings (PermissionError)" in eviction and "noeviction" in eviction
