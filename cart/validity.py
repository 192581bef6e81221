"""The asynchronous truth of cart lines: is the SKU still sold, in stock, at what price.

Adding a line never queries the catalog's database: it takes the status and price the
SKU caches already hold (``unknown`` when they hold nothing), and the add script queues
the new line on the check stream in the same atomic call. The consumer here (run by the
worker's consumer thread) checks a whole batch against MySQL with three queries and
records each line's status and price at add with one script call per cart, all of the
batch's calls in one round trip; a check that finds a line as it already is changes
nothing, not even the cart's version. The SKU caches are corrected (and the web
processes told) only where they held something else, so confirming what they hold costs
the request path nothing. A product
deactivated later reaches the carts that hold it through ``lines_recheck_for_skus``,
which finds them with the ``sku_id`` index of each shard (the reverse index; see
docs/async-flows.md).
"""

import logging
from collections import defaultdict

from cart.engine import keys, streams
from cart.engine.lines import SAVED_PREFIX, split_line_id
from cart.engine.status import line_status
from cart.engine.streams import consumer_name, ensure_group
from cart.models import CartItem, LineStatus, SavedItem
from cart.services import LineCheck, carts_record_checks
from catalog.cache import SkuInfo, sku_info_refresh, sku_info_verify
from core.redis_client import AnyRedis, get_redis
from core.sharding import SHARD_ALIASES

logger = logging.getLogger(__name__)

GROUP = "check"
# A check claimed by a consumer that died is taken over after this long.
CLAIM_IDLE_MS = 30_000


# A line to check: (item_id, sku_id, saved), saved for a saved-for-later line.
Line = tuple[int, int, bool]


def _record(lines_by_user: dict[int, list[Line]], infos: dict[int, SkuInfo]) -> tuple[int, list[int]]:
    """Record checks per cart (its lines and saved lines), all carts in one round trip;
    return (lines changed, users whose cart is not in Redis)."""
    checks = {
        user_id: [
            LineCheck.of(item_id=item_id, sku_id=sku_id, info=infos.get(sku_id), saved=saved)
            for item_id, sku_id, saved in lines
        ]
        for user_id, lines in lines_by_user.items()
    }
    return carts_record_checks(checks)


def _read(client, stream_keys: list[str], consumer: str, count: int, block_ms: int | None) -> list[tuple[str, list]]:
    if len(stream_keys) == 1:
        (stream,) = stream_keys
        ensure_group(client, stream, GROUP)
        # Redis 6.2 answers [next, entries], 7.0 adds the deleted ids: take the entries.
        claimed = client.xautoclaim(stream, GROUP, consumer, min_idle_time=CLAIM_IDLE_MS, count=count)[1]
        response = client.xreadgroup(GROUP, consumer, {stream: ">"}, count=count, block=block_ms)
        return [(stream, [*claimed, *(entry for _, batch in response or [] for entry in batch)])]
    batches = streams.streams_read(
        stream_keys, group=GROUP, consumer=consumer, count=count, claim_idle_ms=CLAIM_IDLE_MS, client=client
    )
    return [(b.stream, b.entries) for b in batches]


def line_checks_drain(
    *,
    consumer: str | None = None,
    count: int = 500,
    block_ms: int | None = None,
    client: AnyRedis | None = None,
    stream_keys: list[str] | None = None,
) -> int:
    """Check one batch of queued lines per stream, all streams together; return how many
    lines changed. Idempotent."""
    client = client or get_redis()
    consumer = consumer or consumer_name()
    stream_keys = keys.check_keys() if stream_keys is None else stream_keys
    batches = _read(client, stream_keys, consumer, count, block_ms)
    lines_by_user: dict[int, list[Line]] = defaultdict(list)
    done: dict[str, list] = defaultdict(list)
    for stream, entries in batches:
        for entry_id, fields in entries:
            done[stream].append(entry_id)
            if not fields:  # deleted while pending
                continue
            user_id = int(fields[b"u"])
            for field in fields[b"f"].decode().split(","):
                saved = field.startswith(SAVED_PREFIX)
                lines_by_user[user_id].append((*split_line_id(field.removeprefix(SAVED_PREFIX)), saved))
    if not done:
        return 0
    changed = 0
    if lines_by_user:
        infos = sku_info_verify({sku for lines in lines_by_user.values() for _, sku, _ in lines})
        changed, _ = _record(lines_by_user, infos)  # a cold cart re-queues its unchecked lines on load
    streams.ack(client, GROUP, done)
    return changed


def lines_recheck_for_skus(*, sku_ids: list[int]) -> int:
    """Re-check every cart line and saved line holding these SKUs (after a product was
    deactivated, reactivated or its stock crossed zero). One query per table and shard
    finds them through the ``(sku_id)`` indexes; loaded carts are updated in Redis (and persisted like
    any change), carts not in Redis directly in their shard. Idempotent."""
    infos = sku_info_refresh(sku_ids)
    changed = 0
    for alias in SHARD_ALIASES:
        lines_by_user: dict[int, list[Line]] = defaultdict(list)
        for model in (CartItem, SavedItem):
            rows = model.objects.using(alias).filter(sku_id__in=sku_ids, deleted=False)
            for user_id, item_id, sku_id in rows.values_list("user_id", "item_id", "sku_id"):
                lines_by_user[user_id].append((item_id, sku_id, model is SavedItem))
        batch_changed, cold = _record(lines_by_user, infos)
        changed += batch_changed
        for sku_id in sku_ids:
            info = infos.get(sku_id)
            owner = info.item_id if info is not None else None
            status = line_status(info, item_id=owner) if owner is not None else LineStatus.UNAVAILABLE
            for model in (CartItem, SavedItem):
                cold_rows = model.objects.using(alias).filter(user_id__in=cold, sku_id=sku_id, deleted=False)
                changed += cold_rows.filter(item_id=owner).exclude(status=status).update(status=status)
                # Rows that pair the SKU with another item (or with none) are never sellable.
                changed += (
                    cold_rows.exclude(item_id=owner)
                    .exclude(status=LineStatus.UNAVAILABLE)
                    .update(status=LineStatus.UNAVAILABLE)
                )
    return changed
