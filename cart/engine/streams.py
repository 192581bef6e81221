"""Reading the cart's streams (persistence, line checks) through consumer groups.

On one Redis server each kind is a single stream, which a consumer can block on. On a
Redis Cluster there is one per hash slot (``cart.engine.keys``), 16384 in all, and no command
may block on several: a consumer polls them instead, one script call per stream and one
round trip per master (``core.redis_batch``). ``StreamPoller`` bounds the work per pass:
streams that just had entries are read on every pass, the idle ones in a rotating
window, so a quiet slot waits at most one rotation and a busy one never waits.
"""

import os
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import redis

from core.redis_batch import scripts_pipelined
from core.redis_client import AnyRedis, get_redis

_SCRIPT = (Path(__file__).with_name("lua") / "stream_read.lua").read_text()
_PRUNE = (Path(__file__).with_name("lua") / "consumers_prune.lua").read_text()


def consumer_name() -> str:
    """This process's name in a consumer group: unique per host and process."""
    return f"{socket.gethostname()}-{os.getpid()}"


def ensure_group(client: AnyRedis, stream: str, group: str) -> None:
    try:
        # From id 0, not "$": messages written before the group existed must not be skipped.
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


@cache
def _script(client):
    return client.register_script(_SCRIPT)


@cache
def _prune_script(client):
    return client.register_script(_PRUNE)


@dataclass(frozen=True, slots=True)
class StreamBatch:
    stream: str
    pending: int  # delivered earlier and not acknowledged
    entries: list[tuple[bytes, dict[bytes, bytes]]]  # claimed back, then new


def _entries(raw: list) -> list[tuple[bytes, dict[bytes, bytes]]]:
    return [(entry_id, dict(zip(flat[::2], flat[1::2], strict=True))) for entry_id, flat in raw if flat]


def streams_read(
    streams: list[str], *, group: str, consumer: str, count: int, claim_idle_ms: int = 0, client=None
) -> list[StreamBatch]:
    """Read up to ``count`` entries from each stream in one pipeline; empty streams are left out."""
    client = client or get_redis()
    args = [group, consumer, count, claim_idle_ms]
    replies = scripts_pipelined(client, _script(client), [([stream], args) for stream in streams])
    batches = []
    for stream, (pending, claimed, new) in zip(streams, replies, strict=True):
        entries = _entries(claimed) + _entries(new)
        if pending or entries:
            batches.append(StreamBatch(stream=stream, pending=int(pending), entries=entries))
    return batches


def ack(client: AnyRedis, group: str, done: dict[str, list]) -> None:
    """Acknowledge and delete handled entries, one pipeline for every stream: a stream
    holds only what is not handled yet."""
    pipe = client.pipeline(transaction=False)
    for stream, ids in done.items():
        if ids:
            pipe.xack(stream, group, *ids)
            pipe.xdel(stream, *ids)
    pipe.execute()


class StreamPoller:
    """Chooses the streams a consumer reads on each pass (see the module docstring)."""

    def __init__(self, streams: list[str], *, window: int, keep_active: int = 20):
        self.streams = streams
        self.window = window
        self.keep_active = keep_active  # passes a stream stays "active" after its last entry
        self.cursor = 0
        self.active: dict[str, int] = {}

    def next_pass(self) -> list[str]:
        if len(self.streams) <= self.window:
            return self.streams
        chunk = self.streams[self.cursor : self.cursor + self.window]
        self.cursor = (self.cursor + self.window) % len(self.streams)
        return list(dict.fromkeys([*self.active, *chunk]))

    def saw(self, busy: set[str]) -> None:
        """Record which streams had entries on the last pass."""
        for stream in list(self.active):
            self.active[stream] -= 1
            if self.active[stream] <= 0:
                del self.active[stream]
        for stream in busy:
            self.active[stream] = self.keep_active


def consumers_prune(streams: list[str], *, group: str, idle_ms: int, client=None) -> int:
    """Remove the consumers of ``group`` that hold no pending entry and have been idle
    longer than ``idle_ms``, on every stream in one round trip per server; return how
    many. Each worker process reads under a name of its own (host and pid), so every
    restart leaves one behind; one that still holds entries stays until another
    consumer has claimed them."""
    client = client or get_redis()
    calls = [([stream], [group, idle_ms]) for stream in streams]
    return sum(int(n) for n in scripts_pipelined(client, _prune_script(client), calls))
