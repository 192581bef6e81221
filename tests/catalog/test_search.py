"""The title search of the product list (catalog.search, catalog.selectors): FULLTEXT on
MySQL/MariaDB, LIKE on SQLite, the same answers from both.

InnoDB applies FULLTEXT index changes at commit, so a search cannot see rows of a test
transaction that is rolled back afterwards: these tests commit (``transaction=True``)
on the one database the catalog lives on."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.search import MAX_QUERY_LENGTH, MAX_TERMS, search_terms
from catalog.selectors import categories_count, products_search
from tests.factories import ItemFactory

CATALOG_ON_MYSQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.mysql"
catalog_db = pytest.mark.django_db(databases=["default"], transaction=True)

TITLES = {
    "Northpeak Trail Running Shoe": "shoes",
    "Kestrel Road Running Shoe": "shoes",
    "Emberly 85% Dark Chocolate": "grocery",
    "The Midnight Mystery Novel": "books",
    "Brightwell Low-Top Leather Sneaker": "shoes",
    "Saltgrass Chef's Knife": "kitchen",
    "Trailside Water Bottle": "sports",
}


@pytest.fixture
def catalog():
    return {title: ItemFactory(title=title, category=category).item_id for title, category in TITLES.items()}


def _found(query: str = "", category: str = "") -> list[str]:
    return sorted(item.title for item in products_search(query=query, category=category))


# --- the words of a query ----------------------------------------------------------------


@pytest.mark.parametrize(
    "query, terms",
    [
        ("Trail shoe", ["trail", "shoe"]),
        ('+trail -shoe* "road" (low) ~top <x> @b', ["trail", "shoe", "road", "low", "top", "x", "b"]),
        ("shoes for the trail", ["shoes", "trail"]),  # stopwords: left out when there is more
        ("The", ["the"]),
        ("chef's 85% knife_set", ["chef", "s", "85", "knife", "set"]),
        ("shoe SHOE Shoe", ["shoe"]),
        ('+*"()~<>@-', []),
        ("   ", []),
        ("Müsli café", ["müsli", "café"]),
    ],
)
def test_a_query_becomes_its_words_without_any_operator(query, terms):
    assert search_terms(query) == terms


def test_a_query_is_bounded_in_length_and_in_words():
    assert search_terms("x" * 500) == ["x" * MAX_QUERY_LENGTH]
    many = " ".join(f"word{n}" for n in range(50))
    assert search_terms(many) == [f"word{n}" for n in range(MAX_TERMS)]


# --- searching ---------------------------------------------------------------------------


@catalog_db
def test_every_word_must_be_in_the_title_in_any_case(catalog):
    assert _found("trail SHOE") == ["Northpeak Trail Running Shoe"]
    assert _found("running shoe") == ["Kestrel Road Running Shoe", "Northpeak Trail Running Shoe"]
    assert _found("trail") == ["Northpeak Trail Running Shoe", "Trailside Water Bottle"]  # a word's start
    assert _found("runn") == ["Kestrel Road Running Shoe", "Northpeak Trail Running Shoe"]
    assert _found("trail road") == []
    assert _found("umbrella") == []


@catalog_db
def test_short_words_and_stopwords_still_narrow_the_search(catalog):
    # Below the FULLTEXT index's shortest word, or on its stopword list: matched with LIKE.
    assert _found("85") == ["Emberly 85% Dark Chocolate"]
    assert _found("the") == ["Brightwell Low-Top Leather Sneaker", "The Midnight Mystery Novel"]
    assert _found("the midnight") == ["The Midnight Mystery Novel"]
    assert _found("a shoe for the trail") == ["Northpeak Trail Running Shoe"]
    assert _found("chef's knife") == ["Saltgrass Chef's Knife"]
    assert _found("low-top") == ["Brightwell Low-Top Leather Sneaker"]


@catalog_db
@pytest.mark.parametrize(
    "query",
    ["+trail", "trail*", '"trail"', "(trail)", "~trail", "<trail>", "@trail", "-trail", 'trail +*"()~<>@'],
)
def test_fulltext_operators_are_plain_separators(catalog, query):
    assert _found(query) == ["Northpeak Trail Running Shoe", "Trailside Water Bottle"]


@catalog_db
@pytest.mark.parametrize("query", ["", "   ", '+*"()~<>@', "-", "@@@"])
def test_a_query_without_words_finds_everything(catalog, query):
    assert _found(query) == sorted(TITLES)


@catalog_db
def test_a_search_within_a_category_and_the_counts_per_category(catalog):
    assert _found("shoe", category="shoes") == ["Kestrel Road Running Shoe", "Northpeak Trail Running Shoe"]
    assert _found("", category="shoes") == sorted(t for t, c in TITLES.items() if c == "shoes")
    assert _found("bottle", category="shoes") == []

    everything = categories_count()
    assert everything.total == len(TITLES)
    assert [(c.name, c.count) for c in everything.categories] == [
        ("books", 1),
        ("grocery", 1),
        ("kitchen", 1),
        ("shoes", 3),
        ("sports", 1),
    ]
    trail = categories_count(query="trail")
    assert trail.total == 2
    assert [(c.name, c.count) for c in trail.categories] == [("shoes", 1), ("sports", 1)]


@catalog_db
def test_items_without_a_category_count_in_all_only(catalog):
    ItemFactory(title="Loose Trail Map", category="")
    counts = categories_count(query="trail")
    assert counts.total == 3 and sum(c.count for c in counts.categories) == 2


@catalog_db
@pytest.mark.skipif(not CATALOG_ON_MYSQL, reason="the FULLTEXT index exists on MySQL/MariaDB only")
def test_on_mysql_the_search_uses_the_fulltext_index(catalog):
    with connection.cursor() as cursor:
        cursor.execute("SHOW INDEX FROM catalog_item WHERE Index_type = 'FULLTEXT'")
        assert [row[4] for row in cursor.fetchall()] == ["title"]  # Column_name

    with CaptureQueriesContext(connection) as queries:
        assert _found("trail running 85") == []
        assert _found("trail running") == ["Northpeak Trail Running Shoe"]
    short, plain = (q["sql"] for q in queries.captured_queries if "catalog_sku" not in q["sql"])
    assert "MATCH (`catalog_item`.`title`) AGAINST ('+trail* +running*' IN BOOLEAN MODE)" in short
    assert "LIKE" in short  # "85": shorter than the index's shortest word
    assert "MATCH (`catalog_item`.`title`) AGAINST ('+trail* +running*' IN BOOLEAN MODE)" in plain
    assert "LIKE" not in plain

    sql, params = products_search(query="trail").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        columns = [c[0] for c in cursor.description]
        plan = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    assert plan[0]["type"] == "fulltext", plan


@catalog_db
@pytest.mark.skipif(CATALOG_ON_MYSQL, reason="SQLite has no FULLTEXT index")
def test_on_sqlite_the_search_is_a_like_per_word(catalog):
    with CaptureQueriesContext(connection) as queries:
        assert _found("trail running") == ["Northpeak Trail Running Shoe"]
    sql = queries.captured_queries[0]["sql"]
    assert "MATCH" not in sql and sql.count("LIKE") == 2
