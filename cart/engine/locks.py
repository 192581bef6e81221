"""Redis locks and the patient waits around them: one shape for every "one at a time".

A lock is ``SET key token NX PX ttl`` with a random owner token and a compare-and-delete
release (``lua/unlock.lua``), so a holder that outlived its TTL cannot free someone
else's lock. Loading a cold cart and placing an order hold one (``redis_lock``); an
``Idempotency-Key`` reservation is a record rather than a lock, but waits for the first
request in the same steps (``Backoff``).
"""

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Backoff:
    """Pauses that double from ``first`` up to ``cap`` for at most ``seconds`` in all."""

    def __init__(self, *, seconds: float, first: float, cap: float):
        self.deadline, self.pause, self.cap = time.monotonic() + seconds, first, cap

    def wait(self) -> bool:
        """Sleep the next pause and return True; once the time is up, return False at once."""
        if time.monotonic() > self.deadline:
            return False
        time.sleep(self.pause)
        self.pause = min(self.pause * 2, self.cap)
        return True


@contextmanager
def redis_lock(
    store,
    key: str,
    *,
    ttl_ms: int,
    wait_seconds: float,
    on_timeout: Callable[[], Exception],
    first_pause: float = 0.002,
    max_pause: float = 0.05,
    needed: Callable[[], bool] = lambda: True,
) -> Iterator[bool]:
    """Hold ``key`` (through ``store.try_lock``/``store.unlock``) for the block, which
    receives True.

    While another holder has it, waits up to ``wait_seconds``, then raises
    ``on_timeout()``. ``needed`` is asked after each pause: when it says the holder
    already did the work (another request loaded the cart), the block receives False
    and runs without the lock.
    """
    token = secrets.token_hex(16)
    waits = Backoff(seconds=wait_seconds, first=first_pause, cap=max_pause)
    while not store.try_lock(key, token, ttl_ms):
        if not waits.wait():
            raise on_timeout()
        if not needed():
            yield False
            return
    try:
        yield True
    finally:
        store.unlock(key, token)
