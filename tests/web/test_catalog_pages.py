"""The shop's catalog pages through Django's test client: images, categories, the search
box and its results, and variant choices short enough for a card.

The search tests commit their rows (``transaction=True``, the default database only):
InnoDB's FULLTEXT index sees nothing of a transaction that is never committed."""

import html
import re

import pytest

from catalog.models import Item
from tests.conftest import db_all
from tests.factories import ItemFactory, SkuFactory
from tests.web.helpers import make_sku

catalog_db = pytest.mark.django_db(databases=["default"], transaction=True)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", response.content.decode())


def cards(page: str) -> list[str]:
    """The titles of the product cards, in order."""
    return [html.unescape(t) for t in re.findall(r'<span class="product-title">([^<]*)</span>', page)]


def nav(page: str) -> dict[str, tuple[str, bool]]:
    """The category links: label → (href, current)."""
    block = re.search(r'<nav class="category-nav".*?</nav>', page).group(0)
    links = re.findall(r'<a href="([^"]*)"( aria-current="page")?>([^<]*)<span class="count">(\d+)</span>', block)
    return {f"{label.strip()} {count}": (html.unescape(href), bool(current)) for href, current, label, count in links}


@pytest.fixture
def shop():
    """A few shoes and towels, and a book without any image."""
    for title in ("Trail Running Shoe", "Road Running Shoe", "Leather Sneaker"):
        SkuFactory(item=ItemFactory(title=title, category="shoes", image="catalog/shoes/olive.svg"))
    for title in ("Plush Bath Towel", "Waffle Bath Towel"):
        SkuFactory(item=ItemFactory(title=title, category="home", image="catalog/home/white.svg"))
    SkuFactory(item=ItemFactory(title="Trail Field Guide", category="books"))


# --- images ------------------------------------------------------------------------------------


@db_all
def test_the_product_page_shows_the_image_with_alt_text_and_its_size(client):
    shoe = make_sku("Trail shoe", "19.99", size="42")
    shoe.item.image = "catalog/shoes/olive.svg"
    shoe.item.save()

    page = text(client.get(f"/products/{shoe.item_id}/"))

    assert re.search(
        r'<img class="product-image" src="/static/catalog/shoes/olive.svg" alt="Trail shoe" width="480" height="360"',
        page,
    )


@db_all
def test_a_product_without_an_image_shows_the_placeholder_on_its_page_and_card(client):
    shoe = make_sku("Trail shoe", "19.99")

    for path in (f"/products/{shoe.item_id}/", "/products/"):
        page = text(client.get(path))
        placeholder = re.search(r'<img class="product-image is-placeholder" src="([^"]+)" alt="" width', page)
        assert placeholder and placeholder.group(1) == "/static/catalog/placeholder.svg"
        assert 'alt="Trail shoe"' not in page


@db_all
def test_cards_show_their_image_inside_the_link_named_by_the_title(client):
    shoe = make_sku("Trail shoe", "19.99")
    shoe.item.image = "https://images.example.com/trail.jpg"
    shoe.item.save()

    card = re.search(r'<li class="product-card">.*?</li>', text(client.get("/products/"))).group(0)

    # Decorative inside the link: the link's name stays the title, said once. The first
    # row loads at once, the others lazily.
    assert re.search(
        rf'<a href="/products/{shoe.item_id}/"> <img class="product-image" src="https://images.example.com/trail.jpg"'
        r' alt="" width="320" height="240" decoding="async"> <span class="product-title">Trail shoe',
        card,
    )
    for n in range(5):
        make_sku(f"Thing {n}")
    images = re.findall(r'<img class="product-image[^>]*>', text(client.get("/products/")))
    assert ['loading="lazy"' in image for image in images] == [False] * 3 + [True] * 3


# --- categories ----------------------------------------------------------------------------


@catalog_db
def test_the_category_navigation_counts_items_and_marks_the_current_one(client, shop):
    page = text(client.get("/products/"))
    assert nav(page) == {
        "All products 6": ("/products/", True),
        "Books 1": ("/products/?category=books", False),
        "Home 2": ("/products/?category=home", False),
        "Shoes 3": ("/products/?category=shoes", False),
    }

    shoes = text(client.get("/products/?category=shoes"))
    assert cards(shoes) == ["Trail Running Shoe", "Road Running Shoe", "Leather Sneaker"]
    assert nav(shoes)["Shoes 3"] == ("/products/?category=shoes", True)
    assert nav(shoes)["All products 6"] == ("/products/", False)
    assert '<h1 id="results-heading">Shoes</h1>' in shoes and "3 products" in shoes
    assert "<title>Shoes ·" in shoes


@catalog_db
def test_the_home_page_lists_every_category_too(client, shop):
    page = text(client.get("/"))
    assert len(cards(page)) == 6 and "Shoes 3" in nav(page)


@catalog_db
def test_an_unknown_category_says_so_and_leads_back(client, shop):
    page = text(client.get("/products/?category=" + "x" * 300))
    assert cards(page) == [] and "No products in this category." in page
    assert '<a href="/products/">See all products</a>' in page


# --- search --------------------------------------------------------------------------------


@catalog_db
def test_the_header_has_a_labelled_bounded_search_box_on_every_page(client):
    for path in ("/products/", "/cart/", "/accounts/login/"):
        page = text(client.get(path))
        form = re.search(r'<form class="site-search" role="search" method="get" action="/products/">.*?</form>', page)
        assert form, path
        assert '<label for="site-search" class="visually-hidden">Search products</label>' in form.group(0)
        assert re.search(r'<input id="site-search" type="search" name="q" value="" maxlength="100"', form.group(0))


@catalog_db
def test_a_search_shows_the_matching_titles_and_keeps_the_query_in_the_box(client, shop):
    page = text(client.get("/products/", {"q": "running shoe"}))
    assert cards(page) == ["Trail Running Shoe", "Road Running Shoe"]
    assert "Results for “running shoe”" in page and "2 products" in page
    assert 'name="q" value="running shoe"' in page
    # The categories count the matches, and keep the query.
    assert nav(page) == {
        "All products 2": ("/products/?q=running+shoe", True),
        "Shoes 2": ("/products/?q=running+shoe&category=shoes", False),
    }


@catalog_db
def test_a_search_within_a_category(client, shop):
    page = text(client.get("/products/", {"q": "trail", "category": "books"}))
    assert cards(page) == ["Trail Field Guide"]
    assert "Results for “trail” in Books" in page
    assert nav(page)["Books 1"][1] is True and "Shoes 1" in nav(page)


@catalog_db
def test_no_result_says_so_and_offers_a_way_back(client, shop):
    page = text(client.get("/products/", {"q": "umbrella"}))
    assert cards(page) == []
    assert "No products match “umbrella”." in page
    assert '<a href="/products/">See all products</a>' in page
    assert nav(page) == {"All products 0": ("/products/?q=umbrella", True)}

    in_category = text(client.get("/products/", {"q": "towel", "category": "shoes"}))
    assert "No products match “towel” in Shoes." in in_category
    assert '<a href="/products/?q=towel">Search all categories</a>' in in_category


@catalog_db
@pytest.mark.parametrize("query", ["", "   ", '+*"()~<>@', "\\", "%_%", "\x00"])
def test_a_query_without_words_shows_every_product(client, shop, query):
    page = text(client.get("/products/", {"q": query}))
    assert len(cards(page)) == 6


@catalog_db
@pytest.mark.parametrize(
    "query", ["+trail", "trail*", '"trail"', "(trail)", "~trail", "<trail>", "@trail", "-trail", 'trail "+*()~<>@']
)
def test_fulltext_operators_in_the_query_cause_no_error(client, shop, query):
    page = text(client.get("/products/", {"q": query}))
    assert cards(page) == ["Trail Running Shoe", "Trail Field Guide"]
    assert html.escape(query.strip(), quote=True) in page  # shown back, escaped


@catalog_db
def test_a_query_is_only_ever_words_to_match(client, shop):
    page = text(client.get("/products/", {"q": "'; DROP TABLE catalog_item; --"}))
    assert "No products match “&#x27;; DROP TABLE catalog_item; --”." in page
    assert Item.objects.count() == 6


@catalog_db
def test_a_too_long_query_is_cut_to_100_characters(client, shop):
    query = "trail " + "x" * 400
    page = text(client.get("/products/", {"q": query}))
    assert re.search(r'name="q" value="([^"]*)"', page).group(1) == query[:100]
    assert f"No products match “{query[:100]}”." in page  # "xxx…" is searched, and matches nothing


@catalog_db
def test_pages_of_results_keep_the_query_and_the_category(client):
    for n in range(30):
        SkuFactory(item=ItemFactory(title=f"Trail thing {n:02}", category="misc"))
    SkuFactory(item=ItemFactory(title="Trail thing elsewhere", category="other"))
    for n in range(5):
        SkuFactory(item=ItemFactory(title=f"Road thing {n}", category="misc"))

    first = text(client.get("/products/", {"q": "trail", "category": "misc"}))
    assert "Page 1 of 2" in first and len(cards(first)) == 24
    assert '<a href="?q=trail&amp;category=misc&amp;page=2" rel="next">' in first

    second = text(client.get("/products/?q=trail&category=misc&page=2"))
    assert cards(second) == [f"Trail thing {n:02}" for n in range(24, 30)]
    assert '<a href="?q=trail&amp;category=misc&amp;page=1" rel="prev">' in second

    # Without a filter the links stay as they were.
    assert '<a href="?page=2" rel="next">' in text(client.get("/products/"))


# --- variant choices on the cards ------------------------------------------------------------


@db_all
def test_a_cards_variant_choices_are_short(client):
    item = ItemFactory(title="Trail shoe")
    olive_s = SkuFactory(item=item, attributes={"colour": "Olive", "size": "S"})
    SkuFactory(item=item, attributes={"colour": "Olive", "size": "M"})
    one_axis = ItemFactory(title="Cookbook")
    paperback = SkuFactory(item=one_axis, attributes={"format": "paperback"})
    SkuFactory(item=one_axis, attributes={"format": "hardcover"})

    page = text(client.get("/products/"))

    assert f'<option value="{olive_s.sku_id}">Olive / S — $19.99</option>' in page
    assert f'<option value="{paperback.sku_id}">paperback — $19.99</option>' in page
    assert "colour: Olive" not in page  # the long form stays on the product page
    assert "colour: Olive · size: S" in text(client.get(f"/products/{item.item_id}/"))
