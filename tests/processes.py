"""What a test needs to run the app in another process: the environment that points a
Django subprocess at this run's test databases and Redis prefix, a free port, a wait."""

import os
import socket
import time
from pathlib import Path

from django.conf import settings
from django.db import connections

from config.sharding import SHARD_ALIASES

ROOT = Path(__file__).resolve().parents[1]


def database_url(alias: str, *, port: int | None = None) -> str:
    """The URL of ``alias`` as the test run uses it (test database names), for a subprocess."""
    s = connections[alias].settings_dict
    if connections[alias].vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"mysql://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{port or s['PORT'] or 3306}/{s['NAME']}"


def subprocess_env(*, shard_ports: dict[str, int] | None = None, **extra: str) -> dict[str, str]:
    """The environment of a Django subprocess on this run's databases and Redis.

    ``shard_ports`` sends some shard aliases through another port (a proxy).
    """
    shard_ports = shard_ports or {}
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url("default"),
        "CART_SHARD_URLS": ",".join(database_url(a, port=shard_ports.get(a)) for a in SHARD_ALIASES),
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds: float = 20.0, pause: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(pause)
    return bool(condition())
