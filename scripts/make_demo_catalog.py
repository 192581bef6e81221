"""Regenerate the demo catalog fixture, catalog/fixtures/demo_catalog.json, and its images.

The fixture is in the ``loadcatalog`` format: about 300 items of a general
store, each with a few SKUs. All randomness comes from one seeded generator,
so every run writes byte-for-byte the same file.

The images are small SVG drawings, one per category and colour, drawn here
(static/catalog/<category>/<colour>.svg, 60 files of about 1 KB): an item shows
the colour of its first SKU, or one picked by its id when it has no colour.

Run from the repository root:

    python scripts/make_demo_catalog.py
"""

import itertools
import json
import math
import random
from pathlib import Path
from typing import NamedTuple

SEED = 42
ITEM_COUNT = 300
FIRST_ITEM_ID = 1001
FIRST_SKU_ID = 200001
MAX_SKUS_PER_ITEM = 6
BRANDS_PER_CATEGORY = 5
FEATURE_SIZE = 8
FEATURE_NOISE = 0.05
INACTIVE_ITEM_SHARE = 0.03
INACTIVE_SKU_SHARE = 0.02
SOLD_OUT_SHARE = 0.05
LOW_STOCK_COUNT = 6
CURRENCY = "USD"

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "catalog" / "fixtures" / "demo_catalog.json"
STATIC_ROOT = REPO_ROOT / "static"
IMAGE_DIR = "catalog"  # under the static root


class Product(NamedTuple):
    """A product type; item titles read "<brand> <model> <kind>"."""

    category: str
    kind: str
    models: tuple
    low_price: float
    high_price: float


class Axis(NamedTuple):
    """A variant attribute of a category's SKUs.

    Each step along ``values`` adds ``price_step`` times the base price. An item
    varies on the category's first axis always, and on the others with ``chance``.
    """

    name: str
    values: tuple
    price_step: float = 0.0
    chance: float = 1.0


BRANDS = (
    "Northpeak",
    "Kestrel",
    "Brightwell",
    "Copperline",
    "Bluemarsh",
    "Ironbark",
    "Hollowpine",
    "Maplestone",
    "Quillory",
    "Saltgrass",
    "Stonebrook",
    "Wrenfield",
    "Zephyrine",
    "Fjordwell",
    "Oakhaven",
    "Larkmoor",
    "Emberly",
    "Granite & Gull",
)
COLOURS = ("Black", "White", "Navy", "Grey", "Olive", "Red")
EU_SHOE_SIZES = tuple(str(size) for size in range(37, 47))
STORAGE_SIZES = ("64GB", "128GB", "256GB", "512GB", "1TB")

PRODUCTS = (
    Product("shoes", "Running Shoe", ("Trail", "Road", "Featherlight", "Tempo"), 59, 149),
    Product("shoes", "Leather Sneaker", ("Classic", "Low-Top", "Court"), 49, 119),
    Product("shoes", "Hiking Boot", ("Waterproof", "Alpine", "Mid-Cut"), 89, 189),
    Product("shoes", "Sandal", ("Slide", "Sport", "Cork"), 19, 59),
    Product("apparel", "T-Shirt", ("Organic Cotton", "Crew Neck", "Pocket"), 12, 35),
    Product("apparel", "Hoodie", ("Fleece", "Zip-Up", "Heavyweight"), 35, 79),
    Product("apparel", "Rain Jacket", ("Packable", "Storm", "Lightweight"), 59, 169),
    Product("apparel", "Chino Trousers", ("Slim", "Relaxed", "Stretch"), 39, 89),
    Product("electronics", "Smartphone", ("Pro", "Lite", "Max", "Mini"), 199, 899),
    Product("electronics", "Laptop", ('14" Ultrabook', '16" Creator', '13" Air'), 549, 999),
    Product("electronics", "Tablet", ('11" Studio', '8" Compact', '12" Pro'), 149, 699),
    Product("electronics", "Portable Drive", ("Rugged", "Slim", "Pocket"), 19, 99),
    Product("kitchen", "Skillet", ("Cast Iron", "Nonstick", "Carbon Steel"), 24, 79),
    Product("kitchen", "Chef's Knife", ("Forged", "Japanese-Style", "Everyday"), 29, 129),
    Product("kitchen", "Mixing Bowl Set", ("Stainless", "Glass", "Nesting"), 19, 49),
    Product("kitchen", "Electric Kettle", ("Gooseneck", "Rapid-Boil", "Glass"), 29, 89),
    Product("home", "Throw Pillow", ("Linen", "Velvet", "Woven"), 15, 45),
    Product("home", "Bath Towel", ("Waffle", "Plush", "Quick-Dry"), 9, 35),
    Product("home", "Table Lamp", ("Ceramic", "Brass", "Arc"), 29, 129),
    Product("home", "Duvet Cover", ("Percale", "Washed Linen", "Sateen"), 49, 159),
    Product("books", "Cookbook", ("Weeknight", "Mediterranean", "Baking"), 12, 24),
    Product("books", "Mystery Novel", ("Midnight", "Harbour", "Winter"), 8, 16),
    Product("books", "Field Guide", ("Birds", "Wildflowers", "Trees"), 10, 22),
    Product("books", "Travel Guide", ("Coastal", "City Breaks", "Mountain"), 9, 20),
    Product("toys", "Building Set", ("Castle", "Space Station", "Harbour"), 19, 89),
    Product("toys", "Jigsaw Puzzle", ("Landscape", "Map", "Night Sky"), 12, 29),
    Product("toys", "Plush Toy", ("Bear", "Fox", "Owl"), 9, 29),
    Product("toys", "Board Game", ("Strategy", "Family", "Party"), 19, 49),
    Product("sports", "Yoga Mat", ("Cork", "Travel", "Extra-Thick"), 19, 69),
    Product("sports", "Cycling Helmet", ("Aero", "Commuter", "Trail"), 39, 129),
    Product("sports", "Water Bottle", ("Insulated", "Squeeze", "Wide-Mouth"), 9, 35),
    Product("sports", "Tennis Racket", ("Control", "Power", "Junior"), 39, 199),
    Product("beauty", "Face Cream", ("Hydrating", "Night", "Daily"), 12, 49),
    Product("beauty", "Shampoo", ("Volumising", "Gentle", "Repair"), 6, 19),
    Product("beauty", "Body Lotion", ("Shea", "Oat", "Unscented"), 7, 24),
    Product("beauty", "Sunscreen", ("SPF 30", "SPF 50", "Sport"), 9, 29),
    Product("grocery", "Coffee Beans", ("Dark Roast", "Breakfast Blend", "Single Origin"), 9, 22),
    Product("grocery", "Olive Oil", ("Extra Virgin", "Cold-Pressed", "Lemon-Infused"), 8, 24),
    Product("grocery", "Green Tea", ("Sencha", "Jasmine", "Matcha"), 5, 19),
    Product("grocery", "Dark Chocolate", ("Sea Salt", "Orange", "85%"), 3, 8),
)

CATEGORY_AXES = {
    "shoes": [Axis("size", EU_SHOE_SIZES), Axis("colour", COLOURS, chance=0.5)],
    "apparel": [Axis("size", ("S", "M", "L", "XL"), 0.03), Axis("colour", COLOURS)],
    "electronics": [Axis("storage", STORAGE_SIZES, 0.12), Axis("colour", COLOURS[:4], chance=0.6)],
    "kitchen": [Axis("size", ("Small", "Medium", "Large"), 0.15), Axis("colour", COLOURS[:4], chance=0.4)],
    "home": [Axis("colour", COLOURS), Axis("size", ("Standard", "Large"), 0.2, chance=0.5)],
    "books": [Axis("format", ("ebook", "paperback", "hardcover"), 0.25)],
    "toys": [Axis("edition", ("Standard", "Deluxe"), 0.4), Axis("colour", COLOURS[2:], chance=0.3)],
    "sports": [Axis("size", ("S", "M", "L"), 0.05), Axis("colour", COLOURS, chance=0.5)],
    "beauty": [Axis("volume", ("50 ml", "100 ml", "250 ml"), 0.5), Axis("scent", ("Citrus", "Lavender"), chance=0.4)],
    "grocery": [Axis("pack_size", ("Single", "3-pack", "6-pack"), 1.5)],
}

CATEGORY_SENTENCES = {
    "shoes": (
        "A cushioned sole keeps long days comfortable.",
        "The breathable upper dries quickly after rain.",
        "Runs true to size.",
        "A grippy outsole holds on wet pavement and loose gravel.",
    ),
    "apparel": (
        "Soft fabric that holds its shape wash after wash.",
        "A relaxed cut that layers easily.",
        "Machine washable at 30 degrees.",
        "Made from recycled fibres.",
    ),
    "electronics": (
        "Fast to set up and quick to charge.",
        "A bright, sharp display for work and play.",
        "Comes with a two-year limited warranty.",
        "Light enough to carry all day.",
    ),
    "kitchen": (
        "Dishwasher safe and easy to clean.",
        "Balanced and comfortable in the hand.",
        "Built to last through years of daily cooking.",
        "Works on gas, electric and induction hobs.",
    ),
    "home": (
        "Adds a calm, natural touch to any room.",
        "Soft to the touch and easy to care for.",
        "Pairs well with the rest of the collection.",
        "Made from responsibly sourced materials.",
    ),
    "books": (
        "A reader favourite, now in a new edition.",
        "Clear writing and plenty of illustrations.",
        "A thoughtful gift for curious minds.",
        "Includes an index and suggestions for further reading.",
    ),
    "toys": (
        "Recommended for ages 6 and up.",
        "Hours of screen-free fun for the whole family.",
        "Sturdy pieces that stand up to enthusiastic play.",
        "Tested to current toy safety standards.",
    ),
    "sports": (
        "Built for training sessions of every intensity.",
        "Light, durable and easy to carry.",
        "A favourite with beginners and regulars alike.",
        "Wipes clean after a sweaty session.",
    ),
    "beauty": (
        "Dermatologically tested and suitable for sensitive skin.",
        "Absorbs quickly without a greasy feel.",
        "Free from parabens and added colourants.",
        "Made in small batches.",
    ),
    "grocery": (
        "Sourced from small growers we know by name.",
        "Best enjoyed within six months of opening.",
        "Packed in recyclable packaging.",
        "A pantry staple with a rich, rounded flavour.",
    ),
}


# --- images -------------------------------------------------------------------------------

COLOUR_HEX = {
    "Black": "#30343a",
    "White": "#f6f5f1",
    "Navy": "#27416b",
    "Grey": "#8a919b",
    "Olive": "#6d7b3b",
    "Red": "#b53c33",
}
BACKGROUNDS = {
    "shoes": "#e6edf6",
    "apparel": "#f3ebe3",
    "electronics": "#e5ebef",
    "kitchen": "#f3eee0",
    "home": "#edf0e4",
    "books": "#f1e8ee",
    "toys": "#e7f1ea",
    "sports": "#e3eff1",
    "beauty": "#f5e8e9",
    "grocery": "#eee9dd",
}

# One drawing per category in a 320 x 240 box standing on y = 196: shapes in the item's
# colour ({body}, outlined when light), in a darker shade of it ({shade}), and details in
# a contrasting one ({detail} shapes, {line} strokes). Presentation attributes, no
# <style>: nothing for a Content-Security-Policy to refuse.
DRAWINGS = {
    "shoes": (
        '<path {body} d="M72 176V120q0-14 14-14h28q14 24 46 26l44 4q50 8 56 40z"/>',
        '<rect {shade} x="66" y="172" width="200" height="18" rx="9"/>',
        '<path {line} d="M98 158q70-10 140-4" stroke-width="6"/>',
    ),
    "apparel": (
        '<path {body} d="M122 56 100 60 62 92l20 32 22-14v82h112v-82l22 14 20-32-38-32-22-4q-38 28-76 0z"/>',
        '<path {line} d="M122 56q38 28 76 0" stroke-width="6"/>',
    ),
    "electronics": (
        '<rect {body} x="88" y="52" width="144" height="100" rx="9"/>',
        '<rect {detail} x="99" y="63" width="122" height="78" rx="3"/>',
        '<path {body} d="M60 160h200l-12 26H72z"/>',
    ),
    "kitchen": (
        '<rect {body} x="190" y="128" width="84" height="17" rx="8.5"/>',
        '<circle {body} cx="140" cy="136" r="60"/>',
        '<circle {detail} cx="140" cy="136" r="45"/>',
    ),
    "home": (
        '<rect {shade} x="155" y="126" width="10" height="52"/>',
        '<path {body} d="M118 56h84l26 72H92z"/>',
        '<ellipse {body} cx="160" cy="184" rx="46" ry="11"/>',
    ),
    "books": (
        '<rect {body} x="98" y="44" width="126" height="150" rx="6"/>',
        '<rect {shade} x="98" y="44" width="20" height="150" rx="6"/>',
        '<rect {detail} x="138" y="76" width="68" height="28" rx="3"/>',
    ),
    "toys": (
        '<rect {body} x="76" y="132" width="76" height="58" rx="6"/>',
        '<rect {body} x="168" y="132" width="76" height="58" rx="6"/>',
        '<rect {shade} x="122" y="74" width="76" height="58" rx="6"/>',
        '<path {line} d="M96 150h36M188 150h36M142 92h36" stroke-width="8"/>',
    ),
    "sports": (
        '<rect {shade} x="108" y="118" width="104" height="18" rx="4"/>',
        '<rect {body} x="70" y="86" width="28" height="82" rx="7"/>',
        '<rect {body} x="222" y="86" width="28" height="82" rx="7"/>',
        '<rect {shade} x="98" y="100" width="14" height="54" rx="4"/>',
        '<rect {shade} x="208" y="100" width="14" height="54" rx="4"/>',
        '<path {line} d="M140 127h40" stroke-width="6"/>',
    ),
    "beauty": (
        '<rect {shade} x="146" y="70" width="28" height="26"/>',
        '<rect {body} x="138" y="56" width="44" height="14" rx="4"/>',
        '<rect {body} x="178" y="58" width="30" height="9" rx="3"/>',
        '<rect {body} x="116" y="92" width="88" height="104" rx="16"/>',
        '<rect {detail} x="132" y="120" width="56" height="42" rx="4"/>',
    ),
    "grocery": (
        '<path {body} d="M110 72h100l12 124H98z"/>',
        '<rect {shade} x="104" y="58" width="112" height="18" rx="3"/>',
        '<circle {detail} cx="160" cy="136" r="26"/>',
    ),
}


def _mix(colour, other, share):
    """``colour`` moved ``share`` of the way towards ``other``, as #rrggbb."""
    a, b = (tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (colour, other))
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def _is_light(colour):
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue > 160


def draw_image(category, colour_name):
    """A small SVG of a category's drawing in one colour: flat shapes, no text, no script."""
    fill = COLOUR_HEX[colour_name]
    shade = _mix(fill, "#000000", 0.3)
    detail = _mix(fill, "#000000", 0.18) if _is_light(fill) else _mix(fill, "#ffffff", 0.55)
    outline = _mix(fill, "#000000", 0.4) if _is_light(fill) else "none"
    attributes = {
        "body": f'fill="{fill}" stroke="{outline}" stroke-width="3"',
        "shade": f'fill="{shade}"',
        "detail": f'fill="{detail}"',
        "line": f'fill="none" stroke="{detail}" stroke-linecap="round"',
    }
    return "\n".join(
        (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 240" width="320" height="240">',
            f'<rect width="320" height="240" fill="{BACKGROUNDS[category]}"/>',
            '<ellipse cx="160" cy="198" rx="112" ry="10" fill="#000" fill-opacity=".07"/>',
            *(shape.format(**attributes) for shape in DRAWINGS[category]),
            "</svg>",
            "",
        )
    )


def image_path(category, colour_name):
    return f"{IMAGE_DIR}/{category}/{colour_name.lower()}.svg"


def item_colour(item_id, skus):
    """The colour an item's picture shows: its first SKU's, or one chosen by its id."""
    named = [sku["attributes"]["colour"] for sku in skus if "colour" in sku["attributes"]]
    return named[0] if named else tuple(COLOUR_HEX)[item_id % len(COLOUR_HEX)]


def write_images():
    """Write every category's drawing in every colour; return how many files."""
    for category in DRAWINGS:
        for colour_name in COLOUR_HEX:
            path = STATIC_ROOT / image_path(category, colour_name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(draw_image(category, colour_name), encoding="utf-8")
    return len(DRAWINGS) * len(COLOUR_HEX)


# --- items -------------------------------------------------------------------------------


def retail_price(amount):
    """Format an amount as a shelf price: 19.99 below 200, 249.00 from there on."""
    if amount < 200:
        return f"{int(amount)}.99"
    return f"{int(amount // 10) * 10 + 9}.00"


def pick_run(values, length, rng):
    """Indexes of ``length`` neighbouring values, e.g. sizes 40 to 43."""
    length = min(length, len(values))
    start = rng.randint(0, len(values) - length)
    return range(start, start + length)


def pick_variants(axes, rng):
    """Choose the axes an item varies on and a run of values on each, at most MAX_SKUS_PER_ITEM in all."""
    used = [axes[0]] + [axis for axis in axes[1:] if rng.random() < axis.chance]
    extra_lengths = [rng.randint(1, 2) for _ in used[1:]]
    primary_length = max(1, rng.randint(1, MAX_SKUS_PER_ITEM) // math.prod(extra_lengths))
    lengths = [primary_length, *extra_lengths]
    return used, [pick_run(axis.values, length, rng) for axis, length in zip(used, lengths, strict=True)]


def make_skus(axes, base_price, sku_ids, rng):
    used, runs = pick_variants(axes, rng)
    skus = []
    for combo in itertools.product(*runs):
        steps = sum(axis.price_step * (index - run.start) for axis, index, run in zip(used, combo, runs, strict=True))
        skus.append(
            {
                "sku_id": next(sku_ids),
                "attributes": {axis.name: axis.values[index] for axis, index in zip(used, combo, strict=True)},
                "active": True,
                "price": retail_price(base_price * (1 + steps)),
                "currency": CURRENCY,
                "stock": rng.randint(4, 500),
            }
        )
    return skus


def pick_product(products, brands, taken_titles, rng):
    """A product and a title for it that no other item has."""
    while True:
        product = rng.choice(products)
        title = f"{rng.choice(brands)} {rng.choice(product.models)} {product.kind}"
        if title not in taken_titles:
            taken_titles.add(title)
            return product, title


def make_features(base, rng):
    return [round(min(1.0, max(0.0, value + rng.gauss(0, FEATURE_NOISE))), 3) for value in base]


def make_items(rng):
    brands = {category: rng.sample(BRANDS, BRANDS_PER_CATEGORY) for category in CATEGORY_AXES}
    base_features = {category: [rng.random() for _ in range(FEATURE_SIZE)] for category in CATEGORY_AXES}
    sku_ids = itertools.count(FIRST_SKU_ID)
    titles = set()
    items = []
    for item_id in range(FIRST_ITEM_ID, FIRST_ITEM_ID + ITEM_COUNT):
        category = rng.choice(list(CATEGORY_AXES))
        products = [product for product in PRODUCTS if product.category == category]
        product, title = pick_product(products, brands[category], titles, rng)
        base_price = rng.uniform(product.low_price, product.high_price)
        # In this order: each draws from the generator.
        description = " ".join(rng.sample(CATEGORY_SENTENCES[category], rng.randint(1, 2)))
        features = make_features(base_features[category], rng)
        skus = make_skus(CATEGORY_AXES[category], base_price, sku_ids, rng)
        items.append(
            {
                "item_id": item_id,
                "title": title,
                "active": True,
                "category": category,
                "image": image_path(category, item_colour(item_id, skus)),
                "description": description,
                "features": features,
                "skus": skus,
            }
        )
    return items


def apply_availability(items, rng):
    """Deactivate a few items and SKUs; sell out some SKUs and leave a handful nearly sold out."""
    for item in rng.sample(items, round(len(items) * INACTIVE_ITEM_SHARE)):
        item["active"] = False
    skus_of_active_items = [sku for item in items if item["active"] for sku in item["skus"]]
    for sku in rng.sample(skus_of_active_items, round(len(skus_of_active_items) * INACTIVE_SKU_SHARE)):
        sku["active"] = False
    all_skus = [sku for item in items for sku in item["skus"]]
    sold_out_count = round(len(all_skus) * SOLD_OUT_SHARE)
    picked = rng.sample(all_skus, sold_out_count + LOW_STOCK_COUNT)
    for sku in picked[:sold_out_count]:
        sku["stock"] = 0
    for sku in picked[sold_out_count:]:
        sku["stock"] = rng.randint(1, 3)


def summary(items):
    skus = [sku for item in items for sku in item["skus"]]
    inactive = sum(not item["active"] for item in items)
    sold_out = sum(sku["stock"] == 0 for sku in skus)
    return (
        f"Wrote {len(items)} items, {len(skus)} SKUs ({inactive} inactive items, "
        f"{sold_out} sold-out SKUs) to {OUTPUT.relative_to(REPO_ROOT)}"
    )


def main():
    rng = random.Random(SEED)
    items = make_items(rng)
    apply_availability(items, rng)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8") as out:
        json.dump({"items": items}, out, indent=1, ensure_ascii=False)
        out.write("\n")
    print(summary(items))
    print(f"Wrote {write_images()} images to {(STATIC_ROOT / IMAGE_DIR).relative_to(REPO_ROOT)}/")


if __name__ == "__main__":
    main()
