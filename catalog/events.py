"""Catalog and price change events: the one way a change to a SKU reaches the caches
and the carts, whether it came from admin, ``loadcatalog`` or a promotion's schedule."""

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

# Wait this long before re-marking cart lines, so lines added a moment before the change
# have been persisted to their shard (write-behind lag is milliseconds) and are found.
RECHECK_DELAY_SECONDS = 5


# A broker that does not answer costs an edit a fraction of a second, not Celery's
# default of several retries.
SEND_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def _send(task: str, sku_ids: list[int], **options) -> bool:
    try:
        current_app.send_task(task, args=[sku_ids], retry=True, retry_policy=SEND_RETRY, **options)
        return True
    except Exception:
        logger.exception("could not send %s for %d SKUs", task, len(sku_ids))
        return False


def publish_sku_changes(*, sku_ids, recheck_lines: bool = False) -> None:
    """After the current transaction commits, refresh the cached data of these SKUs
    everywhere and, with ``recheck_lines``, re-mark the cart lines that hold them (their
    sellability or stock crossed a line)."""
    ids = sorted({int(s) for s in sku_ids})
    if not ids:
        return

    def send():
        if not _send("catalog.refresh_skus", ids):
            from catalog.cache import sku_info_refresh

            sku_info_refresh(ids)  # at least this process's and Redis's copies are right
        if recheck_lines:
            _send("cart.recheck_lines_for_skus", ids, countdown=RECHECK_DELAY_SECONDS)

    transaction.on_commit(send, using="default")
