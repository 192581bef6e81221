"""`make bench-peer`: this service's add-to-cart next to a peer's, django-oscar's add-to-basket.

Builds the peer at run time, outside the repository: a virtualenv in a temporary folder
with django-oscar (PEER_VERSION) and the gunicorn this service pins, a minimal Oscar
project (settings as Oscar's "Building your own shop" has them, DEBUG off) on its own
database of the same MySQL server, one product with a partner, a stock record and a
price, and logged-in shoppers. Then both run under gunicorn with the same sync workers,
and wrk drives them in alternating rounds: the peer as a browser adds to the basket (a
form POST with the session cookie and the CSRF cookie and field of the product page),
this service as `make bench`'s add scenario (POST /api/v1/cart/items with each user's
token). Every run is checked for what it left: the baskets' and the carts' quantities
must have grown by the adds wrk counted as answered (else the run exits 1). The figures go to
docs/peer-benchmark.md. The temporary folder is removed at the end unless --keep.
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This run's Redis keys stay apart from `make bench`'s (set before bench sets its default).
os.environ.setdefault("REDIS_KEY_PREFIX", "benchpeer:")

# `make bench`'s module (scripts/, this script's folder) sets Django up as that bench does;
# only its helpers are used here.
import bench  # noqa: E402
import bench_servers  # noqa: E402
import django  # noqa: E402
from cpu_split import CpuSplit, pids_named  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from cart.persistence.write_behind import persistence_backlog, persistence_drain_all  # noqa: E402
from catalog.models import Sku  # noqa: E402
from config.worker import worker_command  # noqa: E402

PEER = "django-oscar"
PEER_VERSION = "4.2.1"
PEER_DATABASE = "cartpeer_oscar"
HOST = "127.0.0.1"
THREADS = 2  # wrk's threads, as `make bench` runs it
WARM_UP_SECONDS = 2
USERS = 100  # shoppers of the peer, and users of this service, as in `make bench`
USER_LABEL = "peer-adders"  # this service's users: bench-peer-adders-0 … 99
# A run's adds are accepted when the baskets (carts) grew by at least this share of the
# adds wrk counted as answered: an add wrk sees answered is one the server finished.
LANDED_MIN = 0.98
TARGET = 20  # the aim: this service's adds per second at least 20 times the peer's
TIMES = "\N{MULTIPLICATION SIGN}"


# --- the peer: a minimal Oscar project, written into the temporary folder ---------------------

PEER_SETTINGS = '''\
"""A minimal Oscar shop for `make bench-peer`: Oscar's "Building your own shop" settings."""

from pathlib import Path

from oscar import INSTALLED_APPS as OSCAR_APPS
from oscar.defaults import *  # noqa: F403

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-peer-only-{secret}"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [*OSCAR_APPS, "sorl.thumbnail"]
SITE_ID = 1

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]
ROOT_URLCONF = "peershop.urls"
WSGI_APPLICATION = "peershop.wsgi.application"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.core.context_processors.metadata",
            ],
        }},
    }}
]

# Oscar recommends ATOMIC_REQUESTS; connections are kept as this service keeps them.
DATABASES = {{"default": {database}}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
{cache}
HAYSTACK_CONNECTIONS = {{"default": {{"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}}}

USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"

OSCAR_INITIAL_ORDER_STATUS = "Pending"
OSCAR_INITIAL_LINE_STATUS = "Pending"
OSCAR_ORDER_STATUS_PIPELINE = {{
    "Pending": ("Being processed", "Cancelled"),
    "Being processed": ("Processed", "Cancelled"),
    "Cancelled": (),
}}

LOGGING = {{
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {{"console": {{"class": "logging.StreamHandler"}}}},
    "root": {{"handlers": ["console"], "level": "WARNING"}},
}}
'''

# Sessions as this service keeps them (cached_db on Redis), when a Redis URL is configured.
PEER_CACHE = """
CACHES = {{
    "default": {{
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": {redis_url!r},
        "KEY_PREFIX": "cartpeer",
    }},
    # Thumbnails' keys point into the temporary folder: they live and go with the process.
    "thumbnails": {{"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
}}
THUMBNAIL_CACHE = "thumbnails"
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
"""

PEER_URLS = """\
from django.apps import apps
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include(apps.get_app_config("oscar").urls[0])),
]
"""

PEER_WSGI = """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peershop.settings")
application = get_wsgi_application()
"""

PEER_MANAGE = """\
import os
import sys

from django.core.management import execute_from_command_line

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peershop.settings")
execute_from_command_line(sys.argv)
"""

# The peer's bench data, run with the peer's own Python: `setup USERS PRODUCTS` (prints
# JSON: the products and a logged-in session per shopper), `reset` (empties the shoppers'
# baskets), `count` (their baskets' total quantity), `forget` (ends their sessions).
PEER_TOOL = """\
import io
import json
import os
import shutil
import sys
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peershop.settings")
import django

django.setup()

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.contrib.sites.models import Site
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.utils.module_loading import import_string
from oscar.core.loading import get_model

Basket = get_model("basket", "Basket")
Line = get_model("basket", "Line")
Product = get_model("catalogue", "Product")
ProductClass = get_model("catalogue", "ProductClass")
Partner = get_model("partner", "Partner")
StockRecord = get_model("partner", "StockRecord")
PREFIX = "bench-peer-"


def lines():
    return Line.objects.filter(basket__owner__username__startswith=PREFIX, basket__status=Basket.OPEN)


def forget():
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")
    for key in Session.objects.values_list("session_key", flat=True):
        store(session_key=key).delete()  # the database row and its cached copy


def setup(users, products):
    Site.objects.update_or_create(pk=1, defaults={"domain": "127.0.0.1", "name": "bench-peer"})
    call_command("thumbnail", "clear", stdout=io.StringIO())  # entries of earlier runs point into their removed folders
    media = settings.MEDIA_ROOT / settings.OSCAR_MISSING_IMAGE_URL
    if not media.exists():  # what a product without images shows
        media.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(finders.find("oscar/img/image_not_found.jpg"), media)
    kind, _ = ProductClass.objects.get_or_create(
        name="Bench goods", defaults={"requires_shipping": True, "track_stock": True}
    )
    partner, _ = Partner.objects.get_or_create(name="Bench partner")
    found = []
    for n in range(products):
        product, _ = Product.objects.get_or_create(
            upc=f"BENCH-{n}",
            defaults={"title": f"Bench product {n}", "product_class": kind, "structure": Product.STANDALONE},
        )
        StockRecord.objects.update_or_create(
            product=product,
            partner=partner,
            defaults={
                "partner_sku": f"BENCH-{n}",
                "price_currency": settings.OSCAR_DEFAULT_CURRENCY,
                "price": Decimal("9.99"),
                "num_in_stock": 1_000_000_000,
                "num_allocated": 0,
            },
        )
        found.append({"pk": product.pk, "url": product.get_absolute_url(), "title": product.title})
    forget()  # sessions of earlier runs (this database is the bench's own)
    sessions = []
    for n in range(users):
        user, _ = get_user_model().objects.get_or_create(
            username=f"{PREFIX}{n}", defaults={"email": f"{PREFIX}{n}@example.com"}
        )
        client = Client()
        client.force_login(user)
        sessions.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    lines().delete()
    print(json.dumps({"products": found, "sessions": sessions}))


command = sys.argv[1]
if command == "setup":
    setup(int(sys.argv[2]), int(sys.argv[3]))
elif command == "reset":
    lines().delete()
elif command == "count":
    print(lines().aggregate(total=Sum("quantity"))["total"] or 0)
elif command == "forget":
    forget()
"""


def _pin(name: str) -> str:
    """The version requirements/ pins ``name`` at, so the peer runs the same release."""
    for path in (ROOT / "requirements" / "base.txt", ROOT / "requirements" / "mysql.txt"):
        for line in path.read_text().splitlines():
            if match := re.match(rf"{re.escape(name)}(?:\[[^\]]*\])?==(\S+)", line.strip(), re.IGNORECASE):
                return match.group(1)
    raise RuntimeError(f"requirements/ pins no {name}")


@dataclass
class PeerDatabase:
    settings: dict  # the peer's DATABASES["default"]
    label: str  # what the report says


def _peer_database(folder: Path, sqlite: bool) -> PeerDatabase:
    """The peer's database: PEER_DATABASE on the MySQL server this service uses, created if
    missing; SQLite in the temporary folder when this service is not on MySQL, the server
    cannot be reached, or --peer-sqlite asks for it."""
    ours = settings.DATABASES["default"]
    fallback = PeerDatabase(
        {"ENGINE": "django.db.backends.sqlite3", "NAME": str(folder / "peer.sqlite3"), "ATOMIC_REQUESTS": True},
        "SQLite (a file in the temporary folder)",
    )
    if sqlite or ours["ENGINE"] != "django.db.backends.mysql":
        return fallback
    import MySQLdb  # with a MySQL URL configured (requirements/mysql.txt)

    host, port = ours["HOST"] or "localhost", int(ours["PORT"] or 3306)
    where = {"unix_socket": host} if host.startswith("/") else {"host": host, "port": port}
    try:
        connection = MySQLdb.connect(user=ours["USER"], password=ours["PASSWORD"] or "", charset="utf8mb4", **where)
    except MySQLdb.OperationalError as exc:
        print(f"peer: MySQL not reachable ({exc}); the peer runs on SQLite", flush=True)
        return fallback
    try:
        cursor = connection.cursor()
        cursor.execute(
            f"CREATE DATABASE IF NOT EXISTS `{PEER_DATABASE}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        cursor.execute("SELECT VERSION()")
        version = cursor.fetchone()[0]
    finally:
        connection.close()
    config = {
        "ENGINE": "django.db.backends.mysql",
        "NAME": PEER_DATABASE,
        "USER": ours["USER"],
        "PASSWORD": ours["PASSWORD"] or "",
        "HOST": ours["HOST"],
        "PORT": str(ours["PORT"] or ""),
        "ATOMIC_REQUESTS": True,
        "CONN_MAX_AGE": ours.get("CONN_MAX_AGE", 60),
        "OPTIONS": {"charset": "utf8mb4"},
    }
    return PeerDatabase(config, f"`{PEER_DATABASE}` on the same server ({version})")


def _peer_env() -> dict[str, str]:
    """The environment of the peer's commands and server: this one's, less what names
    this service's settings or Python path."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHON", "VIRTUAL_ENV"))}


class Peer:
    """The Oscar shop in ``folder``: its virtualenv, project and bench data."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.project = folder / "project"
        self.python = folder / "venv" / "bin" / "python"
        self.log = folder / "peer.log"
        self.versions: dict[str, str] = {}
        self.database: PeerDatabase | None = None
        self.sessions_backend = ""

    def build(self, *, sqlite: bool, redis_url: str | None) -> None:
        requirements = [
            f"{PEER}[sorl-thumbnail]=={PEER_VERSION}",
            f"gunicorn=={_pin('gunicorn')}",
            f"mysqlclient=={_pin('mysqlclient')}",
            f"redis=={_pin('redis')}",
        ]
        if not self.python.exists():
            print(f"peer: creating a virtualenv in {self.folder}", flush=True)
            self._run([sys.executable, "-m", "venv", str(self.folder / "venv")])
        print(f"peer: pip install {' '.join(requirements)} …", flush=True)
        self._run([str(self.python), "-m", "pip", "install", "--quiet", *requirements])
        frozen = self._run([str(self.python), "-m", "pip", "freeze"])
        wanted = {"django", "django-oscar", "gunicorn", "mysqlclient", "redis", "django-haystack", "sorl-thumbnail"}
        for line in frozen.splitlines():
            name, _, version = line.partition("==")
            if name.lower() in wanted:
                self.versions[name.lower()] = version
        self.database = _peer_database(self.folder, sqlite)
        cache = PEER_CACHE.format(redis_url=redis_url) if redis_url else ""
        self.sessions_backend = "cached_db on Redis" if redis_url else "in the database (no Redis URL configured)"
        package = self.project / "peershop"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text("")
        secret = os.urandom(24).hex()
        (package / "settings.py").write_text(
            PEER_SETTINGS.format(secret=secret, database=repr(self.database.settings), cache=cache)
        )
        (package / "urls.py").write_text(PEER_URLS)
        (package / "wsgi.py").write_text(PEER_WSGI)
        (self.project / "manage.py").write_text(PEER_MANAGE)
        (self.project / "peer_tool.py").write_text(PEER_TOOL)
        print(f"peer: migrating ({self.database.label}) …", flush=True)
        self._run([str(self.python), "manage.py", "migrate", "--noinput", "--verbosity", "0"], cwd=self.project)

    def tool(self, *args: str) -> str:
        return self._run([str(self.python), "peer_tool.py", *args], cwd=self.project).strip()

    def basket_quantity(self) -> int:
        return int(self.tool("count"))

    def argv(self, workers: int, port: int) -> list[str]:
        command = [str(self.python), "-m", "gunicorn", "peershop.wsgi", "--bind", f"{HOST}:{port}"]
        return [*command, "--workers", str(workers), "--log-level", "warning"]

    def _run(self, command: list[str], cwd: Path | None = None) -> str:
        done = subprocess.run(command, cwd=cwd, env=_peer_env(), capture_output=True, text=True, check=False)
        with self.log.open("a") as log:
            log.write(f"$ {' '.join(command)}\n{done.stdout}{done.stderr}\n")
        if done.returncode:
            raise RuntimeError(f"peer: {' '.join(command[:4])} … failed:\n{(done.stdout + done.stderr)[-3000:]}")
        return done.stdout


# --- HTTP, as a shopper's browser speaks it -----------------------------------------------------


def _http(port: int, method: str, path: str, *, headers=None, body: str | None = None):
    """One request, redirects not followed: (status, headers, body text)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


@dataclass
class Shopper:
    session: str  # the sessionid cookie of a logged-in shopper
    csrf_cookie: str  # the csrftoken cookie the product page set
    csrf_field: str  # the csrfmiddlewaretoken field of its add-to-basket form

    @property
    def cookie(self) -> str:
        return f"sessionid={self.session}; csrftoken={self.csrf_cookie}"


def _shopper(port: int, product: dict, session: str) -> tuple[Shopper, str]:
    """Open the product page as ``session``'s browser does: the shopper, and the path its
    add-to-basket form posts to."""
    status, headers, html = _http(port, "GET", product["url"], headers={"Cookie": f"sessionid={session}"})
    if status != 200:
        raise RuntimeError(f"peer: product page {product['url']} answered {status}")
    cookies = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    form = re.search(r"<form[^>]*id=\"add_to_basket_form\"[^>]*>.*?</form>", html, re.DOTALL)
    if form is None or "csrftoken" not in cookies:
        raise RuntimeError("peer: the product page has no add-to-basket form (is the product purchasable?)")
    action = re.search(r"action=\"([^\"]+)\"", form.group(0)).group(1)
    field_ = re.search(r"name=\"csrfmiddlewaretoken\" value=\"([^\"]+)\"", form.group(0)).group(1)
    return Shopper(session, cookies["csrftoken"].value, field_), action


def _add_headers(shopper: Shopper) -> dict[str, str]:
    return {"Cookie": shopper.cookie, "Content-Type": "application/x-www-form-urlencoded"}


def _add_body(shopper: Shopper) -> str:
    return f"csrfmiddlewaretoken={shopper.csrf_field}&quantity=1"


def _verify_peer_add(peer: Peer, port: int, shopper: Shopper, action: str, product: dict) -> str:
    """One add as the shopper's browser makes it, and proof it landed: Oscar answers a
    redirect, the basket page lists the product, and the basket's quantity grew by one."""
    before = peer.basket_quantity()
    status, headers, _ = _http(port, "POST", action, headers=_add_headers(shopper), body=_add_body(shopper))
    if status not in (301, 302, 303):
        raise RuntimeError(f"peer: an add answered {status}, not Oscar's redirect")
    _, _, basket = _http(port, "GET", "/basket/", headers={"Cookie": shopper.cookie})
    grown = peer.basket_quantity() - before
    if product["title"] not in basket or grown != 1:
        raise RuntimeError(
            f"peer: the add did not land (basket page lists the product: "
            f"{product['title'] in basket}; quantity grew by {grown})"
        )
    return f"{status} to {headers['Location']}; /basket/ lists {product['title']!r}; basket quantity +1"


# --- wrk ------------------------------------------------------------------------------------------


def _peer_lua(shoppers: list[Shopper], products: list[dict]) -> str:
    """Oscar's add as browsers post it. Each wrk thread has its own half of the shoppers,
    so no two connections add to one basket at once (they would wait on its row locks)."""
    rows = ",".join(f'{{"{s.cookie}","{_add_body(s)}"}}' for s in shoppers)
    paths = ",".join(f'"/basket/add/{p["pk"]}/"' for p in products)
    return f"""
local shoppers = {{{rows}}}
local paths = {{{paths}}}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end
local n = 0
request = function()
  local mine = math.floor(#shoppers / {THREADS})
  local s = shoppers[((thread_number or 1) - 1) * mine + (n % mine) + 1]
  local path = paths[(n % #paths) + 1]
  n = n + 1
  wrk.headers["Cookie"] = s[1]
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  return wrk.format("POST", path, nil, s[2])
end
"""


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int  # completed, from wrk's "N requests in" line
    failed: int  # answers other than 2xx and 3xx
    socket_errors: int  # connect, read, write errors and timeouts
    landed: int = 0  # the quantity the run added to the baskets (carts)
    cpu: dict[str, float] = field(default_factory=dict)  # µs of CPU per answered request, by part

    @property
    def answered(self) -> int:
        return self.requests - self.failed


def _wrk(script: Path, port: int, seconds: int, connections: int) -> Run:
    command = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    out = subprocess.run([*command, f"http://{HOST}:{port}"], capture_output=True, text=True, check=True).stdout
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Run(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=bench._ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        p99_ms=bench._ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        failed=int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


# --- the processes of a run -----------------------------------------------------------------------


class Processes:
    """Every process the run starts, each in its own session, stopped (killpg) at the end
    whatever ends the run."""

    def __init__(self):
        self.running: list[subprocess.Popen] = []

    def start(self, argv: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
        with log.open("ab") as out:
            process = subprocess.Popen(argv, cwd=cwd, env=env, start_new_session=True, stdout=out, stderr=out)
        self.running.append(process)
        return process

    def stop(self, process: subprocess.Popen, timeout: float = 15) -> None:
        with contextlib.suppress(ProcessLookupError):
            bench_servers.stop(process, timeout=timeout)
        self.running.remove(process)

    def stop_all(self) -> None:
        print("stopping the servers …", flush=True)
        for process in reversed(list(self.running)):
            self.stop(process)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _serve(
    processes: Processes, name: str, argv: Callable[[int], list[str]], *, cwd: Path, env: dict, log: Path, ready: str
) -> tuple[int, int]:
    """Start a server on a free port; return the port and the server's pid once ``ready`` answers 200."""
    port = _free_port()
    process = processes.start(argv(port), cwd=cwd, env=env, log=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError):
            if _http(port, "GET", ready)[0] == 200:
                print(f"{name}: listening on port {port}", flush=True)
                return port, process.pid
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not start:\n{log.read_text(errors='replace')[-3000:]}")


# --- the contenders and the rounds -----------------------------------------------------------------


@dataclass
class Contender:
    name: str
    port: int
    script: Path
    prepare: Callable[[], None]  # before every wrk run, warm-up too: empty the baskets (carts)
    landed: Callable[[], int]  # after the measured run: the quantity it added
    server_pid: int = 0  # the server's main process (its workers are its children)
    enter: Callable[[], None] = lambda: None  # before its warm-up
    leave: Callable[[], None] = lambda: None  # after its measured run, whatever happened
    worker_pids: Callable[[], list[int]] = lambda: []  # a write-behind worker's, when one runs
    runs: list[Run] = field(default_factory=list)

    def median(self, figure: str) -> float:
        return statistics.median(getattr(r, figure) for r in self.runs)

    def median_cpu(self, part: str) -> float:
        return statistics.median(r.cpu.get(part, 0.0) for r in self.runs)

    def cpu_split(self) -> CpuSplit:
        return CpuSplit(
            {
                "web server (Python, HTTP)": lambda: [self.server_pid],
                "Redis": lambda: pids_named("redis-server"),
                "MariaDB": lambda: pids_named("mariadbd", "mysqld"),
                "write-behind worker": self.worker_pids,
            }
        )


def _round(contender: Contender, args) -> Run:
    contender.enter()
    try:
        contender.prepare()
        _wrk(contender.script, contender.port, WARM_UP_SECONDS, args.connections)
        contender.prepare()
        split = contender.cpu_split()
        split.start()
        run = _wrk(contender.script, contender.port, args.seconds, args.connections)
        run.cpu = split.stop(run.answered)
        run.landed = contender.landed()
    finally:
        contender.leave()
    contender.runs.append(run)
    share = run.landed / run.answered if run.answered else 0
    flag = "" if share >= LANDED_MIN else "  ← adds missing"
    print(
        f"  {contender.name:44s} {run.rps:7,.0f} req/s  p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms  "
        f"non-2xx/3xx {run.failed}  socket errors {run.socket_errors}  "
        f"landed {run.landed:,} of {run.answered:,} answered{flag}",
        flush=True,
    )
    return run


class ConsumerSwitch:
    """The write-behind consumer (`make bench`'s worker) for the runs that want it: the
    backlog the runs without it left is written first, so it starts from an empty stream."""

    def __init__(self, processes: Processes, folder: Path):
        self.processes = processes
        self.folder = folder
        self.log = folder / "worker.log"
        self.worker: subprocess.Popen | None = None

    def on(self) -> None:
        persistence_drain_all(max_seconds=300)
        metrics = self.folder / "worker-metrics"
        metrics.mkdir(exist_ok=True)
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics), "LOG_LEVEL": "WARNING"}
        # A node name of its own: a `make bench` worker on the same broker keeps its own.
        argv = worker_command(
            queues=["bench-peer-unused"], pool="solo", loglevel="WARNING", node_name="benchpeer@%h", alone=True
        )
        self.worker = self.processes.start(argv, cwd=ROOT, env=env, log=self.log)
        time.sleep(3)  # its consumer thread is reading before the warm-up starts

    def pids(self) -> list[int]:
        return [self.worker.pid] if self.worker is not None else []

    def off(self) -> None:
        deadline = time.monotonic() + 300
        while persistence_backlog() and time.monotonic() < deadline:
            time.sleep(0.2)
        if self.worker is None:
            return
        died = self.worker.poll() is not None
        self.processes.stop(self.worker, timeout=30)
        self.worker = None
        if died:
            raise RuntimeError(f"the write-behind consumer died:\n{self.log.read_text(errors='replace')[-3000:]}")


# --- the report -----------------------------------------------------------------------------------


def _ratio(ours: Contender, peer: Contender) -> tuple[str, str]:
    """The ratio of the medians, and the range of the rounds' own ratios."""
    rounds = [o.rps / p.rps for o, p in zip(ours.runs, peer.runs, strict=True)]
    return f"{ours.median('rps') / peer.median('rps'):.1f} {TIMES}", f"{min(rounds):.1f} to {max(rounds):.1f} {TIMES}"


def _table(contenders: list[Contender], rounds: int) -> str:
    header = "| | " + " | ".join(f"round {n + 1}" for n in range(rounds)) + " | median | p50 ms | p99 ms | failed |"
    rule = "|---|" + "---:|" * (rounds + 4)
    rows = [
        f"| {c.name} | "
        + " | ".join(f"{r.rps:,.0f}" for r in c.runs)
        + f" | **{c.median('rps'):,.0f}** | {c.median('p50_ms'):.1f} | {c.median('p99_ms'):.1f} | "
        + f"{sum(r.failed + r.socket_errors for r in c.runs)} |"
        for c in contenders
    ]
    return "\n".join([header, rule, *rows])


def _cpu_table(contenders: list[Contender]) -> str:
    """Median µs of CPU per answered request, by part of the machine, per contender."""
    parts = list(dict.fromkeys(part for c in contenders for r in c.runs for part in r.cpu))
    header = "| µs of CPU per request | " + " | ".join(c.name for c in contenders) + " |"
    rule = "|---|" + "---:|" * len(contenders)
    rows = [f"| {part} | " + " | ".join(f"{c.median_cpu(part):,.0f}" for c in contenders) + " |" for part in parts]
    totals = [statistics.median(sum(r.cpu.values()) for r in c.runs) for c in contenders]
    rows.append("| **all** | " + " | ".join(f"**{t:,.0f}**" for t in totals) + " |")
    return "\n".join([header, rule, *rows])


def _landed(contenders: list[Contender]) -> str:
    lines = []
    for c in contenders:
        landed, answered = sum(r.landed for r in c.runs), sum(r.answered for r in c.runs)
        lines.append(f"- {c.name}: {landed:,} added for {answered:,} adds answered ({landed / answered:.1%})")
    return "\n".join(lines)


def _report(args, peer: Peer, oscar: Contender, ours: list[Contender], verified: str, machine: str) -> str:
    ratio_rows = []
    for contender in ours:
        median, spread = _ratio(contender, oscar)
        met = "met" if contender.median("rps") / oscar.median("rps") >= TARGET else "not met"
        ratio_rows.append(f"| {contender.name} ÷ {oscar.name} | **{median}** | {spread} | ≥ {TARGET} {TIMES} ({met}) |")
    versions = peer.versions
    connections = f"persistent connections for both, {peer.database.settings.get('CONN_MAX_AGE', 0)} s"
    versions_line = (
        f"django-oscar {versions.get('django-oscar', '?')}, Django {versions.get('django', '?')} (the peer) and "
        f"{django.get_version()} (this service), gunicorn {versions.get('gunicorn', '?')}, "
        f"mysqlclient {versions.get('mysqlclient', '?')}, django-haystack {versions.get('django-haystack', '?')}, "
        f"sorl-thumbnail {versions.get('sorl-thumbnail', '?')}"
    )
    return f"""# The peer, side by side

Produced by `make bench-peer` ({time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}); rerun it to refresh this page.

This service's add-to-cart next to the same action in an established Django shop:
[django-oscar](https://github.com/django-oscar/django-oscar) {PEER_VERSION}, adding a product to the basket
as a shopper's browser does. The peer is built for each run in a temporary folder outside
this repository (a virtualenv with `pip install`, a minimal Oscar project, its database
migrated) and removed afterwards; none of it is part of this repository.

**Machine:** {machine}.
**Servers:** the peer under gunicorn {_pin("gunicorn")}, {args.workers} sync workers; this service under
{bench_servers.SERVERS[args.server].label}, {args.workers} workers (`--server`); `DEBUG` off, on the same
machine; this service with production settings as `make bench` starts it; the peer with the
settings of Oscar's "Building your own shop" (Oscar's apps, middleware and context processors,
Haystack's simple backend, `ATOMIC_REQUESTS`), Django {versions.get("django", "?")}.
**Databases:** this service writes the `cartbench_*` databases, the peer writes {peer.database.label}
({connections}); the peer's sessions are {peer.sessions_backend}.
**Load:** wrk on the same machine, {THREADS} threads, {args.connections} connections, {args.seconds} s per run after a
{WARM_UP_SECONDS} s warm-up, {args.rounds} round(s); each round runs the peer, then this service. Each figure
is requests/s; the median is the median of the rounds.

- **{oscar.name}**: `POST /basket/add/<pk>/` with the form's fields (`csrfmiddlewaretoken`,
  `quantity=1`), the session cookie of one of {USERS} logged-in shoppers and the CSRF cookie
  their product page set; {args.products} product(s) with a partner, a stock record and a price.
  Oscar answers a redirect (302) to the basket: a 2xx or 3xx answer counts as served. Each wrk
  thread posts for its own half of the shoppers, so no two connections add to one basket at once.
  Before measuring, one add was checked end to end: {verified}.
- **this service**: `make bench`'s add scenario, `POST /api/v1/cart/items` with the token of
  one of {USERS} users, each adding one of a pool of SKUs of its own. An add answers once the
  cart is changed in Redis; the write-behind consumer writes it to MySQL after. "consumer
  running": that consumer (a Celery worker, as `make bench` starts it) writes the carts to
  MySQL on the same two cores while the load runs; without it, what the run left is written
  after the run.

Every run (warm-up too) starts from the baskets (carts) emptied.

{_table([oscar, *ours], args.rounds)}

"failed" counts answers other than 2xx/3xx and wrk's socket errors, all rounds.

| ratio (median requests/s) | measured | rounds' range | target |
|---|---:|---:|---:|
{chr(10).join(ratio_rows)}

What the measured runs left in the baskets (carts), against the adds wrk counted as answered
(an add in flight when wrk stops is done by the server but not counted, so a few more can land):

{_landed([oscar, *ours])}

Where each answered request's CPU went (medians of the rounds; `scripts/cpu_split.py`: each
part's processes from `/proc` before and after the measured run, wrk from the bench's own
children, the rest is the machine's busy time less all of them). Two cores for a second are
2,000,000 µs, so a request costing T µs of the machine allows at most 2,000,000 ÷ T per
second; a ratio between two contenders is the ratio of their totals when the cores are busy:

{_cpu_table([oscar, *ours])}

Versions: {versions_line}.

The load generator shares the two cores with the servers, so absolute figures are lower than
on a dedicated box; the ratio is what the run measures side by side. The machine's 1-minute
load average was {args.load_before:.2f} when the run began and {args.load_after:.2f} when it ended.

What the peer does for an add is its own: it loads the session, the user, the basket with its
lines and offers, the product and its stock record, writes the line, renders the message and
records the addition in its analytics, in one transaction. Its settings are Oscar's
recommended ones plus what this service has too (persistent database connections, sessions
cached in Redis); none of Oscar's work per add is switched off. With one product every add
after a basket's first updates that basket's line, and every add updates the product's
analytics row; `--products N` spreads the adds over N products.
"""


# --- the run ------------------------------------------------------------------------------------------


def _parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="each measured wrk run (after a 2 s warm-up)")
    parser.add_argument("--rounds", type=int, default=3, help="each round runs the peer, then this service")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="worker processes of each server")
    parser.add_argument(
        "--server",
        choices=sorted(bench_servers.SERVERS),
        default="gunicorn-sync",
        help="this service's server (the peer always runs under gunicorn's sync workers, as it documents)",
    )
    parser.add_argument("--products", type=int, default=1, help="the peer's products the adds go to, in turn")
    parser.add_argument(
        "--consumer",
        choices=["both", "off", "on"],
        default="both",
        help="this service's add without the write-behind consumer running (off), with it (on), or both runs",
    )
    parser.add_argument("--peer-sqlite", action="store_true", help="the peer on SQLite instead of MySQL")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (the peer's virtualenv)")
    parser.add_argument(
        "--peer-dir", type=Path, help="build (or reuse) the peer in this folder, outside the repository, and keep it"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "peer-benchmark.md")
    args = parser.parse_args()
    if args.peer_dir and args.peer_dir.resolve().is_relative_to(ROOT):
        parser.error("--peer-dir must be outside the repository")
    if USERS % THREADS:
        parser.error("the shoppers must split evenly between wrk's threads")
    return args


def _prepare_ours() -> tuple[list[str], list[tuple[int, int]], list[int]]:
    """This service's databases, schema, catalog and add users, as `make bench` prepares them."""
    created = bench._create_databases()
    print(f"this service: created databases {', '.join(created)}" if created else "this service: databases there")
    print("this service: schema, catalog and users …", flush=True)
    call_command("migrate_all", verbosity=0)
    call_command("loadcatalog", str(ROOT / "catalog" / "fixtures" / "demo_catalog.json"), verbosity=0)
    skus = list(Sku.objects.order_by("sku_id").values_list("item_id", "sku_id")[:120])
    tokens = bench._tokens(USER_LABEL, USERS, 0, skus)
    return tokens, skus, bench._user_ids(USER_LABEL)


def _cart_quantity(user_ids: list[int]) -> int:
    return sum(line.quantity for user_id in user_ids for line in bench._cart_lines(user_id))


def _verify_ours(port: int, token: str, skus: list[tuple[int, int]]) -> None:
    item_id, sku_id = skus[0]
    body = json.dumps({"item_id": item_id, "sku_id": sku_id, "quantity": 1})
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    status, _, text = _http(port, "POST", "/api/v1/cart/items", headers=headers, body=body)
    if not 200 <= status < 300:
        raise RuntimeError(f"this service: an add answered {status}: {text[:500]}")


def _run(args, folder: Path, processes: Processes, cleanup: contextlib.ExitStack) -> int:
    args.load_before = os.getloadavg()[0]
    busy = " (busy: the figures will be noisy)" if args.load_before > 1.5 else ""
    print(f"machine: 1-minute load average {args.load_before:.2f}{busy}", flush=True)
    tokens, skus, user_ids = _prepare_ours()
    peer = Peer(args.peer_dir or folder / "peer")
    peer.folder.mkdir(parents=True, exist_ok=True)
    redis_url = os.environ.get("REDIS_URL") or None
    peer.build(sqlite=args.peer_sqlite, redis_url=redis_url)
    print("peer: product, stock record, price and logged-in shoppers …", flush=True)
    cleanup.callback(_quietly, peer.tool, "forget")  # the shoppers' sessions, whatever ends the run
    data = json.loads(peer.tool("setup", str(USERS), str(args.products)).splitlines()[-1])
    products, sessions = data["products"], data["sessions"]

    peer_port, peer_pid = _serve(
        processes,
        f"{PEER} {PEER_VERSION}",
        lambda port: peer.argv(args.workers, port),
        cwd=peer.project,
        env=_peer_env(),
        log=folder / "peer-server.log",
        ready=products[0]["url"],
    )
    print(f"peer: opening the product page for {USERS} shoppers …", flush=True)
    shoppers, actions = zip(*(_shopper(peer_port, products[0], s) for s in sessions), strict=True)
    expected = f"/basket/add/{products[0]['pk']}/"
    if actions[0] != expected:
        raise RuntimeError(f"peer: the form posts to {actions[0]}, not {expected}")
    verified = _verify_peer_add(peer, peer_port, shoppers[0], actions[0], products[0])
    print(f"peer: one add checked: {verified}", flush=True)

    server = bench_servers.SERVERS[args.server]
    our_port, our_pid = _serve(
        processes,
        "this service",
        lambda port: server.argv(args.workers, port),
        cwd=ROOT,
        env=bench._server_env(bench._collect_static(folder)),
        log=folder / "service.log",
        ready="/healthz",
    )
    _verify_ours(our_port, tokens[0], skus)
    print("this service: one add checked", flush=True)

    peer_script, our_script = folder / "peer.lua", folder / "service.lua"
    peer_script.write_text(_peer_lua(list(shoppers), products))
    our_script.write_text(bench._lua(bench.ADD, tokens, skus))
    oscar = Contender(
        f"{PEER} {PEER_VERSION}: add to basket",
        peer_port,
        peer_script,
        prepare=lambda: peer.tool("reset"),
        landed=peer.basket_quantity,
        server_pid=peer_pid,
    )

    def contender(name: str) -> Contender:
        return Contender(
            name,
            our_port,
            our_script,
            prepare=lambda: bench._empty_carts(user_ids),
            landed=lambda: _cart_quantity(user_ids),
            server_pid=our_pid,
        )

    ours = []
    if args.consumer in ("both", "off"):
        ours.append(contender("this service: add to cart"))
    if args.consumer in ("both", "on"):
        consumer = ConsumerSwitch(processes, folder)
        with_consumer = contender("this service: add to cart, consumer running")
        with_consumer.enter, with_consumer.leave = consumer.on, consumer.off
        with_consumer.worker_pids = consumer.pids
        ours.append(with_consumer)

    for n in range(args.rounds):
        print(f"round {n + 1} of {args.rounds}", flush=True)
        for c in [oscar, *ours]:
            _round(c, args)

    print("writing what the runs left in the stream …", flush=True)
    persistence_drain_all(max_seconds=300)
    peer.tool("reset")
    bench._empty_carts(user_ids)
    persistence_drain_all(max_seconds=60)

    print(f"\nmedians over {args.rounds} round(s), {args.seconds} s each, wrk -t{THREADS} -c{args.connections}:")
    for c in [oscar, *ours]:
        print(
            f"  {c.name:44s} {c.median('rps'):7,.0f} req/s  p50 {c.median('p50_ms'):6.1f} ms  "
            f"p99 {c.median('p99_ms'):6.1f} ms"
        )
    for c in ours:
        median, spread = _ratio(c, oscar)
        print(f"  ratio {c.name} ÷ peer: {median} (rounds {spread}; target ≥ {TARGET} {TIMES})")
    args.load_after = os.getloadavg()[0]
    args.output.write_text(_report(args, peer, oscar, ours, verified, bench._machine()))
    print(f"\nwritten to {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    missing = [c.name for c in [oscar, *ours] for r in c.runs if r.landed < LANDED_MIN * r.answered]
    if missing:
        print(f"adds answered but not in the baskets (carts): {', '.join(sorted(set(missing)))}", file=sys.stderr)
        return 1
    return 0


def _quietly(action: Callable, *args) -> None:
    """A clean-up step that must not hide why the run ended."""
    try:
        action(*args)
    except Exception as exc:  # noqa: BLE001
        print(f"clean-up: {exc}", file=sys.stderr)


def _stop_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def main() -> int:
    args = _parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even where started with it ignored
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    folder = Path(tempfile.mkdtemp(prefix="cartpeer-"))
    if folder.resolve().is_relative_to(ROOT):
        print("the temporary folder must be outside the repository (TMPDIR)", file=sys.stderr)
        return 2
    try:
        with contextlib.ExitStack() as cleanup:
            processes = Processes()
            cleanup.callback(processes.stop_all)
            return _run(args, folder, processes, cleanup)
    except BaseException:
        if not args.keep:
            print("the run failed; --keep keeps the temporary folder with the servers' logs", file=sys.stderr)
        raise
    finally:
        if args.keep:
            print(f"kept {folder}", flush=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
