"""The catalog pages in Chromium (``tests/web/browser.py``), at desktop and phone width:
search from the header, narrow to a category and back, images that load within the
Content-Security-Policy, and variant selects that show their whole labels in their card."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ItemFactory, SkuFactory
from tests.web.browser import BROWSER_TESTS, DESKTOP, PHONE

pytestmark = BROWSER_TESTS

# For each card's select: its box, its card's box, and the width it would take to show
# its widest option whole (a copy of it at its natural width, same font and padding).
SELECT_BOXES = """() => [...document.querySelectorAll('.product-card select')].map(select => {
    const card = select.closest('.product-card').getBoundingClientRect();
    const box = select.getBoundingClientRect();
    const copy = select.cloneNode(true);
    copy.removeAttribute('id');
    copy.style.width = 'auto';
    copy.style.maxWidth = 'none';
    copy.style.flex = 'none';
    select.parentNode.appendChild(copy);
    const natural = copy.getBoundingClientRect().width;
    copy.remove();
    return {label: select.labels[0].textContent, width: box.width, natural: natural,
            inside: box.left >= card.left && box.right <= card.right};
})"""


def _variants(title: str, category: str, image: str, *variants: tuple[dict, str, int]) -> None:
    item = ItemFactory(title=title, category=category, image=image)
    for attributes, price, stock in variants:
        SkuFactory(item=item, attributes=attributes, price__amount=price, stock__quantity=stock)


@pytest.fixture
def shop():
    """Products whose variants have the longest labels of the demo catalog's kinds."""
    _variants(
        "Northpeak Trail Running Shoe",
        "shoes",
        "catalog/shoes/olive.svg",
        ({"colour": "Olive", "size": "Standard"}, "128.99", 5),
        ({"colour": "Black", "size": "Standard"}, "128.99", 0),
    )
    _variants(
        "Kestrel Road Running Shoe",
        "shoes",
        "catalog/shoes/navy.svg",
        ({"size": "42"}, "89.99", 5),
        ({"size": "43"}, "89.99", 5),
    )
    _variants(
        "Emberly Shea Body Lotion",
        "beauty",
        "catalog/beauty/white.svg",
        ({"scent": "Lavender", "volume": "250 ml"}, "24.99", 5),
        ({"scent": "Lavender", "volume": "100 ml"}, "1024.99", 0),
    )
    _variants(
        "Fjordwell Plush Bath Towel",
        "home",
        "",  # no image: the placeholder
        ({"colour": "White", "size": "Standard"}, "28.99", 5),
        ({"colour": "White", "size": "Large"}, "1234.99", 5),
    )


def _watch_csp(page) -> list[str]:
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return violations


def _titles(page) -> list[str]:
    return page.locator(".product-card .product-title").all_inner_texts()


def _assert_selects_fit(page) -> None:
    boxes = page.evaluate(SELECT_BOXES)
    assert len(boxes) == page.locator(".product-card select").count() > 0
    for box in boxes:
        assert box["inside"], box
        assert box["natural"] <= box["width"] + 0.5, box  # no label cut off


def _assert_images_loaded(page) -> None:
    images = page.locator(".product-card img.product-image")
    expect(images.first).to_be_visible()
    for image in images.all():
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), image.get_attribute("src")
        box = image.bounding_box()
        assert box and abs(box["width"] / box["height"] - 4 / 3) < 0.02  # the box of width/height


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1100px", "375px"])
def test_search_browse_a_category_and_read_every_variant(open_page, shop, viewport):
    page = open_page("/", viewport=viewport)
    violations = _watch_csp(page)

    # Every card's variant select shows its whole label inside its card.
    assert len(_titles(page)) == 4
    _assert_selects_fit(page)
    _assert_images_loaded(page)

    # Search from the header: a labelled box, with a visible focus.
    box = page.get_by_role("searchbox", name="Search products")
    box.focus()
    assert box.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    box.fill("running")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/products/\?q=running$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “running”")
    assert _titles(page) == ["Northpeak Trail Running Shoe", "Kestrel Road Running Shoe"]
    expect(box).to_have_value("running")
    _assert_selects_fit(page)

    # Narrow to a category: the search stays, the category is marked current.
    categories = page.get_by_role("navigation", name="Categories")
    expect(categories.get_by_role("link")).to_have_text([re.compile(r"All products\s+2"), re.compile(r"Shoes\s+2")])
    categories.get_by_role("link", name=re.compile("^Shoes")).click()
    page.wait_for_url(re.compile(r"/products/\?q=running&category=shoes$"))
    expect(categories.locator("[aria-current=page]")).to_have_text(re.compile(r"Shoes\s+2"))

    # A search that finds nothing says so and leads back to everything.
    box.fill("umbrella")
    box.press("Enter")
    expect(page.get_by_text("No products match “umbrella”.")).to_be_visible()
    page.get_by_role("link", name="See all products").click()
    page.wait_for_url(re.compile(r"/products/$"))
    assert len(_titles(page)) == 4

    # Browse a category without a search; back to all from the navigation.
    categories.get_by_role("link", name=re.compile("^Beauty")).click()
    page.wait_for_url(re.compile(r"/products/\?category=beauty$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Beauty")
    assert _titles(page) == ["Emberly Shea Body Lotion"]
    _assert_selects_fit(page)
    categories.get_by_role("link", name=re.compile("^All products")).click()
    expect(categories.locator("[aria-current=page]")).to_have_text(re.compile(r"All products\s+4"))

    assert violations == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1100px", "375px"])
def test_the_product_page_shows_its_image_beside_the_choices(open_page, shop, viewport):
    page = open_page("/products/?q=trail", viewport=viewport)
    page.get_by_role("link", name="Northpeak Trail Running Shoe").click()

    image = page.get_by_role("img", name="Northpeak Trail Running Shoe")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    heading = page.get_by_role("heading", level=1).bounding_box()
    picture = image.bounding_box()
    if viewport is DESKTOP:  # side by side
        assert picture["x"] + picture["width"] <= heading["x"] and picture["y"] <= heading["y"] + heading["height"]
    else:  # stacked, the picture first, within the screen
        assert picture["y"] + picture["height"] <= heading["y"] and picture["x"] + picture["width"] <= PHONE["width"]
    page.get_by_role("link", name="Shoes").click()
    page.wait_for_url(re.compile(r"/products/\?category=shoes$"))
    assert len(_titles(page)) == 2
