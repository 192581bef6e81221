"""Celery tasks of the cart. Each calls a service and is safe to run twice."""

import logging
from datetime import timedelta

from celery import shared_task

from cart.persistence.consumer import consumers_prune
from cart.persistence.prewarm import carts_prewarm
from cart.persistence.reconciliation import reconcile_run
from cart.persistence.replay import dead_letter_replay
from cart.persistence.write_behind import persistence_drain_all
from cart.sharing import MySQLSnapshotStore, snapshot_store
from cart.validity import lines_recheck_for_skus

logger = logging.getLogger(__name__)


@shared_task(name="cart.drain_persistence", ignore_result=True)
def drain_persistence() -> int:
    """Persist what is waiting in the stream. The worker's consumer thread does this
    continuously; the task is for workers started without it and for operators."""
    return persistence_drain_all(max_seconds=50).written


@shared_task(name="cart.prune_stream_consumers", ignore_result=True, expires=3000)
def prune_stream_consumers() -> int:
    """Forget the stream consumers of workers that are gone (hourly): idle for an hour and
    holding nothing. A live worker reads every second, so it is never idle that long."""
    removed = consumers_prune(idle_ms=3600_000)
    if removed:
        logger.info("removed %d idle stream consumers of workers that are gone", removed)
    return removed


@shared_task(name="cart.reconcile", ignore_result=True, expires=240)
def reconcile() -> int:
    """One reconciliation pass (scheduled every 5 minutes). Expires before the next one
    is due, so a backlog of passes never piles up behind a slow worker."""
    run = reconcile_run()
    logger.info("reconciliation: %d carts checked, %d lines fixed", run.carts_checked, run.lines_fixed)
    return run.lines_fixed


@shared_task(
    name="cart.replay_dead_letter", ignore_result=True, autoretry_for=(Exception,), retry_backoff=5, max_retries=3
)
def replay_dead_letter(dead_letter_id: int) -> bool:
    """Write a dead letter's message to its shard; a second run finds it replayed."""
    return dead_letter_replay(dead_letter_id=dead_letter_id)


@shared_task(
    name="cart.recheck_lines_for_skus", ignore_result=True, autoretry_for=(Exception,), retry_backoff=5, max_retries=5
)
def recheck_lines_for_skus(sku_ids: list[int]) -> int:
    """Re-mark every cart line holding these SKUs (a product deactivated, reactivated,
    or sold out); idempotent, as the status comes from the catalog as it is now."""
    return lines_recheck_for_skus(sku_ids=sku_ids)


@shared_task(name="cart.prewarm", ignore_result=True)
def prewarm(active_since_days: float = 7.0) -> int:
    """Load recently active carts into Redis (schedule it an hour before an event in
    admin's periodic tasks). Safe to run twice: loaded carts are left alone."""
    summary = carts_prewarm(active_since=timedelta(days=active_since_days))
    logger.info("prewarm: %s", summary)
    return summary.carts


@shared_task(name="cart.purge_shared_carts", ignore_result=True, expires=3000)
def purge_shared_carts() -> int:
    """Delete expired share snapshots from the MySQL store (hourly); DynamoDB expires its
    own items through the table's TTL attribute. Idempotent."""
    store = snapshot_store()
    return store.purge_expired() if isinstance(store, MySQLSnapshotStore) else 0
