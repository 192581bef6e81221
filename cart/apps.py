from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "cart"

    def ready(self):
        from cart.persistence.gauges import CartStateCollector
        from core.metrics import register_state_collector

        register_state_collector(CartStateCollector())

        from cart.engine.redis_settings import redis_settings_warnings
        from core.redis_client import get_redis
        from ops.readiness import warn_with

        warn_with(lambda: redis_settings_warnings(get_redis()))
