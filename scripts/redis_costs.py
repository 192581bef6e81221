"""Redis's CPU per call of each request-path operation, for sizing (docs/scaling.md).

Runs each operation N times through the project's own services, one call per round
trip as a request makes it, and reads Redis's own accounting around each run:
``INFO cpu`` (the server process's user + system time: commands, parsing, I/O) and
``INFO commandstats`` for the one command the operation sends (time inside it, its
script's commands included; Redis also counts those under their own names, so summing
every command would count them twice). Redis must be otherwise idle: the figures are
deltas of server-wide counters.

    .venv/bin/python scripts/redis_costs.py [--calls 5000]
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("REDIS_KEY_PREFIX", "costs:")
# One user makes thousands of calls a second here: limits high enough to be taken, never to refuse.
os.environ.setdefault("RATE_LIMIT_SCALE", "1000")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from tqdm import tqdm  # noqa: E402

from accounts.authentication import CachedTokenAuthentication  # noqa: E402
from accounts.services import token_create  # noqa: E402
from cart.engine import keys  # noqa: E402
from cart.engine.store import CartStore  # noqa: E402
from cart.selectors import cart_get_raw  # noqa: E402
from cart.services import MergeEntry, cart_add_line, cart_merge, cart_remove_lines  # noqa: E402
from catalog.models import Sku  # noqa: E402
from core.redis_client import get_redis  # noqa: E402
from ops import global_budget  # noqa: E402
from ops.gate import gate_pass  # noqa: E402
from ops.ratelimit import caller_bucket  # noqa: E402


class Request:
    """What authentication hangs the gate on."""


def _gate(token: str, endpoint_class: str):
    """The gate a cart request with this token gets: pending, with the caller's bucket."""
    request = Request()
    auth = CachedTokenAuthentication(endpoint_class, one_call=True)
    auth.http_request = request
    auth.authenticate_credentials(token.encode())
    gate = request.gate
    gate.bucket = caller_bucket(endpoint_class, str(gate.user_id))
    return gate


def _server_cpu_us(client, command: str) -> tuple[float, float]:
    cpu = client.info("cpu")
    stats = client.info("commandstats").get(f"cmdstat_{command}", {"usec": 0})
    return (cpu["used_cpu_user"] + cpu["used_cpu_sys"]) * 1e6, stats["usec"]


def _measure(name: str, calls: int, operation, command: str = "evalsha") -> tuple[str, float, float]:
    client = get_redis()
    operation(0)  # scripts loaded, caches warm
    cpu_before, commands_before = _server_cpu_us(client, command)
    for n in tqdm(range(1, calls + 1), desc=name, unit="call", leave=False):
        operation(n)
    cpu_after, commands_after = _server_cpu_us(client, command)
    # Each INFO call itself is a command; two of them are in the delta, negligible over thousands.
    return name, (cpu_after - cpu_before) / calls, (commands_after - commands_before) / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()

    print("preparing: schema, catalog, users and carts …", flush=True)
    call_command("migrate_all", verbosity=0)
    call_command("loadcatalog", str(ROOT / "catalog" / "fixtures" / "demo_catalog.json"), verbosity=0)
    skus = list(Sku.objects.order_by("sku_id").values_list("item_id", "sku_id")[:40])
    users = get_user_model().objects
    reader, _ = users.get_or_create(username="costs-reader")
    adder, _ = users.get_or_create(username="costs-adder")
    reader_token, adder_token = token_create(reader).token, token_create(adder).token
    cart_merge(user_id=reader.pk, entries=[MergeEntry(item_id=i, sku_id=s, quantity=1) for i, s in skus[:20]])
    cart_get_raw(user_id=adder.pk)
    global_budget.prime("core_write")

    def gated_store(token: str, endpoint_class: str) -> CartStore:
        return CartStore(gate=_gate(token, endpoint_class))

    def add_new(n: int) -> None:
        item_id, sku_id = skus[20 + n % 20]
        if n % 20 == 0:  # start again from an empty cart: every add here makes a new line
            cart_remove_lines(user_id=adder.pk, ids=[f"{i}:{s}" for i, s in skus[20:]])
        cart_add_line(user_id=adder.pk, item_id=item_id, sku_id=sku_id, store=gated_store(adder_token, "core_write"))

    def add_existing(n: int) -> None:
        item_id, sku_id = skus[0]
        if n % 500 == 0:
            cart_remove_lines(user_id=adder.pk, ids=[f"{item_id}:{sku_id}"])
        cart_add_line(user_id=adder.pk, item_id=item_id, sku_id=sku_id, store=gated_store(adder_token, "core_write"))

    def read_20(n: int) -> None:
        cart_get_raw(user_id=reader.pk, store=gated_store(reader_token, "core_read"))

    def gate_alone(n: int) -> None:
        gate_pass(_gate(reader_token, "non_core"))

    floor_script = get_redis().register_script("return redis.call('HINCRBY', KEYS[1], 'n', 1)")

    def one_script_floor(n: int) -> None:
        floor_script(keys=[f"{keys.cart_key(reader.pk)}:costs"])

    def hgetall_20(n: int) -> None:
        get_redis().hgetall(keys.cart_key(reader.pk))

    leaser = global_budget._leaser()
    budget = leaser.budget("core_write")

    def lease(n: int) -> None:
        budget.tokens = 0  # so that every lease asks for some
        leaser.lease(budget, client=get_redis())

    rows = [
        # Every 20th call also empties the cart (one more script): 5 % of the calls.
        _measure("add, a new line (token, limit, add, stream, publish)", args.calls, add_new),
        _measure("add, more of an existing line", args.calls, add_existing),
        _measure("cart read, 20 lines (token, limit, HGETALL, PEXPIRE)", args.calls, read_20),
        _measure("token and limit alone (other endpoints)", args.calls, gate_alone),
        _measure("bench floor's script (one HINCRBY)", args.calls, one_script_floor),
        _measure("HGETALL of a 20-line cart", args.calls, hgetall_20, command="hgetall"),
        _measure("a process's lease of a global budget", args.calls, lease),
    ]
    time.sleep(0.1)
    print(f"\nRedis CPU per call, {args.calls:,} calls each, one call per round trip:\n")
    print("| operation | server CPU µs (INFO cpu) | in its command µs (INFO commandstats) |")
    print("|---|---:|---:|")
    for name, cpu, commands in rows:
        print(f"| {name} | {cpu:.1f} | {commands:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
