"""Operations tasks: keep Redis's copies of staff settings in step with the database."""

from celery import shared_task

from ops.load_monitor import load_monitor_tick
from ops.models import DegradationSwitch, RateLimitOverride
from ops.ratelimit import Limit, limit_set
from ops.switches import FEATURES, switch_set


@shared_task(name="ops.sync_settings", ignore_result=True, expires=55)
def sync_settings() -> None:
    """Copy switch states and rate-limit overrides from the database into Redis.

    Every minute (beat): if Redis lost them (a restart without persistence), staff's
    choices come back within a minute. Idempotent.
    """
    manual_off = set(DegradationSwitch.objects.filter(switched_off=True).values_list("name", flat=True))
    for name in FEATURES:
        switch_set(name=name, off=name in manual_off, source="manual")
    overrides = {o.endpoint_class: o for o in RateLimitOverride.objects.all()}
    for endpoint_class in RateLimitOverride.EndpointClass.values:
        o = overrides.get(endpoint_class)
        limit_set(endpoint_class, Limit(o.user_rate, o.user_burst, o.global_rate, o.global_burst) if o else None)


@shared_task(name="ops.load_monitor", ignore_result=True, expires=9)
def load_monitor() -> bool:
    """One reading of the load monitor (every 10 s); sheds non-core features under strain."""
    return load_monitor_tick()
