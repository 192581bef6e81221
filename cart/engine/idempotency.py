"""Idempotency-Key for POST requests (API.md, "Conditional and repeatable writes").

The first request with a key reserves it (``SET NX``), runs, and stores its response
for 24 hours; a retry with the same key and body gets that response back without
running again; another body under the same key is refused. A retry that arrives while
the first is still running waits for it briefly.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from cart.engine import keys
from cart.engine.locks import Backoff
from core.errors import ApiError, IdempotencyKeyInFlight, IdempotencyKeyReused
from core.redis_client import get_redis

MAX_KEY_LENGTH = 255
# How long a reservation holds while its request runs; a crashed request frees the key then.
PENDING_TTL_SECONDS = 30
WAIT_FOR_FIRST_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: dict | None
    replayed: bool


def request_fingerprint(*, method: str, path: str, data) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def run_once(
    *, user_id: int, client_key: str, fingerprint: str, compute: Callable[[], tuple[int, dict | None]]
) -> StoredResponse:
    """Run ``compute`` once per (user, key); replay its stored ``(status, body)`` afterwards.

    Domain errors (4xx) are stored and replayed like successes, so a retry sees what
    the first attempt saw; errors that are not ``replayable`` (a 412, a checkout kept
    waiting, a 5xx) and anything else release the key: nothing was applied, and the
    client may retry for real.
    """
    client = get_redis()
    key = keys.idempotency_key(user_id, client_key)
    pending = json.dumps({"state": "pending", "fp": fingerprint})
    waits = Backoff(seconds=WAIT_FOR_FIRST_SECONDS, first=0.05, cap=0.05)
    while not client.set(key, pending, nx=True, ex=PENDING_TTL_SECONDS):
        raw = client.get(key)
        if raw is None:
            continue  # expired between the two calls: try to reserve again
        record = json.loads(raw)
        if record["fp"] != fingerprint:
            raise IdempotencyKeyReused()
        if record["state"] == "done":
            return StoredResponse(status=record["status"], body=record["body"], replayed=True)
        if not waits.wait():
            raise IdempotencyKeyInFlight()

    def store(status: int, body: dict | None) -> None:
        record = {"state": "done", "fp": fingerprint, "status": status, "body": body}
        client.set(key, json.dumps(record, default=str), ex=settings.IDEMPOTENCY_TTL_SECONDS)

    try:
        status, body = compute()
    except ApiError as error:
        if error.replayable:
            store(error.status, error.as_body())
        else:
            client.delete(key)  # nothing was settled: a retry under the same key runs
        raise
    except BaseException:
        client.delete(key)
        raise
    store(status, body)
    return StoredResponse(status=status, body=body, replayed=False)
