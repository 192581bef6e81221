"""The test suite: same services as configured, fast hashing, a key prefix per run."""

import os
import uuid

from config.settings.base import *  # noqa: F403
from config.settings.base import CACHES, STORAGES

DEBUG = False
# Tests do not collect static files: the plain storage needs no manifest. A server under
# production settings gets them collected (tests/processes.py, PRODUCTION_ENV).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# WhiteNoise serves the source folders' files instead, and wants its (empty) root to exist.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = VAR_DIR / "test-static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
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

# Tasks the tests send (catalog events) go to a queue of this run, deleted at the end,
# never to the queue of workers that may share the broker.
CELERY_TASK_DEFAULT_QUEUE = f"test-{REDIS_KEY_PREFIX.rstrip(':')}"

# SQLite test databases as files, not shared-cache memory: shared cache takes table
# locks that ignore the busy timeout, so concurrent tests would fail where the
# embedded default (files, WAL, BEGIN IMMEDIATE) simply waits its turn.
for _alias, _config in DATABASES.items():
    if _config["ENGINE"] == "django.db.backends.sqlite3":
        _config["TEST"] = {"NAME": str(VAR_DIR / "test-db" / f"{os.getpid()}-{_alias}.sqlite3")}
(VAR_DIR / "test-db").mkdir(parents=True, exist_ok=True)
