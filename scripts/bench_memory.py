"""Redis memory figures of `make bench`: bytes per cart and its encoding, bytes per
persistence stream entry, and bytes of idempotency records per user, each next to what
the JSON format of the lines (format 1) took for the same data.

Imported by scripts/bench.py once Django is set up.
"""

import statistics
from dataclasses import dataclass

import orjson

from accounts.keys import token_digests_key
from cart.engine import keys
from cart.engine.codec import state_to_payload
from cart.engine.store import CartStore
from cart.persistence.write_behind import decode_entry
from core.redis_client import get_redis
from ops.keys import rate_limit_bucket_key

SCRATCH = "bench:memory-scratch:{0}"


def format_1_value(line) -> str:
    """A line's value as format 1 wrote it (the JSON codec before format 2)."""
    price = f',"p":"{line.price_at_add}","cu":"{line.currency}"' if line.price_at_add is not None else ""
    return (
        f'{{"q":{line.quantity},"c":{int(line.checked)},"s":"{line.status}","a":{line.added_at_ms},'
        f'"t":{line.updated_at_ms},"v":{line.version}{price}}}'
    )


@dataclass(frozen=True)
class CartMemory:
    lines: int
    carts: int
    bytes: float
    encoding: str
    format_1_bytes: float
    format_1_encoding: str


def cart_memory(carts_by_lines: dict[int, list[int]]) -> list[CartMemory]:
    """Median ``MEMORY USAGE`` of the given users' carts, and of the same carts rewritten
    in format 1 under a scratch key (measured, then deleted)."""
    redis = get_redis()
    rows = []
    for lines, user_ids in carts_by_lines.items():
        sizes, old_sizes, encodings, old_encodings = [], [], set(), set()
        for user_id in user_ids:
            key = keys.cart_key(user_id)
            raw = CartStore().read_many([user_id])[user_id]
            if raw is None or len(raw.lines) != lines:
                continue
            sizes.append(redis.memory_usage(key, samples=0))
            encodings.add(redis.object("encoding", key).decode())
            scratch = SCRATCH.format(user_id)
            redis.delete(scratch)
            redis.hset(scratch, mapping={"_v": raw.version, **{line.id: format_1_value(line) for line in raw.lines}})
            old_sizes.append(redis.memory_usage(scratch, samples=0))
            old_encodings.add(redis.object("encoding", scratch).decode())
            redis.delete(scratch)
        if sizes:
            rows.append(
                CartMemory(
                    lines,
                    len(sizes),
                    statistics.median(sizes),
                    "/".join(sorted(encodings)),
                    statistics.median(old_sizes),
                    "/".join(sorted(old_encodings)),
                )
            )
    return rows


@dataclass(frozen=True)
class StreamMemory:
    entries: int
    lines_per_entry: float
    bytes: float  # field names and values of an entry, as appended
    format_1_bytes: float


def stream_memory(sample: int = 2_000) -> StreamMemory | None:
    """Bytes per persistence stream entry (its fields and values), over the newest
    ``sample`` entries, and what format 1's JSON made of the same changes."""
    redis = get_redis()
    entries = []
    for stream in keys.log_keys():
        entries += redis.xrevrange(stream, count=sample)
        if len(entries) >= sample:
            break
    if not entries:
        return None
    sizes, old_sizes, lines = [], [], []
    for entry_id, fields in entries[:sample]:
        sizes.append(sum(len(name) + len(value) for name, value in fields.items()))
        message = decode_entry(entry_id, fields)
        old = {
            "u": str(message.user_id),
            "v": str(message.version),
            "ts": str(message.changed_at_ms),
            "l": orjson.dumps([state_to_payload(s) for s in message.lines]).decode(),
        }
        old_sizes.append(sum(len(name) + len(value) for name, value in old.items()))
        lines.append(len(message.lines))
    return StreamMemory(len(sizes), statistics.fmean(lines), statistics.fmean(sizes), statistics.fmean(old_sizes))


@dataclass(frozen=True)
class IdempotencyMemory:
    users: int
    records_max: int
    bytes_median: float
    bytes_max: int
    encoding: str


def idempotency_memory(user_ids: list[int]) -> IdempotencyMemory | None:
    """``MEMORY USAGE`` of the users' idempotency records and how many each holds."""
    redis = get_redis()
    sizes, records, encodings = [], [], set()
    for user_id in user_ids:
        key = keys.idempotency_records_key(user_id)
        size = redis.memory_usage(key, samples=0)
        if size is None:
            continue
        sizes.append(size)
        records.append(sum(1 for field in redis.hkeys(key) if not field.startswith((b"#", b"_"))))
        encodings.add(redis.object("encoding", key).decode())
    if not sizes:
        return None
    return IdempotencyMemory(
        len(sizes), max(records), statistics.median(sizes), max(sizes), "/".join(sorted(encodings))
    )


def other_per_user_memory(user_ids: list[int]) -> dict[str, float]:
    """Median bytes of a shopper's other keys: token digests and rate-limit buckets."""
    redis = get_redis()
    shapes = {
        "token digests (`auth:{<user_id>}`)": token_digests_key,
        "rate-limit bucket, one class (`rl:{<user_id>}:core_write`)": lambda u: rate_limit_bucket_key(
            "core_write", str(u)
        ),
    }
    figures = {}
    for label, key_of in shapes.items():
        sizes = [size for u in user_ids if (size := redis.memory_usage(key_of(u), samples=0)) is not None]
        if sizes:
            figures[label] = statistics.median(sizes)
    return figures


def memory_section(
    carts: list[CartMemory],
    stream: StreamMemory | None,
    idem: IdempotencyMemory | None,
    others: dict[str, float],
) -> str:
    rows = "\n".join(
        f"| {c.lines} | {c.bytes:,.0f} | {c.encoding} | {c.format_1_bytes:,.0f} | {c.format_1_encoding} "
        f"| {c.bytes / c.format_1_bytes:.2f} |"
        for c in carts
    )
    targets = {20: 1_500, 120: 8_000}
    verdicts = "; ".join(
        f"{c.lines} lines: {c.bytes:,.0f} ≤ {targets[c.lines]:,} {'met' if c.bytes <= targets[c.lines] else 'NOT met'}"
        for c in carts
        if c.lines in targets
    )
    stream_line = (
        f"{stream.bytes:,.0f} bytes of fields and values per entry ({stream.lines_per_entry:.1f} lines an entry, "
        f"newest {stream.entries:,} entries); the same changes in format 1: {stream.format_1_bytes:,.0f} bytes "
        f"({stream.bytes / stream.format_1_bytes:.2f} of it)."
        if stream
        else "no entries to measure."
    )
    idem_line = (
        f"{idem.users} users who sent an `Idempotency-Key` with every add: at most {idem.records_max} records "
        f"a user, {idem.bytes_median:,.0f} bytes a user (median; most {idem.bytes_max:,}), {idem.encoding}. "
        "The cap holds whatever the request rate: 32 records a user, about 60 bytes each."
        if idem
        else "no keyed requests were made."
    )
    others_line = "; ".join(f"{label} {size:,.0f}" for label, size in others.items()) or "none found"
    return f"""## Redis memory

Bytes per cart (`MEMORY USAGE`, median over the bench's carts; each cart rewritten in
format 1, the JSON lines of before, under a scratch key for comparison). Targets: {verdicts}.

| lines | bytes | encoding | format 1 bytes | format 1 encoding | ratio |
|---:|---:|---|---:|---|---:|
{rows}

Persistence stream: {stream_line}

Idempotency records: {idem_line}

Other keys of an active shopper (median bytes): {others_line}."""
