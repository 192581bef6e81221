"""Idempotency-Key (API.md, "Conditional and repeatable writes"): a retry with the same
key and body gets the first answer again, for each of the user's last 32 keyed requests
of the last 24 hours.

The records of one user are one hash, ``idem:{<user_id>}``, in the user's hash slot: an
add checks and records its key in its own script, in the same call as the change
(``lua/_mutation.lua``); requests that are not one script reserve the key first and
settle it after (``run_once``, two calls). Memory is bounded by shoppers, not by
request rate: at most 32 records per user, each a few dozen bytes.

====================  ==================================================================
field                 value
====================  ==================================================================
``<kid>``             ``<slot>,<t>,<fp>,<payload>``: ``kid`` is 16 hex characters of
                      the SHA-256 of the client's key; ``t`` seconds since the line
                      epoch; ``fp`` 8 hex characters of the request's fingerprint
                      (method, path, body); ``payload`` what the reply is rebuilt from,
                      or ``p`` while the first request runs (forgotten after 30 s, so a
                      crashed request frees its key)
``#<slot>``           the ``kid`` in ring slot 0-31, evicted when the slot comes round
``_n``                keyed requests so far: the next slot is ``_n`` mod 32
====================  ==================================================================

Payloads, by their first character, are the least the reply can be rebuilt from
(``cart.api.replays``; an add's line in ``cart.services``):

- ``L<line>`` / ``K<line>``: an add's 200, the line in format 2 (``K``: capped);
- ``E<code>``: an error whose class says everything (status, detail);
- ``C<cart>``: a whole-cart 200, ``<version>;<field>,<value>;...`` in format 2;
- ``M<report>\n<cart>``: a merge's 200, its report as JSON and the cart;
- ``J<status>,<json>``: any other reply as sent (links, orders, errors with details).

An add's record is about 60 bytes, so a user's records stay a listpack.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import orjson
import redis

from cart.engine import keys
from cart.engine.locks import Backoff
from core.errors import ApiError, IdempotencyKeyInFlight, IdempotencyKeyReused, RecordedError, error_class
from core.redis_client import get_redis

MAX_KEY_LENGTH = 255
KEEP = 32  # as in lua/_idempotency.lua
WAIT_FOR_FIRST_SECONDS = 5.0

# Payload kinds (the first character).
LINE, CAPPED_LINE, ERROR, JSON, CART, MERGE = "L", "K", "E", "J", "C", "M"


@dataclass(frozen=True, slots=True)
class KeyedRequest:
    """A request's Idempotency-Key and fingerprint, as the scripts compare them."""

    kid: str
    fingerprint: str

    @classmethod
    def of(cls, *, client_key: str, fingerprint: str) -> "KeyedRequest":
        return cls(kid=hashlib.sha256(client_key.encode()).hexdigest()[:16], fingerprint=fingerprint[:8])

    @property
    def script_arg(self) -> str:
        return f"{self.kid} {self.fingerprint}"


@dataclass(frozen=True, slots=True)
class StoredReply:
    """A reply recorded under a key: its status and the payload to rebuild it from."""

    status: int
    kind: str
    data: str

    @classmethod
    def parse(cls, payload: str) -> "StoredReply":
        kind, data = payload[:1], payload[1:]
        if kind == JSON:
            status, _, data = data.partition(",")
            return cls(status=int(status), kind=kind, data=data)
        if kind == ERROR:
            error = error_class(data)
            return cls(status=error.status if error is not None else 400, kind=kind, data=data)
        return cls(status=200, kind=kind, data=data)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What ``run_once`` answers: a reply computed now (``body``) or one recorded before."""

    status: int
    body: dict | None
    stored: StoredReply | None = None

    @property
    def replayed(self) -> bool:
        return self.stored is not None


def request_fingerprint(*, method: str, path: str, data) -> str:
    canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


def raise_refusal(found: dict) -> None:
    """Raise what a script's ``{"err": ...}`` about a key means."""
    if found.get("err") == "idempotency_key_reused":
        raise IdempotencyKeyReused()
    if found.get("err") == "request_in_progress":
        raise IdempotencyKeyInFlight()


def json_payload(status: int, body: dict | None) -> str:
    return f"{JSON}{status}," + ("" if body is None else orjson.dumps(body).decode())


def error_payload(error: ApiError) -> str:
    """An error is rebuilt from its class; only what is not the class's own goes along."""
    if not error.extra and error.detail == type(error).detail and error_class(error.code) is type(error):
        return ERROR + error.code
    return json_payload(error.status, error.as_body())


def recorded_error(stored: StoredReply) -> ApiError:
    """The error a stored reply records, marked as given again."""
    kind = error_class(stored.data) if stored.kind == ERROR else None
    error = kind() if kind is not None else RecordedError(stored.status, orjson.loads(stored.data))
    error.replayed = True
    return error


@cache
def _scripts(client: redis.Redis) -> dict:
    from cart.engine.store import idempotency_lua  # the same preludes as the cart's scripts

    return {name: client.register_script(idempotency_lua(name)) for name in ("idem_begin", "idem_settle")}


def run_once(
    *,
    user_id: int,
    client_key: str,
    fingerprint: str,
    compute: Callable[[], tuple],
) -> Outcome:
    """Run ``compute`` once per (user, key); later, answer what it answered.

    ``compute`` returns ``(status, body)`` or ``(status, 200 body, payload)`` with a
    compact payload to record instead of the body (``cart.api.replays``). Domain errors (4xx)
    are recorded and replayed like successes, so a retry sees what the first attempt
    saw; errors that are not ``replayable`` (a 412, a checkout kept waiting, a 5xx) and
    anything else forget the key: nothing was applied, and the client may retry for real.
    """
    client = get_redis()
    scripts = _scripts(client)
    keyed = KeyedRequest.of(client_key=client_key, fingerprint=fingerprint)
    script_keys = [keys.idempotency_records_key(user_id)]
    args = ["", keyed.kid, keyed.fingerprint]  # "": no gate, the request passed it already
    waits = Backoff(seconds=WAIT_FOR_FIRST_SECONDS, first=0.05, cap=0.05)
    while True:
        found = orjson.loads(scripts["idem_begin"](keys=script_keys, args=args))
        if "replay" in found:
            stored = StoredReply.parse(found["replay"])
            return Outcome(status=stored.status, body=None, stored=stored)
        if found.get("err") != "request_in_progress":
            raise_refusal(found)
            break
        if not waits.wait():
            raise IdempotencyKeyInFlight()

    def settle(payload: str) -> None:
        scripts["idem_settle"](keys=script_keys, args=[*args, payload])

    try:
        status, body, *payload = compute()
    except ApiError as error:
        settle(error_payload(error) if error.replayable else "")
        raise
    except BaseException:
        settle("")
        raise
    settle(payload[0] if payload else json_payload(status, body))
    return Outcome(status=status, body=body)
