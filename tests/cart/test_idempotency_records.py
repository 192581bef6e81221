"""Idempotency records are bounded by shoppers, not by request rate: the user's last 32
keyed requests of the last day, compact, in one hash in the user's slot, checked and
recorded by the add's own script."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from cart.engine import keys
from cart.engine.codec import EPOCH_MS
from cart.engine.idempotency import KEEP, KeyedRequest, request_fingerprint
from catalog.cache import sku_info_many
from core.redis_client import get_redis
from ops.ratelimit import Limit, limit_set
from tests.api_client import ApiClient
from tests.cart.helpers import compactly_encoded
from tests.conftest import db_all
from tests.costs import capture_sql, count_redis
from tests.factories import SkuFactory

pytestmark = db_all

ITEMS = "/api/v1/cart/items"
SELECTION = "/api/v1/cart/selection"


def _add(api, sku, quantity=1, key=None):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return api.send("post", ITEMS, {"item_id": sku.item_id, "sku_id": sku.sku_id, "quantity": quantity}, **headers)


def _records(user_id: int) -> dict[bytes, bytes]:
    fields = get_redis().hgetall(keys.idempotency_records_key(user_id))
    return {name: value for name, value in fields.items() if not name.startswith((b"#", b"_"))}


def _quantity(api, sku) -> int:
    items = {line["sku_id"]: line for line in api.get("/api/v1/cart").json()["items"]}
    return items[sku.sku_id]["quantity"]


@pytest.fixture(autouse=True)
def _room_for_many_adds():
    """A shopper's own limit (40 at once) would refuse the runs of 40 adds below."""
    limit_set("core_write", Limit(1000, 1000, 1e6, 1_000_000))
    yield
    limit_set("core_write", None)


@pytest.fixture
def sku(db):
    sku = SkuFactory()
    sku_info_many([sku.sku_id])
    return sku


def test_only_the_last_32_keys_are_kept_and_an_older_one_runs_again(api, sku):
    for n in range(40):
        assert _add(api, sku, key=f"add-{n}").status_code == 200
    assert len(_records(api.user.pk)) == KEEP
    assert _quantity(api, sku) == 40

    recent = _add(api, sku, key="add-39")
    forgotten = _add(api, sku, key="add-0")

    assert recent["Idempotent-Replayed"] == "true" and recent.json()["quantity"] == 40
    assert not forgotten.has_header("Idempotent-Replayed") and forgotten.json()["quantity"] == 41
    assert len(_records(api.user.pk)) == KEEP


def test_records_are_compact_and_the_users_records_stay_a_small_listpack(api, sku):
    for n in range(KEEP + 10):
        _add(api, sku, key=f"a mobile client's key, as long as it likes: {n:04d}" + "x" * 150)
    key = keys.idempotency_records_key(api.user.pk)
    redis = get_redis()
    assert all(len(value) <= 64 for value in _records(api.user.pk).values())
    assert compactly_encoded(redis, key)
    assert redis.memory_usage(key) <= 4_096
    assert 0 < redis.pttl(key) <= 86_400_000


def test_a_keyed_add_is_still_one_round_trip_and_no_sql(api, sku):
    _add(api, sku)  # token checked and cached, cart loaded
    with count_redis() as first_log, capture_sql() as sql:
        first = _add(api, sku, key="k-1")
    with count_redis() as retry_log:
        retry = _add(api, sku, key="k-1")

    assert first.json()["quantity"] == retry.json()["quantity"] == 2
    assert (first_log.commands, retry_log.commands, sql) == (["EVALSHA"], ["EVALSHA"], {})


def test_concurrent_retries_of_one_keyed_add_apply_it_once(api, sku):
    _add(api, sku)
    clients = [ApiClient(user=api.user, token=api.token) for _ in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda client: _add(client, sku, 3, key="burst"), clients))

    assert [a.status_code for a in answers] == [200] * 12
    assert {a.json()["quantity"] for a in answers} == {4}
    assert sum(not a.has_header("Idempotent-Replayed") for a in answers) == 1
    assert _quantity(api, sku) == 4


def _age_record(user_id: int, client_key: str, seconds: int) -> None:
    """Move a record's time back by ``seconds``, as if it had been made that long ago."""
    redis = get_redis()
    kid = KeyedRequest.of(client_key=client_key, fingerprint="").kid
    slot, t, rest = redis.hget(keys.idempotency_records_key(user_id), kid).decode().split(",", 2)
    redis.hset(keys.idempotency_records_key(user_id), kid, f"{slot},{int(t) - seconds},{rest}")


def test_a_key_older_than_a_day_is_forgotten(api, sku):
    _add(api, sku, key="yesterday")
    _age_record(api.user.pk, "yesterday", 86_401)

    again = _add(api, sku, key="yesterday")

    assert not again.has_header("Idempotent-Replayed") and again.json()["quantity"] == 2


def test_a_reservation_left_by_a_crashed_request_frees_its_key_after_30_seconds(api, sku):
    """A request that is not one script reserves its key first; if its process dies
    before settling, the key answers "in progress", then is free again."""
    body = {"checked": False}
    keyed = KeyedRequest.of(
        client_key="crashed", fingerprint=request_fingerprint(method="POST", path=SELECTION, data=body)
    )
    now_s = (get_redis().time()[0] * 1000 - EPOCH_MS) // 1000
    get_redis().hset(keys.idempotency_records_key(api.user.pk), keyed.kid, f"0,{now_s},{keyed.fingerprint},p")

    busy = api.send("post", SELECTION, body, HTTP_IDEMPOTENCY_KEY="crashed")
    assert busy.status_code == 409 and busy.json()["code"] == "request_in_progress"

    _age_record(api.user.pk, "crashed", 31)
    response = api.send("post", SELECTION, body, HTTP_IDEMPOTENCY_KEY="crashed")
    assert response.status_code == 200 and not response.has_header("Idempotent-Replayed")


def test_a_whole_cart_reply_replays_the_cart_as_it_was_answered(api, sku):
    other = SkuFactory()
    _add(api, sku, 2)
    first = api.send("post", SELECTION, {"checked": False}, HTTP_IDEMPOTENCY_KEY="sel-1")
    _add(api, other)  # the cart moves on

    retry = api.send("post", SELECTION, {"checked": False}, HTTP_IDEMPOTENCY_KEY="sel-1")

    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert [line["sku_id"] for line in retry.json()["items"]] == [sku.sku_id]
    assert len(api.get("/api/v1/cart").json()["items"]) == 2
    (record,) = list(_records(api.user.pk).values())
    assert b"{" not in record  # the cart's lines in format 2, not its JSON
