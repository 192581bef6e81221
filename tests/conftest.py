import pytest
from django.conf import settings

from core.redis_client import get_redis

db_all = pytest.mark.django_db(databases="__all__")
db_all_tx = pytest.mark.django_db(databases="__all__", transaction=True)


SHARDS_ON_MYSQL = settings.DATABASES["cart_00"]["ENGINE"] == "django.db.backends.mysql"
needs_mysql = pytest.mark.skipif(not SHARDS_ON_MYSQL, reason="needs the cart shards on MySQL/MariaDB")
needs_cluster = pytest.mark.skipif(not settings.REDIS_CLUSTER, reason="needs a Redis Cluster")


@pytest.fixture(autouse=True)
def _clean_redis():
    """Each test starts with no keys under this run's prefix and leaves none behind, and
    with no process-local copies of carts, rendered carts or SKUs (ids repeat from test
    to test)."""
    from cart.api.render_cache import rendered_carts
    from cart.engine.hot import hot_carts
    from catalog.cache import local_cache
    from ops import global_budget

    client = get_redis()

    def wipe():
        global_budget.reset()
        hot_carts.clear()
        local_cache.clear()
        rendered_carts.clear()
        keys = list(client.scan_iter(match=f"{settings.REDIS_KEY_PREFIX}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])

    wipe()
    yield client
    wipe()


@pytest.fixture
def api(db):
    from tests.api_client import ApiClient

    return ApiClient()


@pytest.fixture
def other_api(db):
    from tests.api_client import ApiClient

    return ApiClient()


@pytest.fixture
def dead_broker(monkeypatch):
    """Point Celery at a broker that does not answer, for this test only.

    Celery reads CELERY_BROKER_URL from the environment before its settings, so both
    change; the setting is patched first so that what is restored is the real URL.
    """
    from config.celery_app import app

    def forget_connections():
        # The producer pool keeps the broker it was created with: start a new one.
        app._pool = None
        app.amqp._producer_pool = None

    dead = "redis://127.0.0.1:1/0"
    forget_connections()
    monkeypatch.setattr(app.conf, "broker_url", dead)
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    yield dead
    monkeypatch.undo()
    forget_connections()


@pytest.fixture
def switch_off():
    """Switch features off for one test; on again afterwards (every process caches the
    switches for a second, so leaving one off would leak into the next test)."""
    from ops.switches import switch_set

    names = []

    def off(name: str) -> None:
        switch_set(name=name, off=True, source="manual")
        names.append(name)

    yield off
    for name in names:
        switch_set(name=name, off=False, source="manual")


@pytest.fixture(scope="module")
def test_databases(django_db_setup, django_db_blocker):
    """Every test database. pytest-django creates only those that the selected tests'
    ``django_db`` marks name, and tests against a server process carry none (their data
    must commit at once for the server to see it): run on their own, nothing else asks
    for them."""
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    missing = {alias for alias in connections if not _is_test_database(connections[alias])}
    if not missing:
        yield
        return
    with django_db_blocker.unblock():
        created = setup_databases(verbosity=0, interactive=False, aliases=missing)
    yield
    with django_db_blocker.unblock():
        teardown_databases(created, verbosity=0)


def _is_test_database(connection) -> bool:
    return connection.settings_dict["NAME"] == connection.creation._get_test_db_name()


def flush_test_databases(django_db_blocker) -> None:
    """Empty every test database: what a server process committed stays otherwise."""
    from django.core.management import call_command
    from django.db import connections

    with django_db_blocker.unblock():
        for alias in connections:
            call_command("flush", database=alias, interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def production_server(test_databases, django_db_blocker, tmp_path_factory):
    """gunicorn under ``config.settings.production`` on the test databases: CSRF
    enforced, DEBUG off, what a client really meets. Yields its base URL."""
    from tests.processes import start_production_server

    server, base = start_production_server(tmp_path_factory.mktemp("production"))
    try:
        yield base
    finally:
        server.stop()
        flush_test_databases(django_db_blocker)
