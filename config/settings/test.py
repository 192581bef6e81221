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
