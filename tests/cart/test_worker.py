"""A real Celery worker process: its consumer thread persists the stream, and tasks
reach it through the real broker."""

import pytest
from django.conf import settings

from cart.models import ReconciliationRun
from cart.services import cart_add_line, cart_update_line
from tests.cart.helpers import cached, persisted
from tests.conftest import db_all_tx, needs_mysql
from tests.processes import running, start_worker, wait_for

pytestmark = [db_all_tx, needs_mysql]


@pytest.fixture
def worker(tmp_path):
    """A worker on the test databases, the run's Redis prefix, a queue of its own and the
    queue catalog events go to."""
    with running(start_worker(tmp_path, also=(settings.CELERY_TASK_DEFAULT_QUEUE,))) as (process,):
        yield process


def test_the_workers_consumer_persists_changes_within_moments(worker):
    for n in range(1, 11):
        cart_add_line(user_id=901, item_id=n, sku_id=n, quantity=n)
    cart_update_line(user_id=901, item_id=3, sku_id=3, delta=5)

    assert wait_for(lambda: persisted(901) == cached(901)), "the worker did not persist the cart"
    assert persisted(901)["3:3"][0] == 8


def test_a_task_sent_through_the_broker_runs_on_the_worker(worker):
    from cart.tasks import reconcile

    cart_add_line(user_id=902, item_id=1, sku_id=1)
    reconcile.apply_async(queue=worker.queue)

    assert wait_for(lambda: ReconciliationRun.objects.filter(finished_at__isnull=False).exists())


def test_lines_are_checked_and_a_deactivated_product_reaches_every_cart(worker):
    from django.db import transaction

    from cart.selectors import cart_get
    from catalog.events import publish_sku_changes
    from catalog.models import Sku
    from tests.factories import SkuFactory

    sku = SkuFactory()
    for user_id in (903, 904):
        cart_add_line(user_id=user_id, item_id=sku.item_id, sku_id=sku.sku_id)

    def statuses():
        return {cart_get(user_id=u).items[0].line.status for u in (903, 904)}

    assert wait_for(lambda: statuses() == {"available"}), "the worker did not check the new lines"
    with transaction.atomic():
        Sku.objects.filter(pk=sku.pk).update(active=False)
        publish_sku_changes(sku_ids=[sku.sku_id], recheck_lines=True)

    assert wait_for(lambda: statuses() == {"unavailable"}, seconds=30), "the deactivation did not reach the carts"
