"""The global budget: leased by each process in the background, spent locally, and held
to the configured rate by several processes at once (real processes, real Redis)."""

import subprocess
import sys
import time

import pytest

from ops import global_budget
from ops.ratelimit import Limit, limit_set
from tests.api_client import ApiClient
from tests.conftest import db_all, db_all_tx
from tests.processes import ROOT, subprocess_env

# Spends the "non_core" budget as fast as it is granted from a shared start time, then
# prints what it was allowed and what it asked for.
SPENDER = """
import sys, time, django
django.setup()
from ops import global_budget
start_at, seconds = float(sys.argv[1]), float(sys.argv[2])
while time.time() < start_at:
    time.sleep(0.001)
allowed = asked = 0
while time.time() < start_at + seconds:
    asked += 1
    if global_budget.take("non_core"):
        allowed += 1
    else:
        time.sleep(0.0005)  # a refused client comes back a moment later
print(allowed, asked)
"""


@db_all
@pytest.mark.parametrize("processes", [2, 3])
def test_several_processes_together_get_the_configured_global_rate_within_ten_percent(processes):
    rate, burst, seconds = 300.0, 30, 5.0
    limit_set("non_core", Limit(user_rate=1e6, user_burst=1_000_000, global_rate=rate, global_burst=burst))
    start_at = time.time() + 3  # every process has started Django by then
    spenders = [
        subprocess.Popen(
            [sys.executable, "-c", SPENDER, str(start_at), str(seconds)],
            cwd=ROOT,
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    results = [tuple(int(n) for n in spender.communicate(timeout=60)[0].split()) for spender in spenders]

    allowed = [result[0] for result in results]
    asked = [result[1] for result in results]
    assert all(n > rate * seconds for n in asked)  # each asked for more than the whole budget
    measured_rate = (sum(allowed) - burst) / seconds  # the bucket starts full
    assert abs(measured_rate - rate) <= 0.1 * rate, (allowed, measured_rate)
    assert min(allowed) >= 0.5 * sum(allowed) / processes  # and no process is starved


@db_all_tx
def test_over_the_global_budget_an_add_is_429_system_busy_and_changes_nothing(settings):
    from core.redis_client import get_redis
    from ops.gate import _gate_script
    from tests.costs import count_redis

    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "core_write": {"user_rate": 100.0, "user_burst": 100, "global_rate": 0.001, "global_burst": 2},
    }
    api = ApiClient()
    statuses = [api.send("POST", "/api/v1/cart/items", {"item_id": 1, "sku_id": 1}).status_code for _ in range(2)]
    gate_script = _gate_script(get_redis())
    get_redis().script_load(gate_script.script)  # another test may have flushed Redis's script cache
    with count_redis() as redis_log:
        refused = api.send("POST", "/api/v1/cart/items", {"item_id": 1, "sku_id": 1})

    assert statuses == [200, 200]
    assert refused.status_code == 429 and refused.json()["code"] == "system_busy"
    assert int(refused["Retry-After"]) >= 1
    # Refused by this process's share: at most one lease on the request path (a dry
    # process asks again at most every 10 ms), and the token is still checked, so a
    # wrong one is 401, not 429. The add script never ran.
    assert redis_log.commands in (["EVALSHA"], ["EVALSHA", "EVALSHA"])
    assert api.get("/api/v1/cart").json()["items"][0]["quantity"] == 2


@db_all
def test_a_process_gives_back_what_it_leased_and_did_not_spend(settings):
    from core.redis_client import get_redis
    from ops.keys import rate_limit_global_key

    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "non_core": {"user_rate": 1.0, "user_burst": 1, "global_rate": 0.001, "global_burst": 100},
    }
    assert global_budget.take("non_core")  # the first lease: at least two tokens in hand
    time.sleep(settings.RATE_LIMIT_LEASE_SECONDS * 5)  # idle: the leases give back all but the floor
    global_budget.flush()

    level = float(get_redis().hget(rate_limit_global_key("non_core"), "tokens"))
    in_hand = global_budget._leaser().budget("non_core").tokens
    assert level + in_hand + 1 == pytest.approx(100, abs=0.01)  # nothing lost, nothing made up
    assert in_hand <= 2
