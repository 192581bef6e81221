"""The load monitor: switches non-core features off by itself when the store is under
strain, and back on when it has recovered, with hysteresis so it does not flap.

Signals, every 10 s (a beat task): the share of requests the rate limiter refused in
the last window because the *global* budget was spent, and Redis's round-trip time. A
client that runs into its own per-user limit is that client's business: its refusals
are counted, but never switch a feature off for everyone else. Two strained readings in a row switch the
non-core features off; six calm readings in a row (a minute) switch them back on. Staff's
own switches (admin) are separate and always win.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings

from core.redis_client import get_redis
from ops import metrics
from ops.global_budget import current_window
from ops.keys import load_monitor_key, rate_limit_stats_key
from ops.switches import switch_set

logger = logging.getLogger(__name__)

# What load shedding turns off first: nothing here is needed to shop.
SHED = ("recommendations", "bundles", "price_refresh")
STRAINED_READINGS = 2
CALM_READINGS = 6


@dataclass(frozen=True, slots=True)
class Reading:
    requests: int
    rejected: int  # by the global budget: the store's strain, not one client's speed
    redis_ms: float

    @property
    def rejection_ratio(self) -> float:
        return self.rejected / self.requests if self.requests else 0.0

    @property
    def strained(self) -> bool:
        return self.rejection_ratio > settings.LOAD_SHED_REJECTION_RATIO or self.redis_ms > settings.LOAD_SHED_REDIS_MS

    @property
    def calm(self) -> bool:
        return (
            self.rejection_ratio < settings.LOAD_SHED_REJECTION_RATIO / 5
            and self.redis_ms < settings.LOAD_SHED_REDIS_MS / 4
        )


def read_signals(window: int | None = None) -> Reading:
    """Rate-limit decisions of the last complete window, and Redis's round trip now."""
    client = get_redis()
    window = current_window() - 1 if window is None else window
    allowed, rejected, by_global = client.hmget(rate_limit_stats_key(window), "allowed", "rejected", "rejected_global")
    requests = int(allowed or 0) + int(rejected or 0)
    rejected_global = int(by_global or 0)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        client.ping()
        timings.append((time.perf_counter() - started) * 1000)
        metrics.REDIS_ROUND_TRIP.observe(timings[-1] / 1000)
    return Reading(requests=requests, rejected=rejected_global, redis_ms=sorted(timings)[2])


def load_monitor_tick(reading: Reading | None = None) -> bool:
    """Take one reading and decide; return whether non-core features are now shed."""
    reading = reading or read_signals()
    client = get_redis()
    state = {k.decode(): int(v) for k, v in client.hgetall(load_monitor_key()).items()}
    shed = bool(state.get("shed", 0))
    strained = state.get("strained", 0) + 1 if reading.strained else 0
    calm = state.get("calm", 0) + 1 if reading.calm else 0
    if not shed and strained >= STRAINED_READINGS:
        shed = True
        logger.warning(
            "load shedding on: %.1f%% of requests refused, Redis %.1f ms",
            reading.rejection_ratio * 100,
            reading.redis_ms,
        )
    elif shed and calm >= CALM_READINGS:
        shed = False
        logger.warning("load shedding off: the store is calm again")
    for name in SHED:
        switch_set(name=name, off=shed, source="auto")
    client.hset(load_monitor_key(), mapping={"shed": int(shed), "strained": strained, "calm": calm})
    metrics.LOAD_SHEDDING.set(int(shed))
    return shed
