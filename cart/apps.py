from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "cart"

    def ready(self):
        from cart.persistence.gauges import CartStateCollector
        from core.metrics import register_state_collector

        register_state_collector(CartStateCollector())
