"""`make bench`: throughput and latency of the cart API next to floor endpoints.

Starts the web server (Granian, the server the image ships, unless ``--server`` names another) with
production settings on the configured databases and Redis, drives it with wrk from this
machine, and prints and records (docs/benchmarks.md) requests/s and p50/p99 for each
scenario, and Redis's time per request for the floor and the add. The floors (a bare
DRF view, a DRF view with one Redis script call, one with one HGETALL) and a naive
endpoint that writes MySQL synchronously run under the same server in the same run, so
the cart's figures read as ratios. Then every server of ``--servers`` runs the floors
and the main cart scenarios in turn, round after round, and the report compares them.
"""

import argparse
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("REDIS_KEY_PREFIX", "bench:")

import django  # noqa: E402

django.setup()

import bench_memory  # noqa: E402  (scripts/, this script's own folder)
import bench_servers  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from tqdm import tqdm  # noqa: E402

from accounts.services import token_create  # noqa: E402
from cart.engine import keys  # noqa: E402
from cart.engine.lines import line_id  # noqa: E402
from cart.engine.store import CartStore  # noqa: E402
from cart.persistence.write_behind import persistence_backlog, persistence_drain_all  # noqa: E402
from cart.selectors import cart_get, cart_get_raw  # noqa: E402
from cart.services import MergeEntry, cart_add_line, cart_merge, cart_remove_lines  # noqa: E402
from catalog.models import Sku  # noqa: E402
from config.worker import worker_command  # noqa: E402
from core.redis_client import get_redis  # noqa: E402

USERS_PER_SCENARIO = 100
PORT = int(os.environ.get("BENCH_PORT", "8099"))
WARM_UP_SECONDS = 2

# Each add user adds, at random, one of a pool of ADD_POOL SKUs of its own, one at a time,
# into a cart emptied before every wrk run. Over a 10 s run at 2,000 adds/s across 100
# users that is 200 adds a user: the cart ends with at most ADD_POOL = 40 lines (far
# under CART_MAX_LINES, 120), quantities average 200 / 40 = 5 and the largest of the 40
# stays near 13 (a binomial(200, 1/40) tail; 999, CART_MAX_QUANTITY, is out of reach).
# After k adds a cart holds 40 * (1 - (39/40)^k) lines: 25 after 40 adds, 35 after 80,
# 39 after 120, 40 after 200, so the share of adds that hit an existing line is 36 %,
# 57 %, 67 % and 80 %; about half at 600 to 800 adds/s. At 2,000/s no pool gives both ~40
# lines and half new lines (that would be 100 new lines a cart); the report prints the
# mix each run actually had.
ADD_POOL = 40


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    users: str  # which token set
    body: str | None = None  # Lua expression building the body, or a literal
    fresh_carts: bool = False  # every wrk run (warm-up too) starts from the users' carts emptied
    keyed: bool = False  # every request with an Idempotency-Key of its own, as mobile clients send


@dataclass
class Result:
    scenario: Scenario
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int  # completed requests (all rounds' sum in a median)
    redis_us: float  # Redis commands' time per request (INFO commandstats)
    redis_calls: float  # Redis commands per request, those run inside scripts included
    redis_cpu_us: float  # Redis main-thread CPU per request (INFO cpu)
    per_round: tuple["Result", ...] = ()  # a median's rounds, in order, for paired ratios


BARE_FLOOR = Scenario("floor: bare DRF view", "GET", "/api/bench/bare", "plain")
ONE_SCRIPT_FLOOR = Scenario("floor: DRF + one Redis script", "POST", "/api/bench/one-script", "plain", "'{}'")
HGETALL_FLOOR = Scenario("floor: DRF + one HGETALL (20 lines)", "GET", "/api/bench/hgetall", "lines20")
ADD = Scenario("add to cart", "POST", "/api/v1/cart/items", "adders", "add_body()", fresh_carts=True)
ADD_KEYED = replace(ADD, name="add to cart with an Idempotency-Key", keyed=True)
READ_1 = Scenario("cart read, 1 line", "GET", "/api/v1/cart", "lines1")
READ_20 = Scenario("cart read, 20 lines", "GET", "/api/v1/cart", "lines20")
READ_120 = Scenario("cart read, 120 lines", "GET", "/api/v1/cart", "lines120")
UPDATE = Scenario("update quantity (20-line carts)", "PATCH", "line_path()", "lines20", "quantity_body()")
SELECT = Scenario("select all (20-line carts)", "POST", "/api/v1/cart/selection", "lines20", "select_body()")
MERGE = Scenario("merge of 20 lines", "POST", "/api/v1/cart/merge", "lines20", "merge_body()")
SCENARIOS = [
    BARE_FLOOR,
    ONE_SCRIPT_FLOOR,
    HGETALL_FLOOR,
    ADD,
    ADD_KEYED,
    READ_1,
    READ_20,
    READ_120,
    UPDATE,
    SELECT,
    MERGE,
]
MUTATIONS = {ADD.name, ADD_KEYED.name, UPDATE.name, SELECT.name, MERGE.name}
NAIVE = Scenario("naive: add writing MySQL synchronously", "POST", "/api/bench/sync-mysql-add", "naive", "naive_body()")
# The same adds, and their floor, before any worker runs: what the request path alone
# costs, without the write-behind consumer and MySQL sharing the machine's cores.
ADD_ALONE = replace(ADD, name="add to cart, no write-behind consumer running")
FLOOR_ALONE = replace(ONE_SCRIPT_FLOOR, name="floor: DRF + one Redis script, no consumer running")
# What every server of the comparison runs: the floors and the main cart scenarios.
MATRIX = [BARE_FLOOR, ONE_SCRIPT_FLOOR, HGETALL_FLOOR, ADD, READ_20, READ_1, READ_120]


def _mysql_servers() -> dict[tuple, list[str]]:
    """The MySQL databases the settings name (DATABASE_URL, and CART_SHARD_URLS as the
    settings expand it to the 16 shards), by server (host, port, user, password)."""
    by_server: dict[tuple, list[str]] = {}
    for config in settings.DATABASES.values():
        if config["ENGINE"] == "django.db.backends.mysql":
            server = (config["HOST"] or "localhost", int(config["PORT"] or 3306), config["USER"], config["PASSWORD"])
            by_server.setdefault(server, []).append(config["NAME"])
    return by_server


@contextmanager
def _server_cursor(host: str, port: int, user: str, password: str):
    import MySQLdb  # only where a MySQL URL is configured (requirements/mysql.txt)

    # No database named: the connection must not need one of those it is to create.
    where = {"unix_socket": host} if host.startswith("/") else {"host": host, "port": port}
    connection = MySQLdb.connect(user=user, password=password or "", charset="utf8mb4", **where)
    try:
        yield connection.cursor()
    finally:
        connection.close()


def _create_databases() -> list[str]:
    """Create every MySQL database the settings name that its server does not have yet,
    so a fresh server does not stop migrate_all at "Unknown database". Returns the names
    created; other engines (SQLite creates its files itself) are left alone."""
    created = []
    for server, names in _mysql_servers().items():
        with _server_cursor(*server) as cursor:
            cursor.execute("SELECT schema_name FROM information_schema.schemata")
            existing = {row[0] for row in cursor.fetchall()}
            for name in [name for name in names if name not in existing]:
                quoted = "`" + name.replace("`", "``") + "`"
                cursor.execute(
                    f"CREATE DATABASE IF NOT EXISTS {quoted} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
                created.append(name)
    return created


@contextmanager
def _connection_headroom(threads: int):
    """Let each MySQL server take a connection per database from every request thread.

    A thread keeps one connection per database it touched (DB_CONN_MAX_AGE). The naive
    endpoint touches every shard, so its threads hold 17 connections each; with the 16
    shards on one server, as here, that server's limit (MariaDB's default is 151) is
    shared by what would be 16 servers' worth of connections, and the naive figure was
    "Too many connections" for one answer in eight. The bench raises the limit for the
    run where it may, and puts it back after."""
    raised = []
    for server, names in _mysql_servers().items():
        # Each request thread, the worker's threads and this process: a margin for the latter two.
        needed = threads * len(names) + 100
        with _server_cursor(*server) as cursor:
            cursor.execute("SELECT @@GLOBAL.max_connections")
            limit = int(cursor.fetchone()[0])
            if limit >= needed:
                continue
            try:
                cursor.execute(f"SET GLOBAL max_connections = {needed}")
            except Exception as error:  # noqa: BLE001 - a server we may not reconfigure is measured as it is
                print(f"{server[0]}:{server[1]}: max_connections {limit} is below {needed}: {error}", flush=True)
                continue
            print(f"{server[0]}:{server[1]}: max_connections {limit} raised to {needed} for the run", flush=True)
            raised.append((server, limit))
    try:
        yield
    finally:
        for server, limit in raised:
            with _server_cursor(*server) as cursor:
                cursor.execute(f"SET GLOBAL max_connections = {limit}")


def _tokens(label: str, count: int, lines: int, skus: list[tuple[int, int]]) -> list[str]:
    users = get_user_model().objects
    tokens = []
    for n in range(count):
        user, _ = users.get_or_create(username=f"bench-{label}-{n}")
        tokens.append(token_create(user).token)
        if lines:
            cart_merge(user_id=user.pk, entries=[MergeEntry(item_id=i, sku_id=s, quantity=1) for i, s in skus[:lines]])
            cart_get(user_id=user.pk)
    return tokens


def _lua(scenario: Scenario, tokens: list[str], skus: list[tuple[int, int]]) -> str:
    token_list = ",".join(f'"{t}"' for t in tokens)
    sku_list = ",".join(f"{{{i},{s}}}" for i, s in skus)
    body = scenario.body or "nil"
    path = scenario.path if scenario.path.endswith("()") else f'"{scenario.path}"'
    return f"""
local tokens = {{{token_list}}}
local skus = {{{sku_list}}}
local pool = {ADD_POOL}
local n = 0
-- Each wrk thread draws its own random sequence (they share the users).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end
function init(args)
  math.randomseed(thread_number or 1)
end
function add_body()
  -- User u's pool: ADD_POOL SKUs from its own offset, so carts differ between users.
  local u = n % #tokens
  local s = skus[((u * 7 + math.random(0, pool - 1)) % #skus) + 1]
  return '{{"item_id":' .. s[1] .. ',"sku_id":' .. s[2] .. ',"quantity":1}}'
end
function naive_body()
  return '{{"item_id":' .. ((n % 50) + 1) .. '}}'
end
function line_path()
  local s = skus[(n % 20) + 1]
  return "/api/v1/cart/items/" .. s[1] .. ":" .. s[2]
end
function quantity_body()
  return '{{"quantity":' .. ((n % 5) + 1) .. '}}'
end
function select_body()
  if n % 2 == 0 then return '{{"checked":true}}' end
  return '{{"checked":false}}'
end
function merge_body()
  local entries = {{}}
  for i = 1, 20 do
    entries[i] = '{{"item_id":' .. skus[i][1] .. ',"sku_id":' .. skus[i][2] .. ',"quantity":' .. ((n % 3) + 1) .. '}}'
  end
  return '{{"items":[' .. table.concat(entries, ",") .. ']}}'
end
request = function()
  n = n + 1
  wrk.headers["Authorization"] = "Token " .. tokens[(n % #tokens) + 1]
  wrk.headers["Content-Type"] = "application/json"
  if {"true" if scenario.keyed else "false"} then
    -- Unique across threads and runs: every request is a new one, never a retry.
    wrk.headers["Idempotency-Key"] = "{time.time_ns()}-" .. (thread_number or 1) .. "-" .. n
  end
  return wrk.format("{scenario.method}", {path}, nil, {body})
end
"""


def _user_ids(label: str) -> list[int]:
    """The ids of a token set's users, in the order of its tokens (``_tokens`` names them)."""
    names = [f"bench-{label}-{n}" for n in range(USERS_PER_SCENARIO)]
    ids = dict(get_user_model().objects.filter(username__in=names).values_list("username", "pk"))
    return [ids[name] for name in names]


def _cart_lines(user_id: int):
    # Straight from Redis: this process's hot-cart copy could predate the load's changes.
    raw = CartStore().read(user_id) or cart_get_raw(user_id=user_id)
    return raw.lines


def _empty_carts(user_ids: list[int]) -> int:
    """Remove every line of these carts through the cart's own service (one script call a
    cart, appended to the persistence stream like any change), so Redis and MySQL agree.
    Returns the number of carts that had lines (each a cart mutation)."""
    emptied = 0
    for user_id in user_ids:
        lines = _cart_lines(user_id)
        if lines:
            cart_remove_lines(user_id=user_id, ids=[line_id(line.item_id, line.sku_id) for line in lines])
            emptied += 1
    return emptied


def _add_mix(user_ids: list[int], adds: int) -> str:
    """What the adders' carts hold after a run, and so how many adds hit an existing line."""
    carts = [_cart_lines(user_id) for user_id in user_ids]
    lines = sum(len(cart) for cart in carts)
    largest = max((line.quantity for cart in carts for line in cart), default=0)
    existing = 1 - lines / adds if adds else 0
    return (
        f"{lines / len(carts):.0f} lines a cart on average (most {max(len(c) for c in carts)}), "
        f"largest quantity {largest}; {existing:.0%} of {adds:,} adds went to an existing line"
    )


def _median(runs: list[Result]) -> Result:
    """Median requests/s, latencies and Redis time of a scenario's rounds (each taken on its own)."""
    return Result(
        runs[0].scenario,
        statistics.median(r.rps for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        sum(r.errors for r in runs),
        sum(r.requests for r in runs),
        statistics.median(r.redis_us for r in runs),
        statistics.median(r.redis_calls for r in runs),
        statistics.median(r.redis_cpu_us for r in runs),
        tuple(runs),
    )


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


@dataclass
class WrkRun:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int  # completed, from wrk's "N requests in" line


def _wrk(script: Path, seconds: int, connections_: int) -> WrkRun:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections_}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{PORT}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return WrkRun(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        p99_ms=_ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        errors=int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0,
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
    )


@dataclass
class RedisUsage:
    """Redis's own account of its work so far: commands' time and calls (INFO
    commandstats, summed over every command), and its main thread's CPU (INFO cpu)."""

    usec: int
    calls: int
    cpu_us: float

    @classmethod
    def now(cls) -> "RedisUsage":
        client = get_redis()
        stats = client.info("commandstats").values()
        cpu = client.info("cpu")
        return cls(
            usec=sum(s["usec"] for s in stats),
            calls=sum(s["calls"] for s in stats),
            cpu_us=(cpu["used_cpu_user_main_thread"] + cpu["used_cpu_sys_main_thread"]) * 1e6,
        )

    def __sub__(self, other: "RedisUsage") -> "RedisUsage":
        return RedisUsage(self.usec - other.usec, self.calls - other.calls, self.cpu_us - other.cpu_us)


def _server_env(static_root: Path) -> dict[str, str]:
    """What every server under test runs with: production settings, as deployed."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-" + "x" * 50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        # Production settings serve pages with hashed static names: they need the manifest.
        "DJANGO_STATIC_ROOT": str(static_root),
        "BENCHMARK_ENDPOINTS": "1",
        "LOG_LEVEL": "WARNING",
        # A hundred users per scenario stand for a crowd: scale the per-user limits up so
        # the limiter runs on every request without refusing the load generator.
        "RATE_LIMIT_SCALE": "1000",
    }


def _collect_static(tmp: Path) -> Path:
    """Collect the static files as the image build does, so a page can be served."""
    static_root = tmp / "static"
    env = _server_env(static_root)
    command = [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return static_root


class Bench:
    """The wrk runs of one `make bench`: each scenario with its users, against whichever
    server listens on PORT."""

    def __init__(self, args, *, token_sets: dict[str, list[str]], skus: list[tuple[int, int]], tmp: Path):
        self.args = args
        self.token_sets = token_sets
        self.skus = skus
        self.tmp = tmp
        self.env = _server_env(_collect_static(tmp))
        self.adders = _user_ids("adders")
        self.mutations = 0  # cart mutations the runs made (adds … merges, and emptied carts)
        self.add_mix = ""  # what the last measured add run left in the carts

    def start_server(self, name: str):
        server = bench_servers.SERVERS[name]
        return bench_servers.start(
            server, workers=self.args.workers, port=PORT, env=self.env, root=ROOT, log=self.tmp / f"{name}.log"
        )

    def run(self, scenario: Scenario, server: str = "") -> Result:
        """A warm-up, then the measured run, with Redis's work counted around it alone."""
        script = self.tmp / "scenario.lua"
        script.write_text(_lua(scenario, self.token_sets[scenario.users], self.skus))
        self._prepare_carts(scenario)
        self._count(scenario, _wrk(script, WARM_UP_SECONDS, self.args.connections))
        self._prepare_carts(scenario)
        before = RedisUsage.now()
        run = _wrk(script, self.args.seconds, self.args.connections)
        redis = RedisUsage.now() - before
        self._count(scenario, run)
        if scenario.fresh_carts:
            self.add_mix = _add_mix(self.adders, run.requests - run.errors)
        result = Result(
            scenario,
            run.rps,
            run.p50_ms,
            run.p99_ms,
            run.errors,
            run.requests,
            redis.usec / run.requests,
            redis.calls / run.requests,
            redis.cpu_us / run.requests,
        )
        name = f"{server}: {scenario.name}" if server else scenario.name
        print(
            f"{name:64s} {result.rps:7,.0f} req/s  p50 {result.p50_ms:5.1f} ms  p99 {result.p99_ms:6.1f} ms  "
            f"non-2xx {result.errors}  Redis/req: {result.redis_us:5.1f} µs in {result.redis_calls:4.1f} commands, "
            f"CPU {result.redis_cpu_us:5.1f} µs",
            flush=True,
        )
        return result

    def _prepare_carts(self, scenario: Scenario) -> None:
        # Only the adders' carts are emptied: the other scenarios' carts keep their lines.
        if scenario.fresh_carts:
            self.mutations += _empty_carts(self.adders)

    def _count(self, scenario: Scenario, run: WrkRun) -> None:
        if scenario.name in MUTATIONS or scenario.fresh_carts:
            self.mutations += run.requests - run.errors

    def rounds(self, scenarios: list[Scenario], server: str = "") -> list[Result]:
        """Every scenario once per round, in order: the machine's drift during a run
        falls on all of them alike, and the medians drop the odd round."""
        runs: dict[str, list[Result]] = {s.name: [] for s in scenarios}
        for n in range(self.args.rounds):
            print(f"round {n + 1} of {self.args.rounds}", flush=True)
            for scenario in scenarios:
                runs[scenario.name].append(self.run(scenario, server))
        return [_median(runs[s.name]) for s in scenarios]

    def server_matrix(self, servers: list[str]) -> tuple[dict[str, list[Result]], dict[str, bench_servers.Fit]]:
        """MATRIX on every server, each round starting with the next server in turn, so
        the machine's drift and the order both fall on all of them alike. Each server is
        first checked for what it serves (a page, the API, the event stream)."""
        runs = {name: {s.name: [] for s in MATRIX} for name in servers}
        fits: dict[str, bench_servers.Fit] = {}
        for n in range(self.args.rounds):
            print(f"server comparison, round {n + 1} of {self.args.rounds}", flush=True)
            for name in servers[n % len(servers) :] + servers[: n % len(servers)]:
                process = self.start_server(name)
                try:
                    if name not in fits:
                        fits[name] = self._check_fit()
                        print(f"{name}: {fits[name]}", flush=True)
                    for scenario in MATRIX:
                        runs[name][scenario.name].append(self.run(scenario, name))
                finally:
                    bench_servers.stop(process)
        return {name: [_median(runs[name][s.name]) for s in MATRIX] for name in servers}, fits

    def _check_fit(self) -> bench_servers.Fit:
        user_id, (item_id, sku_id) = self.adders[0], self.skus[0]
        # The change the event stream must report; the adders' carts are emptied before use.
        return bench_servers.check_fit(
            PORT,
            self.token_sets["adders"][0],
            lambda: cart_add_line(user_id=user_id, item_id=item_id, sku_id=sku_id),
        )


def _wait_for_quiet_redis(max_seconds: float = 60, quiet_calls_per_second: int = 100) -> None:
    """Wait (at most ``max_seconds``) until Redis runs fewer than ``quiet_calls_per_second``
    commands a second: an idle consumer's blocking reads are a few a second."""
    deadline = time.monotonic() + max_seconds
    last = RedisUsage.now()
    while time.monotonic() < deadline:
        time.sleep(1)
        now = RedisUsage.now()
        if (now - last).calls < quiet_calls_per_second:
            return
        last = now
    print(f"Redis still busy after {max_seconds:.0f} s; measuring anyway", flush=True)


def _start_worker(metrics_dir: str) -> subprocess.Popen:
    """A Celery worker whose consumer thread persists the stream while the load runs."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": metrics_dir, "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        worker_command(queues=["bench-unused"], pool="solo", loglevel="WARNING"),
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )


def _lag_p99(metrics_dir: str) -> float | None:
    """p99 of cart_persist_lag_seconds from the worker's samples (bucket upper bound)."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=metrics_dir)
    buckets = sorted(
        (float(sample.labels["le"]), sample.value)
        for metric in registry.collect()
        if metric.name == "cart_persist_lag_seconds"
        for sample in metric.samples
        if sample.name.endswith("_bucket")
    )
    total = buckets[-1][1] if buckets else 0
    if not total:
        return None
    return next(le for le, count in buckets if count >= 0.99 * total)


def _write_statements() -> int:
    with connections["cart_00"].cursor() as cursor:
        cursor.execute("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_insert', 'Com_update', 'Com_delete')")
        return sum(int(value) for _, value in cursor.fetchall())


def _prewarm_figures(carts: int) -> str:
    """Write ``carts`` carts of 20 lines straight into the shards, then pre-warm them."""
    from datetime import timedelta

    from django.utils import timezone

    from cart.persistence.prewarm import carts_prewarm
    from core.sharding import shard_for_user

    first = 50_000_000
    now = timezone.now()
    by_shard: dict[str, list[int]] = {}
    for user_id in range(first, first + carts):
        by_shard.setdefault(shard_for_user(user_id), []).append(user_id)
    for alias, users in tqdm(by_shard.items(), desc="writing prewarm carts", unit="shard"):
        connection = connections[alias]
        adapt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM cart_item WHERE user_id >= {first}")
            cursor.execute(f"DELETE FROM cart WHERE user_id >= {first}")
            for start in range(0, len(users), 200):
                chunk = users[start : start + 200]
                rows = [
                    (u, 1000 + n, 200000 + n, 1, True, "9.99", "USD", "available", 1, adapt(now), adapt(now))
                    for u in chunk
                    for n in range(20)
                ]
                cursor.executemany(
                    "INSERT INTO cart_item (user_id, item_id, sku_id, quantity, checked, price_at_add, currency, "
                    "status, version, deleted, create_time, update_time) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s)",
                    rows,
                )
                cursor.executemany(
                    "INSERT INTO cart (user_id, version, update_time) VALUES (%s, %s, %s)",
                    [(u, 1, adapt(now)) for u in chunk],
                )
    from core.redis_client import get_redis

    client = get_redis()
    for start in range(first, first + carts, 1000):
        client.delete(*[keys.cart_key(u) for u in range(start, min(start + 1000, first + carts))])
    summary = carts_prewarm(active_since=timedelta(hours=1))
    return f"{summary} (20-line carts written for the purpose; target ≥ 5,000 carts/s)"


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    with connections["cart_00"].cursor() as cursor:
        cursor.execute("SELECT VERSION()" if connections["cart_00"].vendor == "mysql" else "SELECT sqlite_version()")
        database = f"{connections['cart_00'].vendor} {cursor.fetchone()[0]}"
    from core.redis_client import get_redis

    redis_version = get_redis().info("server")["redis_version"]
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {database}, Redis {redis_version}"


def _ratio_rows(by_name: dict[str, Result]) -> str:
    def ratio(a: Scenario, b: Scenario, figure: str = "rps") -> str:
        """The median of the rounds' ratios: each round measures both scenarios within a
        minute of each other, so a round on which the machine was slower for everything
        (seen here: every scenario down by a fifth) moves the pair together rather than
        whichever scenario's median it happens to decide."""
        if a.name not in by_name or b.name not in by_name:
            return "n/a", ""
        pairs = zip(by_name[a.name].per_round, by_name[b.name].per_round, strict=True)
        ratios = [getattr(x, figure) / getattr(y, figure) for x, y in pairs]
        return f"{statistics.median(ratios):.2f}", ", ".join(f"{r:.2f}" for r in ratios)

    targets = [
        ("add ÷ one-script floor, no consumer running", ratio(ADD_ALONE, FLOOR_ALONE), "≥ 0.9"),
        ("add ÷ one-script floor (with consumer)", ratio(ADD, ONE_SCRIPT_FLOOR), "≥ 0.85"),
        ("read(20) ÷ HGETALL floor", ratio(READ_20, HGETALL_FLOOR), "≥ 0.95"),
        ("read(1) ÷ read(120)", ratio(READ_1, READ_120), "≤ 1.3"),
        ("add ÷ synchronous-MySQL add", ratio(ADD, NAIVE), "≥ 2.5"),
        ("add, no consumer running ÷ synchronous-MySQL add", ratio(ADD_ALONE, NAIVE), "—"),
        # Main-thread CPU is the basis: it includes what each call costs Redis before any
        # command runs (reading the request, writing the reply), which is what one call
        # instead of two saves; commands' time counts a script's inner commands twice.
        (
            "Redis CPU per add ÷ per floor request, no consumer (main-thread CPU)",
            ratio(ADD_ALONE, FLOOR_ALONE, "redis_cpu_us"),
            "≤ 1.4",
        ),
        ("the same from commands' time (INFO commandstats)", ratio(ADD_ALONE, FLOOR_ALONE, "redis_us"), "—"),
    ]
    return "\n".join(f"| {label} | {measured} | {rounds} | {target} |" for label, (measured, rounds), target in targets)


def _redis_section(by_name: dict[str, Result]) -> str:
    floor, add = by_name[FLOOR_ALONE.name], by_name[ADD_ALONE.name]
    floor_with, add_with = by_name[ONE_SCRIPT_FLOOR.name], by_name[ADD.name]
    rows = [
        ("floor: one Redis script, no consumer running", floor),
        ("add, no consumer running", add),
        ("floor: one Redis script, consumer running", floor_with),
        ("add, consumer running (total)", add_with),
    ]
    table = "\n".join(
        f"| {label} | {r.redis_us:.1f} | {r.redis_calls:.1f} | {r.redis_cpu_us:.1f} |" for label, r in rows
    )
    share = (
        f"| the consumer's share per add | {add_with.redis_us - add.redis_us:.1f} "
        f"| {add_with.redis_calls - add.redis_calls:.1f} | {add_with.redis_cpu_us - add.redis_cpu_us:.1f} |"
    )
    return f"""| Redis per request | commands' time, µs | commands | main-thread CPU, µs |
|---|---:|---:|---:|
{table}
{share}

Around each measured run (not the warm-up) the bench reads `INFO commandstats` (`usec` and
`calls` summed over all commands) and `INFO cpu` (Redis's main thread, user + system), and
divides the difference by the requests wrk completed; each figure is the median of its
rounds. The consumer's share is derived, not measured on its own: the figure per add with
the consumer running minus the figure per add with none running. Redis 7 counts a command
a script runs both in the script's time and under its own name, so commands' time counts
scripts' inner commands twice; it leaves out what Redis spends outside commands (reading
requests, writing replies: a cost per round trip), which main-thread CPU includes. Both
count every client of the Redis server: nothing else should be using it during the run."""


def _geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


def _ranking(matrix: dict[str, list[Result]]) -> list[tuple[str, float]]:
    """Servers, fastest first, by the geometric mean of their scenarios' requests/s (every
    scenario weighs alike, whatever its own speed)."""
    return sorted(((name, _geomean([r.rps for r in results])) for name, results in matrix.items()), key=lambda x: -x[1])


def _verdict(matrix: dict[str, list[Result]], fits: dict[str, bench_servers.Fit]) -> str:
    ranking = _ranking(matrix)
    fastest, best = ranking[0]
    lines = [f"Fastest: **{fastest}** (geometric mean {best:,.0f} requests/s)"]
    if len(ranking) > 1:
        second, figure = ranking[1]
        lines[0] += f", {best / figure - 1:.0%} above {second}, the next."
    serving = [(name, figure) for name, figure in ranking if fits[name].serves_all]
    if not serving:
        lines.append("No server measured serves a page, the API and a live event stream by itself.")
    elif serving[0][0] == fastest:
        lines.append(f"{fastest} also serves a page, the API and a live event stream by itself.")
    else:
        name, figure = serving[0]
        lines.append(
            f"Fastest that serves a page, the API and a live event stream by itself: **{name}** "
            f"({figure:,.0f} requests/s, {1 - figure / best:.0%} below {fastest}). A server without "
            "the live stream needs an ASGI server beside it for `/api/v1/cart/events` "
            "(docs/sync-and-sharing.md)."
        )
    return "\n".join(lines)


def _matrix_section(matrix: dict[str, list[Result]], fits: dict[str, bench_servers.Fit], workers: int) -> str:
    names = list(matrix)
    header = "| scenario | " + " | ".join(names) + " |\n|---|" + "---:|" * len(names)
    rows = [
        f"| {scenario.name} | " + " | ".join(f"{matrix[n][i].rps:,.0f}" for n in names) + " |"
        for i, scenario in enumerate(MATRIX)
    ]
    means = dict(_ranking(matrix))
    rows.append("| geometric mean | " + " | ".join(f"**{means[n]:,.0f}**" for n in names) + " |")
    errors = {n: sum(r.errors for r in matrix[n]) for n in names}
    rows.append("| non-2xx (all rounds) | " + " | ".join(str(errors[n]) for n in names) + " |")
    labels = "\n".join(f"- **{n}**: {bench_servers.SERVERS[n].label}" for n in names)
    fit_rows = "\n".join(
        f"| {n} | {fits[n].page} | {fits[n].api} | {fits[n].events} | {fits[n].refusals} |" for n in names
    )
    return f"""## Servers

The same floors and cart scenarios on each server, {workers} workers each, production
settings, the write-behind consumer running; requests/s, the median of the rounds, each
round starting with the next server in turn.

{labels}

{header}
{chr(10).join(rows)}

{_verdict(matrix, fits)}

What each serves (`GET /`, `GET /api/v1/cart`, and `GET /api/v1/cart/events`: "live" when
the stream stays open and reports a change made after it began), and what it answers
itself to a malformed request, before Django (the API wants JSON; gunicorn gets it from
gunicorn.conf.py, which only gunicorn reads):

| server | page | API | event stream | its own answer to a malformed request |
|---|---|---|---|---|
{fit_rows}"""


def _write_report(report: dict, args, machine: str) -> str:
    results = report["results"]
    by_name = {r.scenario.name: r for r in results}
    rows = "\n".join(
        f"| {r.scenario.name} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} |" for r in results
    )
    servers = _matrix_section(report["matrix"], report["fits"], args.workers) if report["matrix"] else ""
    return f"""# Benchmarks

Produced by `make bench` ({time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}); rerun it to refresh this page.

**Machine:** {machine}.
**Server:** {bench_servers.SERVERS[args.server].label}, {args.workers} workers, production settings, `DEBUG` off.
**Load:** wrk on the same machine, 2 threads, {args.connections} connections, {args.seconds} s per scenario
after a {WARM_UP_SECONDS} s warm-up, in {args.rounds} rounds (each figure is the median of its rounds);
{USERS_PER_SCENARIO} users per scenario, each request with its user's token.
The load generator shares the two cores with the server, so absolute figures are lower than
on a dedicated box; compare the ratios, which the same run measures side by side.
Every add run (warm-up too) starts from the add users' carts emptied; each user adds, at
random, one of {ADD_POOL} SKUs of its own. The last measured add run left {report["add_mix"]}.

| scenario | requests/s | p50 ms | p99 ms | non-2xx (all rounds) |
|---|---:|---:|---:|---:|
{rows}

| ratio | measured (median of the rounds' ratios) | each round's | target |
|---|---:|---:|---:|
{_ratio_rows(by_name)}

{_redis_section(by_name)}

Write-behind: {report["drain_line"]}

{report["memory"]}

Pre-warm: {report["prewarm_line"]}

{servers}
"""


def _parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="worker processes, the same for every server")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--prewarm-carts", type=int, default=20_000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="every scenario runs once per round; the report takes the medians"
    )
    names = list(bench_servers.SERVERS)
    # The main table and its targets are measured on the server the image and
    # docker-compose ship (Granian); the comparison below it shows the others.
    parser.add_argument("--server", choices=names, default="granian", help="the server of the main table")
    parser.add_argument(
        "--servers",
        type=lambda text: [name for name in text.split(",") if name],
        default=names,
        help=f"comma-separated servers to compare (default: all, {','.join(names)}); empty for none",
    )
    args = parser.parse_args()
    unknown = set(args.servers) - set(names)
    if unknown:
        parser.error(f"unknown --servers: {', '.join(sorted(unknown))} (known: {', '.join(names)})")
    return args


def _prepare() -> tuple[dict[str, list[str]], list[tuple[int, int]]]:
    """Databases, schema, catalog, bench users with their carts; returns the token sets
    and the SKUs the scenarios use."""
    created = _create_databases()
    print(f"created databases: {', '.join(created)}" if created else "databases: all there", flush=True)
    print("preparing: schema, catalog, bench users and their carts …", flush=True)
    call_command("migrate_all", verbosity=0)
    call_command("loadcatalog", str(ROOT / "catalog" / "fixtures" / "demo_catalog.json"), verbosity=0)
    skus = list(Sku.objects.order_by("sku_id").values_list("item_id", "sku_id")[:120])
    token_sets = {}
    for label, lines in tqdm(
        [("plain", 0), ("adders", 0), ("naive", 0), ("lines1", 1), ("lines20", 20), ("lines120", 120)],
        desc="users",
        unit="set",
    ):
        token_sets[label] = _tokens(label, USERS_PER_SCENARIO, lines, skus)
    persistence_drain_all(max_seconds=120)
    return token_sets, skus


def _measure(bench: Bench, args, metrics_dir: str) -> dict:
    """The main table on ``args.server``, then the server comparison."""
    report: dict = {}
    server = bench.start_server(args.server)
    worker = None
    try:
        alone = bench.rounds([FLOOR_ALONE, ADD_ALONE])
        # Measured before any consumer runs: it deletes the entries it has written.
        report["stream_memory"] = bench_memory.stream_memory()
        print("writing what that left in the stream …", flush=True)
        persistence_drain_all(max_seconds=300)
        worker = _start_worker(metrics_dir)
        time.sleep(3)  # its consumer thread is reading before the measured run starts
        # It first checks the lines the adds queued for a catalog check: done before the
        # runs start, so that work is not counted against the first floors.
        _wait_for_quiet_redis()
        before, mutations_before = _write_statements(), bench.mutations
        results = bench.rounds(SCENARIOS)
        report["add_mix"] = bench.add_mix
        report["idempotency_memory"] = bench_memory.idempotency_memory(bench.adders)
        mutations = bench.mutations - mutations_before
        # Let the worker finish writing what the run produced before counting statements.
        deadline = time.monotonic() + 300
        while persistence_backlog() and time.monotonic() < deadline:
            time.sleep(0.2)
        statements = _write_statements() - before
        results += bench.rounds([NAIVE])
        report["results"] = results + alone
        bench_servers.stop(server)
        server = None
        report["matrix"], report["fits"] = bench.server_matrix(args.servers) if args.servers else ({}, {})
    finally:
        if server is not None:
            bench_servers.stop(server)
        if worker is not None:
            bench_servers.stop(worker, timeout=30)
    lag = _lag_p99(metrics_dir)
    report["drain_line"] = (
        f"write-behind lag p99 ≤ {lag * 1000:.0f} ms (bucket bound; from a change in Redis to its commit "
        f"in MySQL, one worker consuming while the load ran); "
        f"{statements * 1000 / mutations if mutations else 0:.1f} MySQL write statements per 1,000 cart "
        f"mutations ({statements:,} for {mutations:,}, warm-ups and the emptying of the add users' carts included)."
        if lag is not None
        else "no write-behind samples were recorded."
    )
    return report


def _print_servers(report: dict) -> None:
    if not report["matrix"]:
        return
    print("\nservers (geometric mean of requests/s over the comparison's scenarios):")
    for name, figure in _ranking(report["matrix"]):
        fit = report["fits"][name]
        print(
            f"  {name:18s} {figure:7,.0f}  page {fit.page}; API {fit.api}; events {fit.events}; "
            f"malformed request → {fit.refusals}"
        )
    print(_verdict(report["matrix"], report["fits"]).replace("**", ""))


def main() -> int:
    # A stopped bench (kill, a CI timeout) still stops its servers and worker and puts
    # back what it changed on the database servers: the `finally` blocks run on exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = _parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    token_sets, skus = _prepare()
    metrics_dir = tempfile.mkdtemp(prefix="bench-metrics-")
    request_threads = args.workers * max(bench_servers.GRANIAN_THREADS, bench_servers.GTHREAD_THREADS)
    with tempfile.TemporaryDirectory() as tmp, _connection_headroom(request_threads):
        bench = Bench(args, token_sets=token_sets, skus=skus, tmp=Path(tmp))
        report = _measure(bench, args, metrics_dir)
    print(report["drain_line"])
    report["memory"] = bench_memory.memory_section(
        bench_memory.cart_memory({lines: _user_ids(f"lines{lines}") for lines in (1, 20, 120)}),
        report["stream_memory"],
        report["idempotency_memory"],
        bench_memory.other_per_user_memory(bench.adders),
    )
    print(report["memory"])
    report["prewarm_line"] = _prewarm_figures(args.prewarm_carts) if args.prewarm_carts else "not run"
    print(f"prewarm: {report['prewarm_line']}")
    _print_servers(report)
    args.output.write_text(_write_report(report, args, _machine()))
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
