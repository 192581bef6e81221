"""Redis Cluster: one user's keys share a hash slot, carts spread over every master, and
the per-slot streams are found and drained. The slot arithmetic runs in every mode; the
tests marked ``needs_cluster`` run when REDIS_URL names a cluster (CI starts one)."""

from collections import Counter

import pytest
from django.conf import settings
from django.test import override_settings
from redis.cluster import RedisCluster
from redis.crc import key_slot

from accounts.keys import token_digests_key
from cart.engine import keys
from cart.engine.streams import StreamPoller
from cart.persistence.write_behind import persistence_backlog
from cart.services import cart_add_line
from core.redis_client import get_redis, plain_url
from ops.keys import rate_limit_bucket_key, rate_limit_global_key, rate_limit_stats_key
from tests.cart.helpers import cached, drain, persisted
from tests.conftest import db_all

needs_cluster = pytest.mark.skipif(not settings.REDIS_CLUSTER, reason="needs REDIS_URL to name a Redis Cluster")


def _slot(key: str) -> int:
    return key_slot(key.encode())


@override_settings(REDIS_CLUSTER=True)
@pytest.mark.parametrize("user_id", [1, 2, 42, 1_000_003, 987_654_321, 2**40 + 7])
def test_every_key_a_mutation_script_touches_shares_the_users_slot(user_id):
    script_keys = [
        *keys.mutation_keys(user_id),
        keys.lock_key(user_id),
        keys.idempotency_records_key(user_id),
        # The request's gate rides in the same script: the user's token digests and buckets.
        token_digests_key(user_id),
        *(rate_limit_bucket_key(endpoint_class, str(user_id)) for endpoint_class in ("core_write", "core_read")),
    ]

    assert {_slot(key) for key in script_keys} == {keys.user_slot(user_id)}


@override_settings(REDIS_CLUSTER=True)
def test_there_is_one_stream_of_each_kind_per_slot_and_nothing_else():
    logs, checks, dirty = keys.log_keys(), keys.check_keys(), keys.dirty_keys()

    assert len(set(logs)) == len(set(checks)) == len(set(dirty)) == 16384
    assert sorted(_slot(key) for key in logs) == list(range(16384))
    assert all(keys.log_key(u) in set(logs) for u in range(0, 5000, 7))


@override_settings(REDIS_CLUSTER=False)
def test_a_single_server_keeps_one_stream_of_each_kind():
    assert keys.log_keys() == [keys.log_key(1)] == [keys.log_key(99)]
    assert len(keys.check_keys()) == len(keys.dirty_keys()) == 1


def test_a_lease_touches_one_slot():
    assert _slot(rate_limit_global_key("core_write")) == _slot(rate_limit_stats_key(123)) == _slot("global")


def test_the_cluster_scheme_is_stripped_for_redis_py():
    assert plain_url("redis+cluster://10.0.0.5:7000/0") == "redis://10.0.0.5:7000/0"
    assert plain_url("rediss+cluster://u:p@h:6380") == "rediss://u:p@h:6380"
    assert plain_url("redis://h:6379/0") == "redis://h:6379/0"


def test_the_poller_reads_busy_streams_every_pass_and_the_rest_in_turn():
    streams = [f"s{n}" for n in range(10)]
    poller = StreamPoller(streams, window=4, keep_active=2)

    passes = []
    for busy in ({"s1"}, set(), set(), set()):
        passes.append(poller.next_pass())
        poller.saw(busy)

    assert passes == [
        ["s0", "s1", "s2", "s3"],
        ["s1", "s4", "s5", "s6", "s7"],  # s1 had entries: read on every pass …
        ["s1", "s8", "s9"],  # … for keep_active passes; the window reaches the end
        ["s2", "s3", "s4", "s5"],  # s1 went quiet; the window wrapped around
    ]


def test_a_window_larger_than_the_streams_reads_them_all():
    poller = StreamPoller(["only"], window=1024)

    assert poller.next_pass() == poller.next_pass() == ["only"]


@needs_cluster
def test_the_app_talks_to_a_cluster_with_three_masters():
    client = get_redis()

    assert isinstance(client, RedisCluster)
    assert len(client.get_primaries()) >= 3


@needs_cluster
@db_all
def test_carts_of_many_users_spread_over_every_master_and_persist_from_every_slot(_clean_redis):
    users = range(5000, 5300)
    for user in users:
        cart_add_line(user_id=user, item_id=1, sku_id=user % 7 + 1)

    masters = Counter(_clean_redis.get_node_from_key(keys.cart_key(u)).name for u in users)
    cart_keys_on = {
        node.name: sum(1 for _ in node.redis_connection.scan_iter(match=f"{settings.REDIS_KEY_PREFIX}cart:{{*}}"))
        for node in _clean_redis.get_primaries()
    }
    streams_used = {keys.log_key(u) for u in users}
    backlog = persistence_backlog()
    written = drain()

    assert len(masters) == len(_clean_redis.get_primaries()) >= 3
    assert min(masters.values()) >= 60  # 300 carts over 3 masters: none starved
    assert cart_keys_on == dict(masters)  # each cart lives on the master its slot names
    assert len(streams_used) > 250  # nearly one stream per user: their slots differ
    assert backlog == written == 300
    assert persistence_backlog() == 0
    assert all(persisted(u) == cached(u) != {} for u in (5000, 5150, 5299))
