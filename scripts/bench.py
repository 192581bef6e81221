"""`make bench`: throughput and latency of the cart API next to floor endpoints.

Starts gunicorn with production settings on the configured databases and Redis, drives
it with wrk from this machine, and prints and records (docs/benchmarks.md) requests/s
and p50/p99 for each scenario. The floors (a bare DRF view, a DRF view with one Redis
script call, one with one HGETALL) and a naive endpoint that writes MySQL synchronously
run under the same server in the same run, so the cart's figures read as ratios.
"""

import argparse
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
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("REDIS_KEY_PREFIX", "bench:")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from knox.models import AuthToken  # noqa: E402
from tqdm import tqdm  # noqa: E402

from cart.engine import keys  # noqa: E402
from cart.persistence.write_behind import persistence_backlog, persistence_drain_all  # noqa: E402
from cart.selectors import cart_get  # noqa: E402
from cart.services import MergeEntry, cart_merge  # noqa: E402
from catalog.models import Sku  # noqa: E402
from config.worker import worker_command  # noqa: E402

USERS_PER_SCENARIO = 100
PORT = int(os.environ.get("BENCH_PORT", "8099"))


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    users: str  # which token set
    body: str | None = None  # Lua expression building the body, or a literal


@dataclass
class Result:
    scenario: Scenario
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


ONE_SCRIPT_FLOOR = Scenario("floor: DRF + one Redis script", "POST", "/api/bench/one-script", "plain", "'{}'")
ADD = Scenario("add to cart", "POST", "/api/v1/cart/items", "adders", "add_body()")
SCENARIOS = [
    Scenario("floor: bare DRF view", "GET", "/api/bench/bare", "plain"),
    ONE_SCRIPT_FLOOR,
    Scenario("floor: DRF + one HGETALL (20 lines)", "GET", "/api/bench/hgetall", "lines20"),
    ADD,
    Scenario("cart read, 1 line", "GET", "/api/v1/cart", "lines1"),
    Scenario("cart read, 20 lines", "GET", "/api/v1/cart", "lines20"),
    Scenario("cart read, 120 lines", "GET", "/api/v1/cart", "lines120"),
    Scenario("update quantity (20-line carts)", "PATCH", "line_path()", "lines20", "quantity_body()"),
    Scenario("select all (20-line carts)", "POST", "/api/v1/cart/selection", "lines20", "select_body()"),
    Scenario("merge of 20 lines", "POST", "/api/v1/cart/merge", "lines20", "merge_body()"),
]
MUTATIONS = {ADD.name, "update quantity (20-line carts)", "select all (20-line carts)", "merge of 20 lines"}
NAIVE = Scenario("naive: add writing MySQL synchronously", "POST", "/api/bench/sync-mysql-add", "naive", "naive_body()")
# The same adds, and their floor, before any worker runs: what the request path alone
# costs, without the write-behind consumer and MySQL sharing the machine's cores.
ADD_ALONE = replace(ADD, name="add to cart, no write-behind consumer running")
FLOOR_ALONE = replace(ONE_SCRIPT_FLOOR, name="floor: DRF + one Redis script, no consumer running")


def _tokens(label: str, count: int, lines: int, skus: list[tuple[int, int]]) -> list[str]:
    users = get_user_model().objects
    tokens = []
    for n in range(count):
        user, _ = users.get_or_create(username=f"bench-{label}-{n}")
        _, token = AuthToken.objects.create(user=user)
        tokens.append(token)
        if lines:
            cart_merge(user_id=user.pk, entries=[MergeEntry(item_id=i, sku_id=s, quantity=1) for i, s in skus[:lines]])
            cart_get(user_id=user.pk)
    return tokens


def _lua(scenario: Scenario, tokens: list[str], skus: list[tuple[int, int]]) -> str:
    token_list = ",".join(f'"{t}"' for t in tokens)
    sku_list = ",".join(f"{{{i},{s}}}" for i, s in skus[:50])
    body = scenario.body or "nil"
    path = scenario.path if scenario.path.endswith("()") else f'"{scenario.path}"'
    return f"""
local tokens = {{{token_list}}}
local skus = {{{sku_list}}}
local n = 0
function add_body()
  local s = skus[(n % #skus) + 1]
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
  return wrk.format("{scenario.method}", {path}, nil, {body})
end
"""


def _median(runs: list[Result]) -> Result:
    """Median requests/s and latencies of a scenario's rounds (each taken on its own)."""
    return Result(
        runs[0].scenario,
        statistics.median(r.rps for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        sum(r.errors for r in runs),
    )


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk(script: Path, seconds: int, connections_: int) -> tuple[float, float, float, int]:
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
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    return rps, p50, p99, errors


def _start_server(workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-" + "x" * 50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "BENCHMARK_ENDPOINTS": "1",
        "LOG_LEVEL": "WARNING",
        # A hundred users per scenario stand for a crowd: scale the per-user limits up so
        # the limiter runs on every request without refusing the load generator.
        "RATE_LIMIT_SCALE": "1000",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


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


def _write_report(results: list[Result], args, machine: str, drain_line: str, prewarm_line: str) -> str:
    by_name = {r.scenario.name: r for r in results}

    def ratio(a: str, b: str) -> str:
        return f"{by_name[a].rps / by_name[b].rps:.2f}" if a in by_name and b in by_name else "n/a"

    rows = "\n".join(
        f"| {r.scenario.name} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} |" for r in results
    )
    targets = [
        ("add ÷ one-script floor", ADD.name, ONE_SCRIPT_FLOOR.name, "≥ 0.9"),
        ("read(20) ÷ HGETALL floor", "cart read, 20 lines", "floor: DRF + one HGETALL (20 lines)", "≥ 0.9"),
        ("read(1) ÷ read(120)", "cart read, 1 line", "cart read, 120 lines", "≤ 2"),
        ("add ÷ synchronous-MySQL add", ADD.name, NAIVE.name, "≥ 2.5"),
        ("add ÷ one-script floor, no consumer running", ADD_ALONE.name, FLOOR_ALONE.name, "—"),
        ("add, no consumer running ÷ synchronous-MySQL add", ADD_ALONE.name, NAIVE.name, "—"),
    ]
    ratios = "\n".join(f"| {label} | {ratio(a, b)} | {target} |" for label, a, b, target in targets)
    return f"""# Benchmarks

Produced by `make bench` ({time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}); rerun it to refresh this page.

**Machine:** {machine}.
**Server:** gunicorn, {args.workers} sync workers, production settings, `DEBUG` off.
**Load:** wrk on the same machine, 2 threads, {args.connections} connections, {args.seconds} s per scenario
after a 2 s warm-up, in {args.rounds} rounds (each figure is the median of its rounds);
{USERS_PER_SCENARIO} users per scenario, each request with its user's token.
The load generator shares the two cores with the server, so absolute figures are lower than
on a dedicated box; compare the ratios, which the same run measures side by side.

| scenario | requests/s | p50 ms | p99 ms | non-2xx (all rounds) |
|---|---:|---:|---:|---:|
{rows}

| ratio | measured | target |
|---|---:|---:|
{ratios}

Write-behind: {drain_line}

Pre-warm: {prewarm_line}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--prewarm-carts", type=int, default=20_000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="every scenario runs once per round; the report takes the medians"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2

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

    metrics_dir = tempfile.mkdtemp(prefix="bench-metrics-")
    server = _start_server(args.workers)
    worker = None

    def run(scenario: Scenario, tmp: str) -> Result:
        script = Path(tmp) / "scenario.lua"
        script.write_text(_lua(scenario, token_sets[scenario.users], skus))
        _wrk(script, 2, args.connections)
        rps, p50, p99, errors = _wrk(script, args.seconds, args.connections)
        print(
            f"{scenario.name:52s} {rps:9,.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  non-2xx {errors}", flush=True
        )
        return Result(scenario, rps, p50, p99, errors)

    def rounds(scenarios: list[Scenario], tmp: str) -> list[Result]:
        """Every scenario once per round, in order: the machine's drift during a run
        falls on all of them alike, and the medians drop the odd round."""
        runs: dict[str, list[Result]] = {s.name: [] for s in scenarios}
        for n in range(args.rounds):
            print(f"round {n + 1} of {args.rounds}", flush=True)
            for scenario in scenarios:
                runs[scenario.name].append(run(scenario, tmp))
        return [_median(runs[s.name]) for s in scenarios]

    try:
        with tempfile.TemporaryDirectory() as tmp:
            alone = rounds([FLOOR_ALONE, ADD_ALONE], tmp)
            print("writing what that left in the stream …", flush=True)
            persistence_drain_all(max_seconds=300)
            worker = _start_worker(metrics_dir)
            time.sleep(3)  # its consumer thread is reading before the measured run starts
            before = _write_statements()
            results = rounds(SCENARIOS, tmp)
            mutations = sum(int(r.rps * args.seconds * args.rounds) for r in results if r.scenario.name in MUTATIONS)
            # Let the worker finish writing what the run produced before counting statements.
            deadline = time.monotonic() + 300
            while persistence_backlog() and time.monotonic() < deadline:
                time.sleep(0.2)
            statements = _write_statements() - before
            results += rounds([NAIVE], tmp)
            results += alone
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)

    lag = _lag_p99(metrics_dir)
    drain_line = (
        f"write-behind lag p99 ≤ {lag * 1000:.0f} ms (bucket bound; from a change in Redis to its commit "
        f"in MySQL, one worker consuming while the load ran); "
        f"{statements * 1000 / mutations if mutations else 0:.1f} MySQL write statements per 1,000 cart "
        f"mutations ({statements:,} for about {mutations:,})."
        if lag is not None
        else "no write-behind samples were recorded."
    )
    print(drain_line)
    prewarm_line = _prewarm_figures(args.prewarm_carts) if args.prewarm_carts else "not run"
    print(f"prewarm: {prewarm_line}")
    report = _write_report(results, args, _machine(), drain_line, prewarm_line)
    args.output.write_text(report)
    print(f"\nwritten to {args.output.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
