"""Recommendations: ranking on a small hand-made catalog, the in-memory matrix and its
refresh, the endpoint's contract and the cart page's strip."""

from decimal import Decimal

import numpy as np
import pytest

from cart.services import cart_add_line
from catalog import recommendations
from catalog.keys import recommendations_version_key
from catalog.recommendations import hashed_vector, recommendations_for_lines, similarity_index
from catalog.services import catalog_import
from tests.conftest import db_all
from tests.factories import ItemFactory, SkuFactory

pytestmark = db_all

URL = "/api/v1/cart/recommendations"


@pytest.fixture(autouse=True)
def _fresh_matrix():
    """Each test builds its own matrix: the process keeps one between requests."""
    recommendations._current.index = None
    recommendations._current.checked_at = 0.0
    yield
    recommendations._current.index = None


def item(item_id: int, features, *, title: str | None = None, active: bool = True, category: str = "misc", **attrs):
    """An item with one SKU (sku_id = item_id * 10)."""
    made = ItemFactory(
        item_id=item_id, title=title or f"Item {item_id}", features=features, active=active, category=category
    )
    SkuFactory(sku_id=item_id * 10, item=made, attributes=attrs or {"size": "M"})
    return made


@pytest.fixture
def catalog():
    """Directions in 3-D: 1 and 2 nearly alike, 4 halfway between 1 and 3, 6 opposite to 1."""
    item(1, [1.0, 0.0, 0.0])
    item(2, [0.9, 0.1, 0.0])
    item(3, [0.0, 1.0, 0.0])
    item(4, [0.7, 0.7, 0.0])
    item(5, [1.0, 0.0, 0.0], active=False)  # the best match of all, but not sold
    item(6, [-1.0, 0.0, 0.0])
    item(7, [0.0, 0.0, 2.5])


def in_cart(user_id: int, *item_quantities: tuple[int, int]) -> None:
    for item_id, quantity in item_quantities:
        cart_add_line(user_id=user_id, item_id=item_id, sku_id=item_id * 10, quantity=quantity)


class Line:
    def __init__(self, item_id: int, quantity: int):
        self.item_id, self.quantity = item_id, quantity


def ranked(*lines: tuple[int, int], limit: int = 10) -> list[int]:
    return [r.item_id for r in recommendations_for_lines([Line(i, q) for i, q in lines], limit=limit)]


# --- ranking -------------------------------------------------------------------------------


def test_the_most_similar_items_come_first_without_cart_items_inactive_or_unlike_ones(catalog):
    # Item 5 is identical to 1 but inactive; 6 points away (negative); 3 and 7 are orthogonal (0).
    assert ranked((1, 1)) == [2, 4]


def test_the_cart_vector_is_weighted_by_quantity(catalog):
    # One of item 1 and three of item 3: the mean leans to 3, so 4 (between them) beats 2.
    assert ranked((1, 1), (3, 3)) == [4, 2]
    # The other way round, 2 (next to 1) wins.
    assert ranked((1, 3), (3, 1)) == [2, 4]


def test_scores_are_cosine_similarities_best_first(catalog):
    results = recommendations_for_lines([Line(1, 1)], limit=10)

    expected_2 = 0.9 / np.hypot(0.9, 0.1)
    assert results[0].score == pytest.approx(expected_2, abs=1e-4)
    assert results[1].score == pytest.approx(np.sqrt(0.5), abs=1e-4)
    assert [r.title for r in results] == ["Item 2", "Item 4"]


def test_the_limit_cuts_the_list(catalog):
    assert ranked((1, 1), limit=1) == [2]


def test_a_cart_of_unknown_or_inactive_items_gets_nothing(catalog):
    assert ranked((999, 1)) == []
    assert ranked((5, 2)) == []
    assert ranked() == []


def test_items_without_features_get_vectors_from_category_and_attributes():
    item(11, [], category="shoes", size="42", colour="black")
    item(12, [], category="shoes", size="42", colour="black", width="wide")  # shares everything
    item(14, [], category="shoes", size="38", colour="white")  # shares the category only
    item(13, [], category="towels", colour="olive")  # shares nothing

    order = ranked((11, 1))

    assert order[:2] == [12, 14]
    assert 13 not in order[:2]


def test_computed_vectors_are_deterministic_and_order_free():
    one = hashed_vector(category="Shoes", attributes=[("size", "42"), ("colour", "black")], size=64)
    two = hashed_vector(category="shoes ", attributes=[("colour", "black"), ("size", "42")], size=64)
    other = hashed_vector(category="towels", attributes=[("colour", "black")], size=64)

    assert np.array_equal(one, two)
    assert not np.array_equal(one, other)
    assert np.count_nonzero(hashed_vector(category="", attributes=[], size=64)) == 0


# --- the matrix --------------------------------------------------------------------------------


def test_the_matrix_is_built_once_and_then_answers_without_queries(catalog, django_assert_num_queries):
    similarity_index()

    with django_assert_num_queries(0):
        for _ in range(20):
            ranked((1, 1))


def test_a_catalog_import_refreshes_the_matrix_of_every_process(catalog, django_capture_on_commit_callbacks):
    before = similarity_index()
    assert ranked((1, 1)) == [2, 4]
    new_item = {
        "item_id": 8,
        "title": "Twin of one",
        "category": "misc",
        "description": "",
        "active": True,
        "features": [1.0, 0.0, 0.0],
        "skus": [
            {"sku_id": 80, "attributes": {}, "active": True, "price": Decimal("5.00"), "currency": "USD", "stock": 3}
        ],
    }

    with django_capture_on_commit_callbacks(execute=True):
        catalog_import(items=[new_item])

    assert ranked((1, 1))[0] == 8
    assert similarity_index() is not before


def test_a_lost_version_stamp_rebuilds_rather_than_trusting_the_old_matrix(catalog, _clean_redis):
    before = similarity_index()
    _clean_redis.delete(recommendations_version_key())
    recommendations._current.checked_at = 0.0

    assert similarity_index() is not before


# --- the endpoint ------------------------------------------------------------------------------


def test_the_endpoint_returns_items_best_first(api, catalog):
    in_cart(api.user.pk, (1, 1))

    response = api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert [i["item_id"] for i in body["items"]] == [2, 4]
    assert set(body["items"][0]) == {"item_id", "title", "score"}
    assert isinstance(body["items"][0]["score"], float)


def test_an_empty_cart_gets_an_empty_list(api, catalog):
    assert api.get(URL).json() == {"items": []}


def test_limit_is_honoured(api, catalog):
    in_cart(api.user.pk, (1, 1))

    assert [i["item_id"] for i in api.get(URL, {"limit": 1}).json()["items"]] == [2]
    assert len(api.get(URL, {"limit": 50}).json()["items"]) == 2


@pytest.mark.parametrize("limit", ["0", "51", "-1", "abc", "1.5", "", " 5", "+5", "1e1", "\u0665", "9" * 30])
def test_a_bad_limit_is_400_invalid(api, catalog, limit):
    response = api.get(URL, {"limit": limit})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "limit" in response.json()["fields"]


def test_the_endpoint_needs_a_login(client, catalog):
    response = client.get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_switched_off_it_is_503_degraded(api, catalog, switch_off):
    switch_off("recommendations")

    response = api.get(URL)

    assert response.status_code == 503
    assert response.json()["code"] == "degraded"


def test_a_request_reads_the_matrix_not_the_item_table(api, catalog, django_assert_num_queries):
    in_cart(api.user.pk, (1, 1))
    api.get(URL)  # builds the matrix, caches the token

    with django_assert_num_queries(0):
        assert api.get(URL).status_code == 200


# --- the cart page -------------------------------------------------------------------------------


def test_the_cart_page_shows_the_strip(client, catalog):
    from tests.factories import UserFactory

    user = UserFactory()
    in_cart(user.pk, (1, 1))
    client.force_login(user)

    page = client.get("/cart/").content.decode()

    assert "You may also like" in page
    assert page.index("Item 2") < page.index("Item 4")


def test_the_strip_is_hidden_when_switched_off(client, catalog, switch_off):
    from tests.factories import UserFactory

    user = UserFactory()
    in_cart(user.pk, (1, 1))
    client.force_login(user)
    switch_off("recommendations")

    page = client.get("/cart/").content.decode()

    assert "You may also like" not in page
    assert "Item 1" in page  # the cart itself still shows
