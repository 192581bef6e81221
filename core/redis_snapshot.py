"""A Redis hash that every process reads at most once a refresh interval.

Staff settings that must reach every process quickly but cost a request nothing (the
degradation switches, rate-limit overrides) live in one Redis hash each. Each process
keeps the parsed hash and reads it again once it is older than the interval, so a
change is seen everywhere within that time. When Redis cannot be read, the last known
value stays: trouble with Redis must not flip features or limits.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from core.redis_client import get_redis

T = TypeVar("T")
logger = logging.getLogger(__name__)


class RedisHashSnapshot(Generic[T]):
    def __init__(
        self,
        *,
        key: Callable[[], str],
        parse: Callable[[dict[bytes, bytes]], T],
        empty: T,
        what: str,
        refresh_seconds: float = 1.0,
    ):
        self.key = key
        self.parse = parse
        self.value = empty
        self.what = what  # for the warning
        self.refresh_seconds = refresh_seconds
        self.read_at = 0.0
        self.lock = threading.Lock()

    def get(self) -> T:
        now = time.monotonic()
        if now - self.read_at < self.refresh_seconds:
            return self.value
        with self.lock:
            if now - self.read_at >= self.refresh_seconds:
                try:
                    self.value = self.parse(get_redis().hgetall(self.key()))
                except Exception:  # noqa: BLE001 - keep the last known value when Redis hiccups
                    logger.warning("could not read the %s; keeping the last known ones", self.what)
                self.read_at = now
        return self.value

    def expire(self) -> None:
        """Read the hash again on the next ``get`` (this process just changed it)."""
        self.read_at = 0.0
