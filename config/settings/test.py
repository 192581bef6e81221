"""The test suite: same services as configured, fast hashing, a key prefix per run."""

import os
import uuid

from config.settings.base import *  # noqa: F403
from config.settings.base import CACHES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Every run writes under its own prefix, so tests never see a developer's carts and
# two runs on one Redis never collide.
REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX") or f"t{uuid.uuid4().hex[:8]}:"
CACHES["default"]["KEY_PREFIX"] = f"{REDIS_KEY_PREFIX}dj"

if EMBEDDED_REDIS:
    # A server of its own per run: concurrent runs must not stop each other's Redis.
    EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis" / f"test-{os.getpid()}.sock"
    REDIS_URL = f"unix://{EMBEDDED_REDIS_SOCKET}"
    CELERY_BROKER_URL = REDIS_URL.replace("unix://", "redis+socket://", 1)
    CACHES["default"]["LOCATION"] = REDIS_URL
