"""GET /metrics: Prometheus text format.

Counters and histograms are recorded where things happen (``core.metrics`` and each
app's ``metrics`` module); gauges that describe shared state are read at scrape time by
the collectors their owners register (``core.metrics.register_state_collector``): the
cart's queue and dead letters, the switches here.
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

from core.metrics import STATE_REGISTRY, register_state_collector
from ops.switches import switches_state

logger = logging.getLogger(__name__)


class SwitchesCollector:
    """Degradation switches, read when Prometheus scrapes."""

    def collect(self):
        degraded = GaugeMetricFamily(
            "degradation_switch_off", "1 when a feature is switched off.", labels=["feature", "by"]
        )
        try:
            for feature, state in switches_state().items():
                for source, off in state.items():
                    degraded.add_metric([feature, source], int(off))
        except Exception:  # a scrape reports what it can; the rest shows as absent
            logger.warning("metrics: switches unavailable", exc_info=True)
        yield degraded


register_state_collector(SwitchesCollector())


@require_GET
def metrics(request):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(STATE_REGISTRY)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
