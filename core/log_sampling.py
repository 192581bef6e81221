"""Log lines that would repeat thousands of times a second (a 429 per refused request,
a 503 per request during an outage) are written at most once per interval per kind, with
how many were left out; the metrics count every one."""

import threading
import time


class Sampled:
    """``should_log(kind)`` → None when a line of this kind was written less than
    ``seconds`` ago, else how many were left out since the last one."""

    def __init__(self, seconds: float, clock=time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self.last: dict[str, float] = {}
        self.skipped: dict[str, int] = {}
        self.lock = threading.Lock()

    def should_log(self, kind: str) -> int | None:
        now = self.clock()
        with self.lock:
            if now - self.last.get(kind, float("-inf")) < self.seconds:
                self.skipped[kind] = self.skipped.get(kind, 0) + 1
                return None
            self.last[kind] = now
            return self.skipped.pop(kind, 0)
