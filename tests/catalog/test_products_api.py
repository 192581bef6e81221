"""The read-only products API (API.md, "Catalog")."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.conftest import db_all
from tests.factories import ItemFactory, PriceFactory, PromotionFactory, SkuFactory, StockFactory

pytestmark = db_all

PRODUCTS = "/api/v1/products"
PAGE_SIZE = 24
MONEY = re.compile(r"^\d+\.\d{2}$")


def _products(n: int, skus_per_item: int = 2) -> list:
    items = [ItemFactory() for _ in range(n)]
    for item in items:
        for _ in range(skus_per_item):
            SkuFactory(item=item)
    return items


def _get(path: str, **params):
    response = APIClient().get(path, params)
    assert response["Content-Type"].startswith("application/json")
    return response


def assert_not_found(response) -> None:
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"


def test_the_list_is_paginated_and_shows_every_product_with_its_skus():
    items = _products(3)
    off_sale = SkuFactory(item=items[0], active=False, price__amount=Decimal("5.00"), stock__quantity=0)

    response = _get(PRODUCTS)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert (body["count"], body["next"], body["previous"]) == (3, None, None)
    assert [p["item_id"] for p in body["results"]] == [item.item_id for item in items]
    for product, item in zip(body["results"], items, strict=True):
        assert set(product) >= {"item_id", "title", "active", "skus"}
        assert (product["title"], product["active"]) == (item.title, True)
        assert [s["sku_id"] for s in product["skus"]] == sorted(s.sku_id for s in item.skus.all())
        for sku in product["skus"]:
            assert set(sku) >= {"sku_id", "attributes", "price", "currency", "stock", "active"}
            assert isinstance(sku["price"], str) and MONEY.match(sku["price"])
    first_skus = {s["sku_id"]: s for s in body["results"][0]["skus"]}
    sold = next(s for s in first_skus.values() if s["sku_id"] != off_sale.sku_id)
    assert sold | {"sku_id": None} == {
        "sku_id": None,
        "attributes": {"size": "M"},
        "price": "19.99",
        "currency": "USD",
        "stock": 50,
        "active": True,
    }
    assert first_skus[off_sale.sku_id] | {"sku_id": None} == {
        "sku_id": None,
        "attributes": {"size": "M"},
        "price": "5.00",
        "currency": "USD",
        "stock": 0,
        "active": False,
    }


def test_an_inactive_item_is_listed_as_inactive():
    ItemFactory(active=False)

    product = _get(PRODUCTS).json()["results"][0]

    assert product["active"] is False


def test_a_sku_without_price_or_stock_shows_nulls():
    sku = SkuFactory(price=None, stock=None)

    product = _get(f"{PRODUCTS}/{sku.item_id}").json()

    assert product["skus"] == [
        {
            "sku_id": sku.sku_id,
            "attributes": {"size": "M"},
            "price": None,
            "currency": None,
            "stock": None,
            "active": True,
        }
    ]


def test_pages_link_to_each_other():
    items = _products(PAGE_SIZE + 6, skus_per_item=1)

    first = _get(PRODUCTS).json()
    second = APIClient().get(first["next"]).json()

    assert first["count"] == second["count"] == PAGE_SIZE + 6
    assert len(first["results"]) == PAGE_SIZE and first["previous"] is None
    assert first["next"].endswith(f"{PRODUCTS}?page=2")
    assert [p["item_id"] for p in second["results"]] == [i.item_id for i in items[PAGE_SIZE:]]
    assert second["next"] is None
    assert second["previous"].endswith(PRODUCTS)


@pytest.mark.parametrize("page", ["3", "0", "abc", "-1"])
def test_a_page_that_does_not_exist_is_a_json_404(page):
    _products(2, skus_per_item=1)

    assert_not_found(_get(PRODUCTS, page=page))


def test_the_price_is_the_running_promotion_price_in_the_list_and_the_detail():
    sku = SkuFactory(price__amount=Decimal("80.00"))
    PromotionFactory(sku=sku, percent_off=Decimal("25"))

    listed = _get(PRODUCTS).json()["results"][0]["skus"][0]
    detailed = _get(f"{PRODUCTS}/{sku.item_id}").json()["skus"][0]

    assert listed["price"] == detailed["price"] == "60.00"


def test_the_list_costs_the_same_queries_for_3_items_as_for_20():
    _products(3)
    with CaptureQueriesContext(connection) as small:
        assert len(_get(PRODUCTS).json()["results"]) == 3

    _products(17)
    for sku in SkuFactory._meta.model.objects.all()[:10]:
        PromotionFactory(sku=sku)
    with CaptureQueriesContext(connection) as large:
        assert len(_get(PRODUCTS).json()["results"]) == 20

    assert len(large.captured_queries) == len(small.captured_queries), [q["sql"] for q in large.captured_queries]
    assert len(small.captured_queries) <= 5


def test_the_detail_shows_one_product():
    item = ItemFactory(title="Trail shoe")
    sku = SkuFactory(item=item, attributes={"size": "42"}, price=None, stock=None)
    PriceFactory(sku=sku, amount=Decimal("21.99"), currency="EUR")
    StockFactory(sku=sku, quantity=3)

    response = _get(f"{PRODUCTS}/{item.item_id}")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "item_id": item.item_id,
        "title": "Trail shoe",
        "active": True,
        "image": None,
        "skus": [
            {
                "sku_id": sku.sku_id,
                "attributes": {"size": "42"},
                "price": "21.99",
                "currency": "EUR",
                "stock": 3,
                "active": True,
            }
        ],
    }


def test_a_product_names_its_image_by_an_absolute_url():
    local = ItemFactory(image="catalog/shoes/olive.svg")
    remote = ItemFactory(image="https://images.example.com/items/1.jpg")
    bare = ItemFactory()
    for item in (local, remote, bare):
        SkuFactory(item=item)

    listed = {p["item_id"]: p["image"] for p in _get(PRODUCTS).json()["results"]}
    assert listed == {
        local.item_id: "http://testserver/static/catalog/shoes/olive.svg",
        remote.item_id: "https://images.example.com/items/1.jpg",
        bare.item_id: None,
    }
    for item in (local, remote, bare):
        assert _get(f"{PRODUCTS}/{item.item_id}").json()["image"] == listed[item.item_id]


@pytest.mark.parametrize("item_id", ["999999999", "abc", str(2**63), "99999999999999999999", "0", "-1", "1.5"])
def test_the_detail_of_an_unknown_or_malformed_id_is_a_json_404(item_id):
    ItemFactory(item_id=999_999_998)

    assert_not_found(_get(f"{PRODUCTS}/{item_id}"))


def test_products_need_no_credentials():
    item = ItemFactory()

    assert _get(PRODUCTS).status_code == 200
    assert _get(f"{PRODUCTS}/{item.item_id}").status_code == 200


@pytest.mark.parametrize(
    "path_id",
    [
        pytest.param("+12000", id="plus-sign"),
        pytest.param("12_000", id="underscore"),
        pytest.param("%2012000", id="leading-space"),
        pytest.param("12000%20", id="trailing-space"),
        pytest.param("\u0661\u0662\u0660\u0660\u0660", id="arabic-indic-digits"),
    ],
)
def test_the_detail_answers_only_the_canonical_spelling_of_an_id(path_id):
    ItemFactory(item_id=12_000)

    assert_not_found(_get(f"{PRODUCTS}/{path_id}"))
