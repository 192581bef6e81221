"""Catalog tasks: consume change events, sync stock hints, apply promotions that start or
end on schedule. Each is safe to run twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from catalog.cache import sku_info_refresh, stock_hints_store
from catalog.keys import stock_watermark_key
from catalog.models import Stock
from core.redis_client import get_redis
from pricing.keys import promotions_watermark_key
from pricing.models import Promotion

logger = logging.getLogger(__name__)

CHUNK = 1000


@shared_task(
    name="catalog.refresh_skus", ignore_result=True, autoretry_for=(Exception,), retry_backoff=2, max_retries=5
)
def refresh_skus(sku_ids: list[int]) -> int:
    """Reload SKUs (price, title, stock, sellable) into the Redis cache and announce them."""
    return len(sku_info_refresh(sku_ids))


@shared_task(name="catalog.sync_stock", ignore_result=True, expires=240)
def sync_stock(full: bool = False) -> int:
    """Copy stock levels changed since the last sync into the Redis stock hints.

    Every five minutes (beat). Incremental on ``updated_at`` with a minute of overlap;
    ``full`` (and the first run) copies every row, in chunks of 1,000.
    """

    client = get_redis()
    watermark_key = stock_watermark_key()
    started = timezone.now()
    rows = Stock.objects.order_by("sku_id")
    since = None if full else client.get(watermark_key)
    if since is not None:
        rows = rows.filter(updated_at__gte=timezone.datetime.fromisoformat(since.decode()) - timedelta(minutes=1))
    synced = 0
    batch: dict[int, int] = {}
    for sku_id, quantity in rows.values_list("sku_id", "quantity").iterator(chunk_size=CHUNK):
        batch[sku_id] = quantity
        if len(batch) >= CHUNK:
            stock_hints_store(batch)
            synced += len(batch)
            batch = {}
    stock_hints_store(batch)
    synced += len(batch)
    client.set(watermark_key, started.isoformat())
    logger.info("stock sync: %d hints written (%s)", synced, "full" if since is None else f"since {since.decode()}")
    return synced


# Named as when it lived in pricing: beat schedules and queued messages hold the name.
@shared_task(name="pricing.promotion_boundaries", ignore_result=True, expires=55)
def promotion_boundaries() -> int:
    """Refresh the prices of SKUs whose promotion started or ended since the last run.

    Every minute (beat): a promotion's price shows within a minute of its start, with no
    one touching it. Running it twice refreshes the same SKUs again; nothing else.
    """
    client = get_redis()
    key = promotions_watermark_key()
    now = timezone.now()
    raw = client.get(key)
    since = timezone.datetime.fromisoformat(raw.decode()) if raw else now - timedelta(minutes=2)
    crossed = Q(starts_at__gt=since, starts_at__lte=now) | Q(ends_at__gt=since, ends_at__lte=now)
    sku_ids = sorted(set(Promotion.objects.filter(crossed).values_list("sku_id", flat=True)))
    sku_info_refresh(sku_ids)
    client.set(key, now.isoformat())
    if sku_ids:
        logger.info("promotions started or ended for %d SKUs; prices refreshed", len(sku_ids))
    return len(sku_ids)
