"""Rendered cart bodies are reused only while the cart and its SKU data are unchanged."""

from decimal import Decimal

from cart import metrics
from cart.api.render_cache import RenderedCarts, rendered_carts
from cart.engine import store
from catalog.cache import local_cache, sku_info_refresh
from pricing.models import Price
from tests.conftest import db_all
from tests.factories import SkuFactory

pytestmark = db_all


def _hits() -> float:
    return metrics.RENDER_CACHE.labels("hit")._value.get()


def _add(api, sku, quantity=1):
    return api.send("POST", "/api/v1/cart/items", {"item_id": sku.item_id, "sku_id": sku.sku_id, "quantity": quantity})


def test_a_second_read_of_an_unchanged_cart_is_the_same_body_from_the_cache(api):
    _add(api, SkuFactory())
    first = api.get("/api/v1/cart")
    hits = _hits()

    second = api.get("/api/v1/cart")

    assert second.content == first.content
    assert second["ETag"] == first["ETag"] and second["Content-Type"] == "application/json"
    assert _hits() == hits + 1


def test_a_read_served_from_the_cache_decodes_no_line(api, monkeypatch):
    for _ in range(20):
        _add(api, SkuFactory())
    first = api.get("/api/v1/cart")
    decoded = []
    original = store.line_from_redis
    monkeypatch.setattr(store, "line_from_redis", lambda *a: decoded.append(a) or original(*a))

    second = api.get("/api/v1/cart")
    assert second.content == first.content and decoded == []

    _add(api, SkuFactory())  # a change: the next read decodes and renders every line
    assert len(api.get("/api/v1/cart").json()["items"]) == 21
    assert len(decoded) >= 21


def test_a_change_of_the_cart_renders_afresh(api):
    sku = SkuFactory()
    _add(api, sku)
    api.get("/api/v1/cart")

    _add(api, sku, quantity=2)
    body = api.get("/api/v1/cart").json()

    assert body["items"][0]["quantity"] == 3
    assert body["summary"]["quantity"] == 3


def test_a_price_change_renders_afresh_although_the_cart_did_not_change(api):
    sku = SkuFactory(price__amount=Decimal("10.00"))
    _add(api, sku)
    before = api.get("/api/v1/cart").json()
    Price.objects.filter(sku=sku).update(amount=Decimal("8.00"))

    sku_info_refresh([sku.sku_id])  # what the price-change event does
    after = api.get("/api/v1/cart").json()

    assert before["version"] == after["version"]
    assert (before["items"][0]["unit_price"], after["items"][0]["unit_price"]) == ("10.00", "8.00")


def test_one_users_body_is_never_served_to_another(api, other_api):
    sku = SkuFactory()
    _add(api, sku)
    api.get("/api/v1/cart")

    theirs = other_api.get("/api/v1/cart").json()

    assert theirs["items"] == [] and theirs["user_id"] == other_api.user.pk


def test_the_cache_keeps_within_its_byte_budget_dropping_the_least_recently_read():
    cache = RenderedCarts(max_bytes=1000)
    for user_id in range(10):
        cache.put(user_id, 1, {}, b"x" * 300)
    cache.get(7, 1, {})  # read recently: kept
    cache.put(10, 1, {}, b"y" * 300)

    assert cache.size_bytes <= 1000
    assert cache.get(10, 1, {}) == b"y" * 300
    assert cache.get(9, 1, {}) == b"x" * 300
    assert cache.get(0, 1, {}) is None
    assert cache.get(9, 2, {}) is None  # another version


def test_the_cache_can_be_turned_off(api, settings):
    settings.CART_RENDER_CACHE_MB = 0
    _add(api, SkuFactory())
    hits = _hits()

    api.get("/api/v1/cart")
    api.get("/api/v1/cart")

    assert _hits() == hits and rendered_carts.size_bytes == 0


def _lookups(monkeypatch) -> list:
    from cart.api import presenters

    calls = []
    original = presenters.cart_sku_infos
    monkeypatch.setattr(presenters, "cart_sku_infos", lambda raw: calls.append(raw) or original(raw))
    return calls


def test_an_unchanged_cart_whose_sku_data_is_unchanged_is_served_without_looking_its_skus_up(api, monkeypatch):
    skus = [SkuFactory() for _ in range(30)]
    for sku in skus:
        _add(api, sku)
    first = api.get("/api/v1/cart")
    lookups = _lookups(monkeypatch)
    hits = _hits()

    second = api.get("/api/v1/cart")

    assert second.content == first.content and lookups == [] and _hits() == hits + 1
    sku_info_refresh([skus[3].sku_id])  # new data for one SKU: looked up and rendered afresh
    api.get("/api/v1/cart")
    assert len(lookups) == 1


def test_a_sku_that_had_no_data_when_rendered_is_looked_up_again(api, monkeypatch):
    _add(api, SkuFactory())
    api.send("POST", "/api/v1/cart/items", {"item_id": 987_001, "sku_id": 987_002})  # in no catalog
    api.get("/api/v1/cart")
    lookups = _lookups(monkeypatch)

    api.get("/api/v1/cart")

    assert len(lookups) == 1  # it may exist by now: the body is not reused without a look


def test_sku_data_past_its_time_to_live_is_looked_up_again(api, monkeypatch):
    _add(api, SkuFactory())
    api.get("/api/v1/cart")
    lookups = _lookups(monkeypatch)
    for sku_id, (_, info) in list(local_cache._data.items()):
        local_cache._data[sku_id] = (0.0, info)  # every entry past its time to live

    api.get("/api/v1/cart")

    assert len(lookups) == 1
