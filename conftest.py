"""Session-wide setup: the embedded Redis when no REDIS_URL is configured."""

import pytest
from django.conf import settings

from config import embedded


@pytest.fixture(scope="session", autouse=True)
def _embedded_redis():
    process = (
        embedded.start_redis(settings.EMBEDDED_REDIS_SOCKET, persistent=False) if settings.EMBEDDED_REDIS else None
    )
    yield
    embedded.stop_redis(process)
