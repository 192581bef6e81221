"""The cart hashes and the scripts that change them: every read and write of a cart's
lines on the request path goes through ``CartStore``. (Background work reads the
streams through ``streams``, and reconciliation, prewarm and the hot-cart listener
use the engine's keys and scripts directly, in batches of their own.)

One hash per cart (``cart:{<user_id>}``): field ``"<item_id>:<sku_id>"`` → the line's
positional value (``codec.line_to_redis``), field ``_v`` → the cart version. Beside it,
in the same slot, the saved-for-later lines (``saved:{<user_id>}``, same fields and
values), which share the cart's version, TTL and loading. Every mutation is one
Lua script run by SHA (redis-py's ``Script`` falls back to EVAL once after a restart
wiped the script cache).

A store made for a request carries the request's ``Gate`` (``ops.gate``): its first
script checks the caller's token and rate limit in the same call as the read or the
change, so a warm cart request is one round trip. Without a gate (pages, background
work) the scripts skip that part.
"""

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import redis
from django.conf import settings

from cart.engine import keys
from cart.engine.codec import line_from_redis, line_to_redis, lua_tables
from cart.engine.idempotency import KeyedRequest
from cart.engine.lines import SAVED_PREFIX, CartLine, sku_id_of
from core.redis_batch import scripts_pipelined
from core.redis_client import get_redis
from ops.gate import PRELUDE as GATE_PRELUDE
from ops.gate import Gate

SCRIPTS_DIR = Path(__file__).with_name("lua")
MUTATIONS = (
    "add",
    "patch",
    "remove",
    "select",
    "merge",
    "set_status",
    "remove_lines",
    "save_for_later",
    "move_to_cart",
    "saved_remove",
    "restore",
)

# Script calls per pipeline in ``mutate_many``: bounds the replies a round trip buffers.
MANY_CHUNK = 500
# A script's first argument is the gate's part; an empty one means no request to gate.
NO_GATE = ""


class NotLoaded(Exception):
    """The cart is not in Redis; load it from its shard and try again."""


class RawCart:
    """A cart's version and lines as Redis holds them.

    Read from Redis, the lines stay undecoded until something asks for them: a read
    answered from the rendered-body cache (``cart.api.render_cache``) needs only the
    version and the SKU ids, which the field names carry, and decoding 120 lines' JSON
    cost about 0.7 ms, more than the rest of such a read.
    """

    __slots__ = ("_fields", "_lines", "version")

    def __init__(self, version: int, lines: list[CartLine] | None = None, *, fields=None):
        self.version = version
        self._fields = fields  # [(field, value)] from HGETALL, decoded on first use
        self._lines = None if fields is not None else (lines or [])

    @property
    def lines(self) -> list[CartLine]:
        if self._lines is None:
            self._lines = [line_from_redis(field, value) for field, value in self._fields]
        return self._lines

    @property
    def line_count(self) -> int:
        return len(self._lines) if self._lines is not None else len(self._fields)

    @property
    def sku_ids(self) -> list[int]:
        if self._lines is not None:
            return [line.sku_id for line in self._lines]
        return [sku_id_of(field) for field, _ in self._fields]

    def __eq__(self, other) -> bool:
        return isinstance(other, RawCart) and (self.version, self.lines) == (other.version, other.lines)

    def __repr__(self) -> str:
        return f"RawCart(version={self.version}, lines={self.lines!r})"


def _pairs(flat_or_dict):
    """(field, value) of a hash as redis-py gives it (a dict) or as a script does (flat)."""
    if isinstance(flat_or_dict, dict):
        return flat_or_dict.items()
    return zip(flat_or_dict[::2], flat_or_dict[1::2], strict=True)


def _saved_lines(flat_or_dict) -> list[CartLine]:
    return [line_from_redis(field, value) for field, value in _pairs(flat_or_dict)]


def fill_keys(user_id: int) -> list[str]:
    """KEYS of ``fill.lua``: the cart, the check stream, the saved lines."""
    return [keys.cart_key(user_id), keys.check_key(user_id), keys.saved_key(user_id)]


def _decode_hash(flat_or_dict) -> RawCart | None:
    version = None
    fields = []
    for field, value in _pairs(flat_or_dict):
        if field in (b"_v", "_v"):
            version = int(value)
        else:
            fields.append((field, value))
    if version is None:
        return None
    return RawCart(version=version, fields=fields)


def idempotency_lua(name: str = "") -> str:
    """The idempotency records' functions (and script ``name`` after them)."""
    script = (SCRIPTS_DIR / f"{name}.lua").read_text() if name else ""
    return GATE_PRELUDE + lua_tables() + (SCRIPTS_DIR / "_idempotency.lua").read_text() + script


@cache
def _scripts(client: redis.Redis) -> dict[str, "redis.commands.core.Script"]:
    prelude = (
        idempotency_lua() + (SCRIPTS_DIR / "_line_codec.lua").read_text() + (SCRIPTS_DIR / "_mutation.lua").read_text()
    )
    scripts = {name: client.register_script(prelude + (SCRIPTS_DIR / f"{name}.lua").read_text()) for name in MUTATIONS}
    for name in ("read", "read_saved"):
        scripts[name] = client.register_script(GATE_PRELUDE + (SCRIPTS_DIR / f"{name}.lua").read_text())
    for name in ("fill", "unlock", "read_with_saved"):
        scripts[name] = client.register_script((SCRIPTS_DIR / f"{name}.lua").read_text())
    # Load them now, once per process, so requests never pay the NOSCRIPT round trips.
    # After a Redis restart flushed them, Script reloads on the first NOSCRIPT by itself.
    # (On a cluster, SCRIPT LOAD goes to every master; it cannot be pipelined there.)
    for script in scripts.values():
        client.script_load(script.script)
    return scripts


class CartStore:
    """Reads and scripted writes of carts in Redis. No business rules live here."""

    def __init__(self, client: redis.Redis | None = None, *, gate: Gate | None = None):
        self.client = client or get_redis()
        self.scripts = _scripts(self.client)
        self.gate = gate

    @property
    def gated(self) -> bool:
        """Whether the next script still has the request's gate to pass."""
        return self.gate is not None and self.gate.open

    def _gated_call(self, name: str, script_keys: list[str], args: list, *, json_of) -> tuple[Any, dict | None]:
        """Run script ``name`` with the gate's part, if any; repeat it once the token was
        checked the slow way. Returns the script's answer and its JSON part, decoded once
        (``json_of`` picks that part, or None for an answer without one). Raises the
        gate's refusals (401, 429)."""
        while True:
            gate = self.gate
            gate_keys, spec = gate.script_parts() if gate is not None else ([], NO_GATE)
            raw = self.scripts[name](keys=[*script_keys, *gate_keys], args=[spec, *args])
            encoded = json_of(raw)
            reply = None if encoded is None else orjson.loads(encoded)
            if gate is None or not spec:
                return raw, reply
            not_loaded = raw == [] or (reply is not None and reply.get("err") == "not_loaded")
            if gate.answered(reply or {}, took_bucket=not not_loaded):
                continue
            return raw, reply

    @property
    def ttl_ms(self) -> int:
        return settings.CART_TTL_SECONDS * 1000

    # --- reads ----------------------------------------------------------------------

    def read(self, user_id: int, *, held: RawCart | None = None) -> RawCart | None:
        """Return the cart, or None when it is not loaded. One round trip (read + TTL refresh,
        after the request's gate when it has one). With the gate, a cart still at the
        version of ``held`` comes back as ``held``, its lines not sent again."""
        key, saved = keys.cart_key(user_id), keys.saved_key(user_id)
        if self.gated:
            known = "" if held is None else str(held.version)
            raw, same = self._gated_call(
                "read", [key, saved], [self.ttl_ms, known], json_of=lambda raw: raw if isinstance(raw, bytes) else None
            )
            if same is not None:  # {"same": 1}: the gate's refusals were raised already
                return held
            return _decode_hash(raw)
        pipe = self.client.pipeline(transaction=False)
        pipe.hgetall(key)
        pipe.pexpire(key, self.ttl_ms)
        pipe.pexpire(saved, self.ttl_ms)
        flat, *_ = pipe.execute()
        return _decode_hash(flat)

    def read_saved(self, user_id: int) -> RawCart | None:
        """Return the saved-for-later lines with the cart's version, or None when the cart
        is not loaded. One round trip (after the request's gate when it has one)."""
        raw, _ = self._gated_call(
            "read_saved",
            [keys.cart_key(user_id), keys.saved_key(user_id)],
            [self.ttl_ms],
            json_of=lambda raw: raw if isinstance(raw, bytes) else None,
        )
        return _decode_hash(raw)

    def read_many(self, user_ids: list[int]) -> dict[int, RawCart | None]:
        """Return several carts in one round trip, without refreshing their TTL."""
        pipe = self.client.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.hgetall(keys.cart_key(user_id))
        return {user_id: _decode_hash(flat) for user_id, flat in zip(user_ids, pipe.execute(), strict=True)}

    def read_many_with_saved(self, user_ids: list[int]) -> dict[int, tuple[RawCart, list[CartLine]] | None]:
        """Return several carts, each with its saved lines as of the same moment (None:
        not loaded), in one round trip per node, without refreshing their TTL."""
        calls: list[tuple[list[str], list]] = [([keys.cart_key(u), keys.saved_key(u)], []) for u in user_ids]
        found: dict[int, tuple[RawCart, list[CartLine]] | None] = {}
        for user_id, (cart_flat, saved_flat) in zip(
            user_ids, scripts_pipelined(self.client, self.scripts["read_with_saved"], calls), strict=True
        ):
            cart = _decode_hash(cart_flat)
            found[user_id] = None if cart is None else (cart, _saved_lines(saved_flat))
        return found

    def is_loaded(self, user_id: int) -> bool:
        return bool(self.client.hexists(keys.cart_key(user_id), "_v"))

    # --- loading --------------------------------------------------------------------

    def fill(self, user_id: int, *, version: int, lines: list[CartLine], saved: Sequence[CartLine] = ()) -> int:
        """Load a cart and its saved lines read from MySQL unless the cart is already
        there; return its version or 0."""
        args: list = [version, self.ttl_ms, user_id]
        for line in lines:
            args += [line.id, line_to_redis(line)]
        for line in saved:
            args += [SAVED_PREFIX + line.id, line_to_redis(line)]
        return int(self.scripts["fill"](keys=fill_keys(user_id), args=args))

    # --- mutations ------------------------------------------------------------------

    def mutate(
        self,
        name: str,
        *,
        user_id: int,
        expected_version: int | None,
        args: list,
        keyed: KeyedRequest | None = None,
    ) -> tuple[dict, RawCart | None]:
        """Run mutation script ``name``; return its JSON reply and, for scripts that send it, the whole cart.

        Raises ``NotLoaded`` when the cart is not in Redis. Other refusals (``cart_full``,
        ``version_mismatch`` …) come back as ``{"err": code}`` for the service to raise;
        a ``keyed`` request seen before as ``{"replay": ...}``.
        """
        raw, reply = self._gated_call(
            name,
            keys.mutation_keys(user_id),
            self._mutation_args(user_id, expected_version, keyed, args),
            json_of=lambda raw: raw[0] if isinstance(raw, list) else raw,  # some send the cart after it
        )
        cart = _decode_hash(raw[1:]) if isinstance(raw, list) else None
        assert reply is not None  # every mutation script answers JSON
        if reply.get("err") == "not_loaded":
            raise NotLoaded(user_id)
        return reply, cart

    def _mutation_args(
        self, user_id: int, expected_version: int | None, keyed: KeyedRequest | None, args: list
    ) -> list:
        """What every mutation script reads after the gate's part: the user, the version
        the caller expects (empty: any), the TTL, the idempotency record's part, then the
        script's own arguments."""
        expected = "" if expected_version is None else str(expected_version)
        return [user_id, expected, self.ttl_ms, "" if keyed is None else keyed.script_arg, *args]

    def mutate_many(self, name: str, calls: list[tuple[int, list]]) -> list[dict]:
        """Run mutation script ``name`` once per ``(user_id, args)``, without a gate, in
        one round trip per Redis node (per ``MANY_CHUNK`` calls): for background work
        that changes many carts at once. Returns each call's JSON reply, in order; a cart
        not in Redis answers ``{"err": "not_loaded"}``."""
        replies: list[dict] = []
        for start in range(0, len(calls), MANY_CHUNK):
            script_calls = [
                (keys.mutation_keys(user_id), [NO_GATE, *self._mutation_args(user_id, None, None, args)])
                for user_id, args in calls[start : start + MANY_CHUNK]
            ]
            for raw in scripts_pipelined(self.client, self.scripts[name], script_calls):
                replies.append(orjson.loads(raw[0] if isinstance(raw, list) else raw))
        return replies

    # --- locks ----------------------------------------------------------------------

    def try_lock(self, key: str, token: str, ttl_ms: int) -> bool:
        return bool(self.client.set(key, token, nx=True, px=ttl_ms))

    def unlock(self, key: str, token: str) -> bool:
        return bool(self.scripts["unlock"](keys=[key], args=[token]))
