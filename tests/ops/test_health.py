import redis
from django.conf import settings
from django.db import connections

from core.sharding import SHARD_ALIASES
from tests.conftest import db_all

pytestmark = db_all


def _break_database(monkeypatch, alias: str) -> None:
    """Point an alias at a server that is not there (a closed port, a missing folder)."""
    if connections[alias].vendor == "mysql":
        monkeypatch.setitem(connections.settings[alias], "PORT", "1")
    else:
        monkeypatch.setitem(connections.settings[alias], "NAME", "/nonexistent/folder/shard.sqlite3")


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_every_database_redis_and_the_broker(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"default", *SHARD_ALIASES, "redis", "broker"}
    assert set(body["checks"].values()) == {"ok"}


def test_readyz_fails_and_names_an_unreachable_shard(client, monkeypatch):
    _break_database(monkeypatch, "cart_07")
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["cart_07"].startswith("error: ")
    assert body["checks"]["cart_06"] == body["checks"]["default"] == "ok"


def test_readyz_fails_when_redis_does_not_answer(client, monkeypatch):
    monkeypatch.setattr("ops.readiness.get_redis", lambda: redis.Redis(port=1, socket_connect_timeout=1))
    body = client.get("/readyz").json()
    assert body["checks"]["redis"].startswith("error: ")
    assert body["checks"]["broker"] == "ok" or settings.CELERY_BROKER_URL == settings.REDIS_URL


def test_readyz_fails_when_the_broker_does_not_answer(client, dead_broker):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error: ")


def test_health_endpoints_refuse_writes(client):
    assert client.post("/healthz").status_code == 405
