"""Model-based test of the cart: Hypothesis drives the real API (two devices of one
shopper, each with its own token) with every kind of change, cache loss and draining of
the write-behind stream, and checks after every step that the cart the API shows equals
a plain-Python model, that a removed line never comes back, that the version never goes
down, and that MySQL converges to Redis once the stream is drained."""

import os

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from cart.engine import keys
from core.redis_client import get_redis
from tests.cart.helpers import cached, drain, persisted
from tests.conftest import db_all

pytestmark = [db_all, pytest.mark.fuzz]

MAX_QUANTITY = 999
ITEMS = st.integers(min_value=1, max_value=6)
QUANTITIES = st.integers(min_value=1, max_value=MAX_QUANTITY)
DEVICES = st.sampled_from([0, 1])
# Bounded so the suite stays fast; raise CART_MODEL_EXAMPLES locally to search harder.
HYPOTHESIS_SETTINGS = hypothesis_settings(
    max_examples=int(os.environ.get("CART_MODEL_EXAMPLES", "25")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)


def line_id(item: int) -> str:
    return f"{item}:{item + 100}"


class CartMachine(RuleBasedStateMachine):
    """The model: {line id: [quantity, checked]}, plus the lines removed and not added since."""

    def __init__(self):
        super().__init__()
        from tests.api_client import ApiClient
        from tests.factories import UserFactory

        user = UserFactory()
        self.user_id = user.pk
        self.devices = [ApiClient(user=user), ApiClient(user=user)]  # two tokens, one shopper
        self.model: dict[str, list] = {}
        self.removed: set[str] = set()
        self.version = 0

    # --- helpers ---------------------------------------------------------------------

    def send(self, device: int, method: str, path: str, body=None, expect: int = 200, **headers):
        response = self.devices[device].send(method, path, body, **headers)
        assert response.status_code == expect, (method, path, body, response.status_code, response.content[:300])
        return response

    def _added(self, lid: str, quantity: int, checked: bool = True) -> None:
        self.model[lid] = [quantity, checked]
        self.removed.discard(lid)

    def _gone(self, lid: str) -> None:
        self.model.pop(lid, None)
        self.removed.add(lid)

    # --- rules -----------------------------------------------------------------------

    @rule(device=DEVICES, item=ITEMS, quantity=QUANTITIES)
    def add(self, device, item, quantity):
        lid = line_id(item)
        body = self.send(
            device, "POST", "/api/v1/cart/items", {"item_id": item, "sku_id": item + 100, "quantity": quantity}
        ).json()
        if lid in self.model:
            wanted = self.model[lid][0] + quantity
            self.model[lid][0] = min(wanted, MAX_QUANTITY)
            assert body.get("capped", False) == (wanted > MAX_QUANTITY)
        else:
            self._added(lid, quantity)
        assert body["quantity"] == self.model[lid][0]

    @rule(device=DEVICES, item=ITEMS, quantity=st.integers(min_value=0, max_value=MAX_QUANTITY))
    def set_quantity(self, device, item, quantity):
        lid = line_id(item)
        if lid not in self.model:
            self.send(device, "PATCH", f"/api/v1/cart/items/{lid}", {"quantity": quantity}, expect=404)
            return
        body = self.send(device, "PATCH", f"/api/v1/cart/items/{lid}", {"quantity": quantity}).json()
        if quantity == 0:
            assert body["removed"] is True
            self._gone(lid)
        else:
            self.model[lid][0] = quantity

    @rule(device=DEVICES, item=ITEMS, delta=st.integers(min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY).filter(bool))
    def delta(self, device, item, delta):
        lid = line_id(item)
        if lid not in self.model:
            self.send(device, "PATCH", f"/api/v1/cart/items/{lid}", {"delta": delta}, expect=404)
            return
        self.send(device, "PATCH", f"/api/v1/cart/items/{lid}", {"delta": delta})
        quantity = min(max(self.model[lid][0] + delta, 0), MAX_QUANTITY)
        if quantity == 0:
            self._gone(lid)
        else:
            self.model[lid][0] = quantity

    @rule(device=DEVICES, item=ITEMS)
    def remove(self, device, item):
        lid = line_id(item)
        self.send(device, "DELETE", f"/api/v1/cart/items/{lid}", expect=204)
        if lid in self.model:
            self._gone(lid)

    @rule(device=DEVICES, checked=st.booleans(), items=st.none() | st.lists(ITEMS, max_size=4))
    def select(self, device, checked, items):
        body = {"checked": checked}
        if items is not None:
            body["ids"] = [line_id(i) for i in items]
        self.send(device, "POST", "/api/v1/cart/selection", body)
        for lid, line in self.model.items():
            if items is None or lid in body["ids"]:
                line[1] = checked

    @rule(
        device=DEVICES,
        policy=st.sampled_from(["max", "sum"]),
        entries=st.lists(st.tuples(ITEMS, QUANTITIES, st.none() | st.booleans()), max_size=4, unique_by=lambda e: e[0]),
    )
    def merge(self, device, policy, entries):
        items = []
        for item, quantity, checked in entries:
            entry = {"item_id": item, "sku_id": item + 100, "quantity": quantity}
            if checked is not None:
                entry["checked"] = checked
            items.append(entry)
        body = self.send(device, "POST", "/api/v1/cart/merge", {"items": items, "policy": policy}).json()
        assert body["skipped"] == []
        for item, quantity, checked in entries:
            lid = line_id(item)
            if lid in self.model:
                old = self.model[lid][0]
                self.model[lid][0] = min(old + quantity, MAX_QUANTITY) if policy == "sum" else max(old, quantity)
            else:
                self._added(lid, quantity, True if checked is None else checked)

    @rule(device=DEVICES, item=ITEMS)
    def stale_if_match_changes_nothing(self, device, item):
        body = {"item_id": item, "sku_id": item + 100}
        self.send(device, "POST", "/api/v1/cart/items", body, expect=412, HTTP_IF_MATCH='"1"')

    @rule()
    def drain_queue(self):
        drain()
        # MySQL converges to Redis (and so to the model) once the stream is drained.
        rows = persisted(self.user_id)
        assert {lid: [quantity, checked] for lid, (quantity, checked, _) in rows.items()} == self.model
        in_redis = cached(self.user_id)
        assert not in_redis or rows == in_redis

    @rule()
    def cache_loss(self):
        # Redis evicts the cart after write-behind caught up; the next request reloads it from MySQL.
        drain()
        get_redis().delete(keys.cart_key(self.user_id))

    # --- invariants ------------------------------------------------------------------

    @invariant()
    def api_cart_equals_the_model(self):
        for device in (0, 1):
            body = self.send(device, "GET", "/api/v1/cart").json()
            shown = {line["id"]: [line["quantity"], line["checked"]] for line in body["items"]}
            assert shown == self.model, (device, shown, self.model)
            assert not (self.removed & set(shown)), "a removed line came back"
            assert body["version"] >= self.version, "the version went down"
            self.version = body["version"]
            assert body["summary"]["lines"] == len(self.model)
            assert body["summary"]["quantity"] == sum(q for q, _ in self.model.values())


def test_the_cart_behaves_like_its_model(settings):
    settings.RATE_LIMITS_ENABLED = False
    # Every step reads the cart from Redis, not from this process's hot-cart copy (which
    # would also leave pub/sub subscriptions behind for later tests reusing the user id).
    settings.HOT_CART_CACHE = False
    run_state_machine_as_test(
        CartMachine,
        settings=HYPOTHESIS_SETTINGS,
    )
