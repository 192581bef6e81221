"""A rolling upgrade to line format 2: carts and stream entries written by the code before
it (format 1, JSON) keep working, with no flush; each line is rewritten when it changes."""

import pytest

from cart.engine import keys
from cart.engine.codec import line_from_redis
from cart.models import CartItem
from catalog.cache import local_cache
from core.redis_client import get_redis
from tests.cart.helpers import compactly_encoded, drain, persisted
from tests.conftest import db_all
from tests.factories import SkuFactory

pytestmark = db_all

ADDED_MS = 1_796_534_478_846
VERSION = 1_796_534_479_000


def format_1_value(*, quantity, checked, status, added_at_ms, updated_at_ms, version, price, currency) -> str:
    """A line's Redis value exactly as the code before format 2 wrote it."""
    price_part = f',"p":"{price}","cu":"{currency}"' if price is not None else ""
    return (
        f'{{"q":{quantity},"c":{int(checked)},"s":"{status}","a":{added_at_ms},'
        f'"t":{updated_at_ms},"v":{version}{price_part}}}'
    )


@pytest.fixture(autouse=True)
def _fresh_sku_info():
    local_cache.clear()
    yield
    local_cache.clear()


@pytest.fixture
def old_cart(api):
    """Three lines in format 1, as a process of the previous release left them."""
    skus = [SkuFactory() for _ in range(3)]
    fields = {}
    for n, sku in enumerate(skus):
        fields[f"{sku.item_id}:{sku.sku_id}"] = format_1_value(
            quantity=n + 1,
            checked=n != 1,
            status="unknown" if n == 2 else "available",
            added_at_ms=ADDED_MS + n,
            updated_at_ms=ADDED_MS + n,
            version=VERSION,
            price=None if n == 2 else "9.99",
            currency="USD",
        )
    key = keys.cart_key(api.user.pk)
    get_redis().hset(key, mapping={**fields, "_v": VERSION})
    return key, skus, list(fields)


def test_a_cart_in_format_1_reads_as_it_was_written(api, old_cart):
    _, _, ids = old_cart
    cart = api.send("get", "/api/v1/cart").json()
    by_id = {line["id"]: line for line in cart["items"]}
    assert cart["version"] == VERSION
    assert [by_id[i]["quantity"] for i in ids] == [1, 2, 3]
    assert [by_id[i]["checked"] for i in ids] == [True, False, True]
    assert [by_id[i]["price_at_add"] for i in ids] == ["9.99", "9.99", None]
    assert by_id[ids[0]]["added_at"] == "2026-12-06T05:21:18.846Z"


def test_the_first_change_rewrites_the_whole_cart_in_format_2_and_compact(api, old_cart):
    key, skus, ids = old_cart
    redis = get_redis()
    assert redis.object("encoding", key) == b"hashtable"  # as the previous release left it
    redis.pexpire(key, 60_000)
    response = api.send("post", "/api/v1/cart/items", {"item_id": skus[0].item_id, "sku_id": skus[0].sku_id})
    assert response.status_code == 200, response.content
    assert response.json()["quantity"] == 2 and response.json()["price_at_add"] == "9.99"

    stored = redis.hgetall(key)
    assert not any(value.startswith(b"{") for value in stored.values())
    assert compactly_encoded(redis, key)
    assert redis.pttl(key) > 60_000  # the rewrite kept the cart's lifetime (renewed by the change)
    untouched = line_from_redis(ids[1], stored[ids[1].encode()])
    assert (untouched.quantity, untouched.checked, untouched.added_at_ms) == (2, False, ADDED_MS + 1)
    assert (untouched.version, str(untouched.price_at_add), untouched.currency) == (VERSION, "9.99", "USD")
    unchecked = line_from_redis(ids[2], stored[ids[2].encode()])
    assert (unchecked.status, unchecked.price_at_add) == ("unknown", None)

    cart = api.send("get", "/api/v1/cart").json()
    assert {line["id"]: (line["quantity"], line["checked"]) for line in cart["items"]} == {
        ids[0]: (2, True),
        ids[1]: (2, False),
        ids[2]: (3, True),
    }


def test_stream_entries_of_both_formats_reach_mysql(api, old_cart):
    _, skus, ids = old_cart
    user_id = api.user.pk
    # An entry as the previous release appended it (format 1, field "l"), still unread.
    get_redis().xadd(
        keys.log_key(user_id),
        {
            "u": user_id,
            "v": VERSION,
            "ts": VERSION,
            "l": (
                f'[{{"i":"{skus[1].item_id}","k":"{skus[1].sku_id}","q":2,"c":0,"s":"available",'
                f'"p":"9.99","cu":"USD","a":{ADDED_MS + 1},"t":{VERSION},"d":0}}]'
            ),
        },
    )
    get_redis().zadd(keys.dirty_key(user_id), {str(user_id): VERSION})
    drain()
    assert persisted(user_id) == {ids[1]: (2, False, VERSION)}

    api.send("post", "/api/v1/cart/items", {"item_id": skus[1].item_id, "sku_id": skus[1].sku_id})
    api.send("delete", f"/api/v1/cart/items/{ids[1]}")
    api.send("post", "/api/v1/cart/items", {"item_id": skus[0].item_id, "sku_id": skus[0].sku_id, "quantity": 5})
    drain()
    rows = {f"{r.item_id}:{r.sku_id}": r for r in CartItem.objects.for_user(user_id)}
    assert rows[ids[1]].deleted
    assert (rows[ids[0]].quantity, rows[ids[0]].deleted, str(rows[ids[0]].price_at_add)) == (6, False, "9.99")
