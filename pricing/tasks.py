"""Pricing tasks: promotions that start or end on schedule publish price changes."""

import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from catalog.cache import sku_info_refresh
from core.redis_client import get_redis
from pricing.keys import promotions_watermark_key
from pricing.models import Promotion

logger = logging.getLogger(__name__)


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
