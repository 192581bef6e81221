"""Readiness probes of every backing service, answered within a second whatever hangs."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

from celery import current_app as celery_app
from django.conf import settings
from django.db import connections

from core.redis_client import get_redis

# The whole probe answers within this: a service that has not answered by then is
# reported as not answering (a hung server must not hang the probe of a load balancer).
TIMEOUT_SECONDS = 0.8


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


# Apps register what /readyz reports as warnings: costly but working (ops imports no app).
_warning_sources: list[Callable[[], list[str]]] = []


def warn_with(source: Callable[[], list[str]]) -> None:
    _warning_sources.append(source)


def warnings() -> list[str]:
    """What works but costs more than it should; never a reason to leave rotation."""
    found: list[str] = []
    for source in _warning_sources:
        try:
            found += source()
        except Exception as exc:  # noqa: BLE001 - a warning's own failure is only a warning
            found.append(f"could not check: {type(exc).__name__}: {exc}")
    return found


def check_all() -> dict[str, str]:
    """Return ``{name: "ok" | "error: …"}`` for every database alias, Redis and the broker,
    within ``TIMEOUT_SECONDS``.

    The probes run in parallel, each with its own timeout, so one dead dependency costs
    at most the probe's deadline, not one timeout per alias.
    """
    probes = {alias: (lambda a=alias: _check_database(a)) for alias in settings.DATABASES}
    probes["redis"] = _check_redis
    probes["broker"] = _check_broker
    pool = ThreadPoolExecutor(max_workers=len(probes), thread_name_prefix="readyz")
    futures = {name: pool.submit(probe) for name, probe in probes.items()}
    wait(futures.values(), timeout=TIMEOUT_SECONDS)
    # Not waiting for the stragglers: their own timeouts end them in the background.
    pool.shutdown(wait=False, cancel_futures=True)
    return {
        name: future.result() if future.done() else f"error: no answer within {TIMEOUT_SECONDS} s"
        for name, future in futures.items()
    }
