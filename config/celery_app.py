import os

from celery import Celery

from cart.persistence.consumer import PersistenceConsumerStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("cart_service")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["worker"].add(PersistenceConsumerStep)
# Under threaded servers, @shared_task in a worker thread would otherwise bind to a
# fresh default app pointing at amqp://localhost instead of this one.
app.set_default()
