"""/readyz says when a Redis master may evict keys, which could drop carts' changes not
yet in MySQL (docs/reliability.md, "Redis full"), and stays ready."""

import pytest

from cart.engine.redis_settings import redis_settings_warnings
from core.redis_client import get_redis
from tests.cart.helpers import redis_configured
from tests.conftest import db_all, needs_cluster

pytestmark = db_all
NEVER_REACHED = 1 << 40  # a maxmemory of 1 TiB: a limit is set, nothing is evicted by these tests


@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-ttl"])
def test_readyz_warns_when_redis_may_evict_carts_and_stays_ready(client, policy):
    with redis_configured("maxmemory", NEVER_REACHED), redis_configured("maxmemory-policy", policy):
        response = client.get("/readyz")

    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok"
    (warning,) = body["warnings"]
    assert f"maxmemory-policy is {policy}" in warning and "Set maxmemory-policy noeviction" in warning


def test_no_warning_without_a_maxmemory_whatever_the_policy(client):
    with redis_configured("maxmemory", 0), redis_configured("maxmemory-policy", "allkeys-lru"):
        assert redis_settings_warnings(get_redis()) == []
        assert client.get("/readyz").json()["warnings"] == []


def test_no_warning_under_noeviction_with_a_maxmemory():
    with redis_configured("maxmemory", NEVER_REACHED), redis_configured("maxmemory-policy", "noeviction"):
        assert redis_settings_warnings(get_redis()) == []


@needs_cluster
def test_every_master_of_a_cluster_is_asked_not_only_the_clients_default_node():
    with (
        redis_configured("maxmemory", NEVER_REACHED, all_but_default_node=True),
        redis_configured("maxmemory-policy", "allkeys-random", all_but_default_node=True),
    ):
        (warning,) = redis_settings_warnings(get_redis())
    assert "maxmemory-policy is allkeys-random" in warning
