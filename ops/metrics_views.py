"""GET /metrics: Prometheus text format.

Counters and histograms are recorded where things happen (``ops.metrics``); gauges that
describe shared state (queue depth, dead letters, degradation) are read at scrape time.
Under gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR so every worker's
samples are aggregated (prometheus_client's multiprocess mode).
"""

import logging
import os

from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from cart.models import DeadLetter
from cart.persistence import persistence_backlog
from ops.switches import switches_state

logger = logging.getLogger(__name__)


class StateCollector:
    """Shared state, read when Prometheus scrapes."""

    def collect(self):
        queue = GaugeMetricFamily("cart_persist_queue_depth", "Changes in Redis not yet written to MySQL.")
        letters = GaugeMetricFamily("cart_dead_letters_pending", "Dead letters waiting for a replay.")
        degraded = GaugeMetricFamily(
            "degradation_switch_off", "1 when a feature is switched off.", labels=["feature", "by"]
        )
        try:
            queue.add_metric([], persistence_backlog())
            letters.add_metric([], DeadLetter.objects.filter(state=DeadLetter.State.PENDING).count())
            for feature, state in switches_state().items():
                for source, off in state.items():
                    degraded.add_metric([feature, source], int(off))
        except Exception:  # a scrape reports what it can; the rest shows as absent
            logger.warning("metrics: shared state unavailable", exc_info=True)
        yield from (queue, letters, degraded)


# Kept apart from the default registry: in multiprocess mode that one is rebuilt from the
# workers' files on each scrape, and these gauges must be read live, once.
STATE_REGISTRY = CollectorRegistry(auto_describe=False)
STATE_REGISTRY.register(StateCollector())


@require_GET
def metrics(request):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(STATE_REGISTRY)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
