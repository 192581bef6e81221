"""Session-wide setup: the embedded Redis when no REDIS_URL is configured, and a broker
queue of this run that is removed afterwards."""

import logging

import pytest
from django.conf import settings

from config import embedded


@pytest.fixture(scope="session", autouse=True)
def _embedded_redis():
    process = None
    if settings.EMBEDDED_REDIS:
        process = embedded.start_redis(settings.EMBEDDED_REDIS_SOCKET, persistent=False)
    yield
    embedded.stop_redis(process)


@pytest.fixture(scope="session", autouse=True)
def _own_task_queue(_embedded_redis):
    from config.celery_app import app

    yield
    try:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    except Exception:  # a broker that is gone has no queue to remove
        logging.getLogger(__name__).warning("could not delete the test task queue", exc_info=True)
