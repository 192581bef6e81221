"""Readiness probes of every backing service, each bounded by a short timeout."""

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

from config.celery_app import app as celery_app
from ops.redis_client import get_redis

TIMEOUT_SECONDS = 3


def _check_database(alias: str) -> str:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; say which
        return f"error: {type(exc).__name__}: {exc}"
    finally:
        # Probes run in pool threads; their connections must not outlive them.
        connections[alias].close()


def _check_redis() -> str:
    try:
        get_redis().ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}: {exc}"


def _check_broker() -> str:
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"error: {type(exc).__name__}: {exc}"


def check_all() -> dict[str, str]:
    """Return ``{name: "ok" | "error: …"}`` for every database alias, Redis and the broker.

    The probes run in parallel so one dead dependency costs one timeout, not one
    per alias.
    """
    probes = {alias: (lambda a=alias: _check_database(a)) for alias in settings.DATABASES}
    probes["redis"] = _check_redis
    probes["broker"] = _check_broker
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        futures = {name: pool.submit(probe) for name, probe in probes.items()}
        return {name: future.result() for name, future in futures.items()}
