"""Global rate limits with no Redis call on the request path.

Each endpoint class has one global bucket in Redis (``global_rate``, ``global_burst``).
Requests never touch it: every process leases a share in the background, a few times a
second, sized by what it spent lately, and spends it locally. What a process leased and
did not spend goes back with its next lease, so the processes together get the
configured rate, whatever their number (``tests/ops/test_global_budget.py`` holds two
processes to it within 10 %).

A lease asks for twice what the process spent since its last one, and at least its
share of one interval's worth of the class's rate (the rate ÷ the processes that leased
in the last two seconds, which each lease reports), so a process that wakes up to a
burst has enough in hand while all of them together hold at most one interval's worth;
what it does not spend goes back an interval later. A process with nothing in hand
leases on the request path, at most once per ``SYNC_LEASE_GAP_SECONDS``
(counted in ``rate_limit_sync_leases_total``), and otherwise refuses: the class is over
its global budget (``rejected_global``, which the load monitor reads as the store's
strain).

The process's decisions (allowed, rejected by a user's bucket, rejected by the global
budget) ride along with its leases into the current window's counters (``ops.keys.
rate_limit_stats_key``): a count may land in the window after the one it was made in,
by at most one lease interval.
"""

import logging
import math
import os
import socket
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from django.conf import settings

from core.redis_client import UNREACHABLE, get_background_redis, get_redis
from ops import metrics
from ops.keys import rate_limit_global_key, rate_limit_leasers_key, rate_limit_stats_key

logger = logging.getLogger(__name__)

LEASE_SCRIPT = (Path(__file__).with_name("redis_scripts") / "lease.lua").read_text()
# Decisions are counted per window of this many seconds (for the load monitor).
STATS_WINDOW_SECONDS = 10
# A lease covers this many intervals of the demand seen in the last one.
HORIZON = 2
SYNC_LEASE_GAP_SECONDS = 0.01
# How long a request waits for another's lease on the request path (its client's read timeout bounds the lease).
SYNC_LEASE_WAIT_SECONDS = 1.0
KEEP_STATS_SECONDS = STATS_WINDOW_SECONDS * 6


def current_window() -> int:
    return int(time.time()) // STATS_WINDOW_SECONDS


class Budget:
    """This process's share of one class's global budget."""

    def __init__(self, endpoint_class: str):
        self.endpoint_class = endpoint_class
        self.tokens = 0
        self.wanted = 0  # requests since the last lease, allowed or not: the demand
        self.leased_at = 0.0
        self.leasing = False  # a request is leasing for everyone
        self.lock = threading.Lock()
        self.leased = threading.Condition(self.lock)

    def _spend(self) -> bool:
        if self.tokens > 0:
            self.tokens -= 1
            return True
        return False

    def take(self) -> bool:
        with self.lock:
            self.wanted += 1
            if self._spend():
                return True
            if self.leasing:  # another request is leasing right now: its lease is for us too
                self.leased.wait(timeout=SYNC_LEASE_WAIT_SECONDS)
                return self._spend()
            if time.monotonic() - self.leased_at <= SYNC_LEASE_GAP_SECONDS:
                return False
            self.leasing = True
        metrics.RATE_LIMIT_SYNC_LEASES.labels(self.endpoint_class).inc()
        try:
            _leaser().lease(self, client=get_redis())  # the request path's client: short timeouts
        finally:
            with self.lock:
                self.leasing = False
                self.leased.notify_all()
        with self.lock:
            return self._spend()

    def want(self, floor: int) -> int:
        """Tokens to ask for (negative: to give back), from the demand since the last lease."""
        with self.lock:
            demand, self.wanted = self.wanted, 0
            return max(demand * HORIZON, floor) - self.tokens

    def granted(self, count: int, given_back: int) -> None:
        with self.lock:
            self.tokens += count - given_back
            self.leased_at = time.monotonic()


class Leaser:
    """The background thread of one process that keeps every class's share leased."""

    def __init__(self):
        self.pid = os.getpid()
        self.budgets: dict[str, Budget] = {}
        self.decisions: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.name = f"{socket.gethostname()}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.processes = 1  # that leased lately, as the last lease reported
        self.client = get_background_redis()
        self.script = self.client.register_script(LEASE_SCRIPT)
        self.thread = threading.Thread(target=self._run, name="rate-limit-leases", daemon=True)
        self.thread.start()

    def budget(self, endpoint_class: str) -> Budget:
        budget = self.budgets.get(endpoint_class)
        if budget is None:
            with self.lock:
                budget = self.budgets.setdefault(endpoint_class, Budget(endpoint_class))
        return budget

    def count(self, result: str) -> None:
        with self.lock:
            self.decisions[result] += 1

    def lease(self, budget: Budget, client=None) -> None:
        """Lease for ``budget`` (on ``client``: the background's by default)."""
        from ops.ratelimit import limit_for

        limit = limit_for(budget.endpoint_class)
        share = limit.global_rate * settings.RATE_LIMIT_LEASE_SECONDS / max(1, self.processes)
        want = budget.want(max(1, math.ceil(share)))
        with self.lock:
            decisions, self.decisions = self.decisions, Counter()
        if want == 0 and not decisions:
            budget.granted(0, 0)  # enough in hand, nothing to report: no call
            return
        pairs = [x for field, n in decisions.items() for x in (field, n)]
        try:
            granted, self.processes = self.script(
                keys=[
                    rate_limit_global_key(budget.endpoint_class),
                    rate_limit_stats_key(current_window()),
                    rate_limit_leasers_key(),
                ],
                args=[
                    limit.global_rate,
                    max(1, math.ceil(limit.global_burst)),
                    want,
                    KEEP_STATS_SECONDS,
                    self.name,
                    *pairs,
                ],
                client=client or self.client,
            )
        except UNREACHABLE:
            # No lease, no refusals for it: with Redis gone, requests fail on their own
            # where they need Redis, and the catalog serves from MySQL (fail open).
            metrics.RATE_LIMIT_FAILED_OPEN.labels(budget.endpoint_class).inc()
            budget.granted(max(0, want), 0)
            return
        budget.granted(granted, max(0, -want))

    def _run(self) -> None:
        while True:
            time.sleep(settings.RATE_LIMIT_LEASE_SECONDS)
            for budget in list(self.budgets.values()):
                try:
                    self.lease(budget)
                except Exception:  # a bad lease must not end the thread: the next one retries
                    logger.exception("leasing the %s budget failed", budget.endpoint_class)


_state: dict[str, Leaser] = {}
_state_lock = threading.Lock()


def _leaser() -> Leaser:
    """This process's leaser, started on first use (after a fork, anew: threads do not survive one)."""
    leaser = _state.get("leaser")
    if leaser is None or leaser.pid != os.getpid():
        with _state_lock:
            leaser = _state.get("leaser")
            if leaser is None or leaser.pid != os.getpid():
                leaser = _state["leaser"] = Leaser()
    return leaser


def take(endpoint_class: str) -> bool:
    """Spend one of this process's global tokens for ``endpoint_class``; False when it has none."""
    allowed = _leaser().budget(endpoint_class).take()
    if not allowed:
        count("rejected_global")
        count("rejected")
        metrics.RATE_LIMIT_DECISIONS.labels(endpoint_class, "rejected").inc()
    return allowed


def count(result: str) -> None:
    """Count a decision (``allowed``, ``rejected``, ``rejected_global``) for the load monitor."""
    _leaser().count(result)


def reset() -> None:
    """Forget this process's shares and counts (tests: each starts with none)."""
    leaser = _leaser()
    with leaser.lock:
        leaser.budgets.clear()
        leaser.decisions.clear()


def prime(endpoint_class: str) -> None:
    """Lease for ``endpoint_class`` now if this process never has, so that its first
    request does not lease on the request path (tests that count a request's calls)."""
    leaser = _leaser()
    budget = leaser.budget(endpoint_class)
    if not budget.leased_at:
        leaser.lease(budget)


def flush() -> None:
    """Lease now and report every decision counted so far (tests, and a clean shutdown)."""
    leaser = _leaser()
    for budget in list(leaser.budgets.values()):
        leaser.lease(budget)
