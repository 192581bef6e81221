"""The persistence consumer that runs inside every Celery worker.

A worker bootstep starts one thread that blocks on the persistence stream (XREADGROUP
with BLOCK) and writes what arrives, so the write-behind lag is milliseconds, not a
beat interval; between batches it checks the lines queued for a catalog check. Several
workers share the streams through consumer groups; one that dies leaves its messages
pending, and the others claim them after the backoff.
"""

import logging
import threading
import time

from celery import bootsteps

logger = logging.getLogger(__name__)

BLOCK_MS = 1000
BATCH = 500
IDLE_POLL_PAUSE_SECONDS = 0.1


def pause_before_next_read(read: int, elapsed: float, linger: float, *, polling: bool) -> float:
    """Seconds to wait after a pass that read ``read`` messages and took ``elapsed``."""
    if 0 < read < BATCH:
        # A trickle: the next batch should carry more changes per statement (fewer,
        # larger upserts). Reads start ``linger`` apart rather than ``linger`` after the
        # last write ended, so a change waits at most the linger plus one write: under
        # load, when writing a batch takes a while, a fixed pause on top of it would
        # add the two.
        return max(linger - elapsed, 0.0)
    if polling and read == 0:
        # Polling a cluster's quiet slots: a short pause before the next window bounds
        # the cost of idle polling and how long a quiet slot waits.
        return IDLE_POLL_PAUSE_SECONDS
    # A full batch means more is waiting; an empty blocking read already waited.
    return 0.0


def consume(stop: threading.Event, consumer: str) -> None:
    from django.conf import settings
    from django.db import close_old_connections

    from cart.engine import keys
    from cart.engine.streams import StreamPoller
    from cart.persistence.write_behind import persistence_drain
    from cart.validity import line_checks_drain
    from core.redis_client import get_background_redis

    # Its blocking reads wait up to BLOCK_MS on purpose: the background client's timeouts
    # allow that, where the request path's would call it a hung server.
    client = get_background_redis()
    linger = settings.CART_PERSIST_LINGER_MS / 1000
    # One stream per kind on a single server (blocking reads); one per slot on a cluster,
    # polled window by window.
    logs = StreamPoller(keys.log_keys(), window=settings.CART_STREAM_POLL_WINDOW)
    checks = StreamPoller(keys.check_keys(), window=settings.CART_STREAM_POLL_WINDOW)
    polling = len(logs.streams) > 1
    while not stop.is_set():
        started = time.monotonic()
        try:
            report = persistence_drain(
                consumer=consumer, block_ms=BLOCK_MS, stream_keys=logs.next_pass(), client=client
            )
            logs.saw(report.busy_streams)
            line_checks_drain(consumer=consumer, stream_keys=checks.next_pass(), client=client)
            stop.wait(pause_before_next_read(report.read, time.monotonic() - started, linger, polling=polling))
        except Exception:
            # Redis or a database down: say so, wait, and keep going; messages stay in
            # the stream until they are written.
            logger.exception("persistence consumer pass failed; retrying in 1 s")
            stop.wait(1)
        finally:
            close_old_connections()


def consumers_prune(*, idle_ms: int) -> int:
    """Remove the consumers that workers which are gone left in the persistence and check
    streams' groups: idle longer than ``idle_ms`` and holding nothing. Return how many."""
    from cart.engine import keys, streams
    from cart.persistence.write_behind import GROUP as PERSIST_GROUP
    from cart.validity import GROUP as CHECK_GROUP

    return sum(
        streams.consumers_prune(stream_keys, group=group, idle_ms=idle_ms)
        for stream_keys, group in ((keys.log_keys(), PERSIST_GROUP), (keys.check_keys(), CHECK_GROUP))
    )


class PersistenceConsumerStep(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def include_if(self, worker):
        from django.conf import settings

        return settings.CART_PERSIST_CONSUMER

    def start(self, worker):
        from cart.engine.streams import consumer_name

        self.thread = threading.Thread(
            target=consume, args=(self.stop_event, consumer_name()), name="cart-persistence", daemon=True
        )
        self.thread.start()
        logger.info("cart persistence consumer started")

    def stop(self, worker):
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=BLOCK_MS / 1000 + 5)
