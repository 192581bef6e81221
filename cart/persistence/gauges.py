"""The write-behind queue and the dead letters as gauges, read when Prometheus scrapes
(registered in ``CartConfig.ready``)."""

import logging

from prometheus_client.core import GaugeMetricFamily

from cart.models import DeadLetter
from cart.persistence.write_behind import persistence_backlog

logger = logging.getLogger(__name__)


class CartStateCollector:
    """The write-behind queue and the dead letters, read when Prometheus scrapes."""

    def collect(self):
        queue = GaugeMetricFamily("cart_persist_queue_depth", "Changes in Redis not yet written to MySQL.")
        letters = GaugeMetricFamily("cart_dead_letters_pending", "Dead letters waiting for a replay.")
        try:
            queue.add_metric([], persistence_backlog())
            letters.add_metric([], DeadLetter.objects.filter(state=DeadLetter.State.PENDING).count())
        except Exception:  # a scrape reports what it can; the rest shows as absent
            logger.warning("metrics: cart state unavailable", exc_info=True)
        yield from (queue, letters)
