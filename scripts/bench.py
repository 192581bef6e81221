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
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
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

from cart.persistence import persistence_backlog, persistence_drain_all  # noqa: E402
from cart.selectors import cart_get  # noqa: E402
from cart.services import MergeEntry, cart_merge  # noqa: E402
from catalog.models import Sku  # noqa: E402

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


SCENARIOS = [
    Scenario("floor: bare DRF view", "GET", "/api/bench/bare", "plain"),
    Scenario("floor: DRF + one Redis script", "POST", "/api/bench/one-script", "plain", "'{}'"),
    Scenario("floor: DRF + one HGETALL (20 lines)", "GET", "/api/bench/hgetall", "lines20"),
    Scenario("add to cart", "POST", "/api/v1/cart/items", "adders", "add_body()"),
    Scenario("cart read, 1 line", "GET", "/api/v1/cart", "lines1"),
    Scenario("cart read, 20 lines", "GET", "/api/v1/cart", "lines20"),
    Scenario("cart read, 120 lines", "GET", "/api/v1/cart", "lines120"),
    Scenario("naive: add writing MySQL synchronously", "POST", "/api/bench/sync-mysql-add", "naive", "naive_body()"),
]


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
request = function()
  n = n + 1
  wrk.headers["Authorization"] = "Token " .. tokens[(n % #tokens) + 1]
  wrk.headers["Content-Type"] = "application/json"
  return wrk.format("{scenario.method}", "{scenario.path}", nil, {body})
end
"""


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
    from ops.redis_client import get_redis

    redis_version = get_redis().info("server")["redis_version"]
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {database}, Redis {redis_version}"


def _write_report(results: list[Result], args, machine: str, drain_line: str) -> str:
    by_name = {r.scenario.name: r for r in results}

    def ratio(a: str, b: str) -> str:
        return f"{by_name[a].rps / by_name[b].rps:.2f}" if a in by_name and b in by_name else "n/a"

    rows = "\n".join(
        f"| {r.scenario.name} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} |" for r in results
    )
    targets = [
        ("add ÷ one-script floor", "add to cart", "floor: DRF + one Redis script", "≥ 0.9"),
        ("read(20) ÷ HGETALL floor", "cart read, 20 lines", "floor: DRF + one HGETALL (20 lines)", "≥ 0.9"),
        ("read(1) ÷ read(120)", "cart read, 1 line", "cart read, 120 lines", "≤ 2"),
        ("add ÷ synchronous-MySQL add", "add to cart", "naive: add writing MySQL synchronously", "≥ 2.5"),
    ]
    ratios = "\n".join(f"| {label} | {ratio(a, b)} | {target} |" for label, a, b, target in targets)
    return f"""# Benchmarks

Produced by `make bench` ({time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}); rerun it to refresh this page.

**Machine:** {machine}.
**Server:** gunicorn, {args.workers} sync workers, production settings, `DEBUG` off.
**Load:** wrk on the same machine, 2 threads, {args.connections} connections, {args.seconds} s per scenario
after a 2 s warm-up; {USERS_PER_SCENARIO} users per scenario, each request with its user's token.
The load generator shares the two cores with the server, so absolute figures are lower than
on a dedicated box; compare the ratios, which the same run measures side by side.

| scenario | requests/s | p50 ms | p99 ms | non-2xx |
|---|---:|---:|---:|---:|
{rows}

| ratio | measured | target |
|---|---:|---:|
{ratios}

Write-behind: {drain_line}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
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

    server = _start_server(args.workers)
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for scenario in SCENARIOS:
                script = Path(tmp) / "scenario.lua"
                script.write_text(_lua(scenario, token_sets[scenario.users], skus))
                _wrk(script, 2, args.connections)
                rps, p50, p99, errors = _wrk(script, args.seconds, args.connections)
                result = Result(scenario, rps, p50, p99, errors)
                results.append(result)
                print(
                    f"{scenario.name:45s} {rps:9,.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  non-2xx {errors}",
                    flush=True,
                )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)

    backlog = persistence_backlog()
    started = time.monotonic()
    drained = persistence_drain_all(max_seconds=600)
    seconds = time.monotonic() - started
    drain_line = (
        f"{backlog:,} stream messages left by the run were persisted in {seconds:.1f} s "
        f"({drained.written / seconds if seconds else 0:,.0f} messages/s, one consumer, batches of 500)."
    )
    print(drain_line)
    report = _write_report(results, args, _machine(), drain_line)
    args.output.write_text(report)
    print(f"\nwritten to {args.output.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
