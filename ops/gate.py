"""The gate a request passes in the same Redis call as its work: its API token checked,
one token taken from the caller's own rate-limit bucket.

A cart request used to cost two round trips before it did anything: the token's cache
entry, then the rate-limit script, then the cart script. A token now names its user
(``accounts.tokens``), so the user's token digests, the user's buckets and the user's
cart share one hash slot, and the cart script starts with the gate (``_gate.lua``
prepended to it): one call on a single server and on a Cluster alike.

A ``Gate`` travels with the request. It starts ``PENDING`` when the token is still to be
checked, or ``KNOWN`` when the caller is known (a session, a token checked the older
way) and only the bucket is left; it is ``PASSED`` once a script took both. A script
that did not take the bucket (a cart not loaded yet) leaves it ``KNOWN``, so the repeat
does not check the token twice. Whatever a request ends up doing, the gate passes
before its answer leaves: on its script, or on its own (``gate_pass``).
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import orjson
from rest_framework import exceptions

from core.redis_client import get_redis
from ops import global_budget, metrics

SCRIPTS_DIR = Path(__file__).with_name("redis_scripts")
PRELUDE = (SCRIPTS_DIR / "_gate.lua").read_text()
REFUSALS = frozenset({"auth_unknown", "auth_revoked", "throttled"})


class GateState(enum.Enum):
    PENDING = "pending"  # token and bucket to go
    KNOWN = "known"  # the caller is known: the bucket to go
    PASSED = "passed"  # or refused: either way, decided for this request


@dataclass(frozen=True, slots=True)
class Bucket:
    endpoint_class: str
    key: str
    rate: float
    burst: int


@dataclass(eq=False, slots=True)
class Gate:
    user_id: int | None
    state: GateState
    tokens_key: str | None = None  # the user's token digests (PENDING only)
    digest: str | None = None
    bucket: Bucket | None = None
    # The cold path for a token the cache does not hold: check it where tokens are kept
    # for good and cache it, or raise AuthenticationFailed. Set by the authenticator.
    verify: Callable[["Gate"], None] | None = None
    # Milliseconds to wait, when a script refused for the bucket.
    refused_ms: int = field(default=0)

    @property
    def open(self) -> bool:
        """Whether a script still has something to check for this request."""
        return self.state is not GateState.PASSED and (self.state is GateState.PENDING or self.bucket is not None)

    def script_parts(self) -> tuple[list[str], str]:
        """The KEYS to append and the ARGV[1] to put first for the next script call."""
        if not self.open:
            return [], ""
        keys: list[str] = []
        digest = "-"
        if self.state is GateState.PENDING:
            keys.append(self.tokens_key or "")
            digest = self.digest or ""
        if self.bucket is None:
            return [*keys, keys[0]], f"{digest} - -"
        keys.append(self.bucket.key)
        return keys, f"{digest} {self.bucket.rate!r} {self.bucket.burst}"

    def answered(self, reply: dict, *, took_bucket: bool) -> bool:
        """Take in a script's reply. Returns True when the call must be made again (the
        token was just checked the slow way); raises when the gate refuses."""
        error = reply.get("err")
        if error in REFUSALS:
            return self._refused(error, reply)
        if self.state is GateState.PENDING:
            self.state = GateState.KNOWN
        if took_bucket:
            if self.bucket is not None:
                self._count("allowed")
            self.state = GateState.PASSED
        return False

    def _refused(self, error: str, reply: dict) -> bool:
        if error == "auth_unknown" and self.verify is not None:
            self.verify(self)  # raises when the token is not good
            self.state = GateState.KNOWN
            return True
        self.state = GateState.PASSED  # decided: a refusal is not asked again in this request
        if error == "throttled":
            self.refused_ms = int(reply["wait_ms"])
            self._count("rejected")
            raise exceptions.Throttled(max(1, -(-self.refused_ms // 1000)))
        raise exceptions.AuthenticationFailed("Invalid token.")

    def _count(self, result: str) -> None:
        if self.bucket is not None:
            metrics.RATE_LIMIT_DECISIONS.labels(self.bucket.endpoint_class, result).inc()
            global_budget.count(result)  # for the load monitor, with this process's next lease


@cache
def _gate_script(client):
    return client.register_script(PRELUDE + (SCRIPTS_DIR / "gate.lua").read_text())


def gate_pass(gate: Gate, client=None) -> None:
    """Pass the gate on its own: one call (two or more only on the cold path). Raises
    ``AuthenticationFailed`` or ``Throttled``."""
    script = _gate_script(client or get_redis())
    while gate.open:
        gate_keys, spec = gate.script_parts()
        reply = orjson.loads(script(keys=gate_keys, args=[spec]))
        if not gate.answered(reply, took_bucket=True):
            return
