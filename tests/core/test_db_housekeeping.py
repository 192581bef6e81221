"""The WSGI server's per-request connection housekeeping: Django's rules (a connection past
its lifetime or left unusable is closed at the start and end of a request), applied to
the connections the serving thread opened, without asking every alias."""

import json
import threading
import time

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections, reset_queries

from core import db_housekeeping
from core.sharding import shard_for_user
from tests.conftest import db_all_tx
from tests.processes import run_python

pytestmark = db_all_tx

ALIAS = shard_for_user(1)


def receivers(signal) -> list:
    return [ref() for _, ref, *_ in signal.receivers]


@pytest.fixture
def housekeeping():
    db_housekeeping.install()
    yield
    db_housekeeping.uninstall()


def in_thread(work):
    """Run ``work`` in a thread of its own (its own connections), re-raising its errors."""
    outcome = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def expire(wrapper) -> None:
    # The time Django computed at connect from CONN_MAX_AGE, now past.
    wrapper.close_at = time.monotonic() - 1


def test_a_connection_past_its_lifetime_is_closed_at_the_end_of_a_request(housekeeping):
    def serve():
        wrapper = connections[ALIAS]
        wrapper.ensure_connection()
        request_started.send(sender=None)
        within_lifetime = wrapper.connection is not None
        expire(wrapper)
        request_finished.send(sender=None)
        return within_lifetime, wrapper.connection is None

    assert in_thread(serve) == (True, True)


def test_a_connection_opened_again_after_being_closed_is_looked_after_again(housekeeping):
    def serve():
        wrapper = connections[ALIAS]
        closed = []
        for _ in range(2):
            wrapper.ensure_connection()
            expire(wrapper)
            request_started.send(sender=None)
            closed.append(wrapper.connection is None)
        return closed

    assert in_thread(serve) == [True, True]


def test_a_connection_left_outside_autocommit_is_closed(housekeeping):
    def serve():
        wrapper = connections[ALIAS]
        wrapper.ensure_connection()
        wrapper.set_autocommit(False)  # a request that failed half-way through a manual transaction
        request_finished.send(sender=None)
        return wrapper.connection is None

    assert in_thread(serve) is True


def test_another_threads_connections_are_left_alone(housekeeping):
    opened, finished = threading.Event(), threading.Event()
    seen = {}

    def other_thread():
        wrapper = connections[ALIAS]
        wrapper.ensure_connection()
        expire(wrapper)
        opened.set()
        finished.wait(timeout=10)
        seen["open"] = wrapper.connection is not None

    worker = threading.Thread(target=other_thread)
    worker.start()
    assert opened.wait(timeout=10)
    in_thread(lambda: request_finished.send(sender=None))
    finished.set()
    worker.join(timeout=10)
    assert seen == {"open": True}


def test_no_alias_is_asked_whether_it_was_set_up(housekeeping, monkeypatch):
    asked = []
    walk = connections.all
    monkeypatch.setattr(connections, "all", lambda *args, **kwargs: asked.append(kwargs) or walk(*args, **kwargs))

    def serve():
        connections[ALIAS].ensure_connection()
        for _ in range(3):
            request_started.send(sender=None)
            request_finished.send(sender=None)
        return len(asked)

    assert in_thread(serve) == 0


def test_django_receivers_are_swapped_and_restored(housekeeping):
    assert close_old_connections not in receivers(request_started) + receivers(request_finished)
    assert reset_queries not in receivers(request_started)
    assert db_housekeeping.close_old_opened_connections in receivers(request_started)
    assert db_housekeeping.close_old_opened_connections in receivers(request_finished)
    db_housekeeping.uninstall()
    assert close_old_connections in receivers(request_started) and close_old_connections in receivers(request_finished)
    assert reset_queries in receivers(request_started)
    assert db_housekeeping.close_old_opened_connections not in receivers(request_finished)
    db_housekeeping.install()  # for the fixture's own uninstall


def test_under_debug_django_keeps_its_own_receivers(settings):
    settings.DEBUG = True
    db_housekeeping.install()
    try:
        assert close_old_connections in receivers(request_finished)
        assert reset_queries in receivers(request_started)
        assert db_housekeeping.close_old_opened_connections not in receivers(request_finished)
    finally:
        db_housekeeping.uninstall()


def test_the_wsgi_entry_point_installs_it():
    probe = (
        "import json, config.wsgi\n"
        "from django.core.signals import request_finished, request_started\n"
        "names = lambda s: sorted(ref().__qualname__ for _, ref, *_ in s.receivers)\n"
        "print(json.dumps({'started': names(request_started), 'finished': names(request_finished)}))\n"
    )
    result = run_python("-c", probe)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert "close_old_opened_connections" in found["started"] and "close_old_opened_connections" in found["finished"]
    assert "close_old_connections" not in found["started"] + found["finished"]
    assert "reset_queries" not in found["started"]
