"""Django's per-request database housekeeping, walking only the connections a thread opened.

At the start and end of every request Django closes connections past their lifetime
(``close_old_connections``) and, at the start, clears the query logs (``reset_queries``).
Both ask every configured alias whether this thread has set it up
(``connections.all(initialized_only=True)``), and each "no" costs two raised exceptions
inside asgiref's thread-local. With seventeen aliases (``default`` and the sixteen shards)
that came to ~80 µs a request, about 8 % of a gunicorn worker's time on a cart request,
which usually touches no database at all.

The WSGI entry point (``config.wsgi``, which gunicorn serves) swaps them for the same
work done on the connections this thread has actually connected, learned from Django's
``connection_created`` signal. Everything else keeps Django's own receivers, tests above
all: Django's test client disconnects those by name around each request so that it
never closes a test's transaction, and it would not know these. The ASGI entry point is
imported by tests in-process (the browser tests serve it from a thread), so it keeps
them too; it serves the event stream, whose requests are few and long.
"""

import threading

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections, reset_queries
from django.db.backends.signals import connection_created

_opened = threading.local()


def _connected() -> set:
    """This thread's connection wrappers that may hold an open connection."""
    try:
        return _opened.wrappers
    except AttributeError:
        _opened.wrappers = set()
        return _opened.wrappers


def _remember(sender, connection, **kwargs) -> None:
    # Sent from the connecting thread on every connect, so a wrapper closed and dropped
    # below is back in the set as soon as it connects again.
    _connected().add(connection)


def close_old_opened_connections(**kwargs) -> None:
    """``close_old_connections`` for the connections this thread opened."""
    wrappers = _connected()
    for wrapper in list(wrappers):
        wrapper.close_if_unusable_or_obsolete()
        if wrapper.connection is None:
            wrappers.discard(wrapper)


def install() -> None:
    """Use the cheaper housekeeping in this process (the WSGI entry point calls it).

    Under ``DEBUG`` Django's receivers stay: that is where query logs are kept, and
    where the cost does not matter. Without it no query is logged (only a test's
    ``CaptureQueriesContext`` forces logging, and it resets its own), so
    ``reset_queries`` has nothing to clear.
    """
    if settings.DEBUG:
        return
    connection_created.connect(_remember, dispatch_uid="core.db_housekeeping.remember")
    # Connections opened while the application was set up were not announced to us.
    _connected().update(c for c in connections.all(initialized_only=True) if c.connection is not None)
    request_started.disconnect(reset_queries)
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
        signal.connect(close_old_opened_connections, dispatch_uid="core.db_housekeeping.close_old")


def uninstall() -> None:
    """Django's own receivers again (for tests of ``install``)."""
    connection_created.disconnect(dispatch_uid="core.db_housekeeping.remember")
    for signal in (request_started, request_finished):
        signal.disconnect(dispatch_uid="core.db_housekeeping.close_old")
        signal.connect(close_old_connections)
    request_started.connect(reset_queries)
