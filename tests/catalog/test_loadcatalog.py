import json
import os
import subprocess
import sys
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import Item, Sku, Stock
from pricing.models import Price
from tests.conftest import db_all

pytestmark = db_all

DEMO_CATALOG = Path(__file__).resolve().parents[2] / "catalog" / "fixtures" / "demo_catalog.json"


def _item(item_id: int, **overrides) -> dict:
    item = {
        "item_id": item_id,
        "title": f"Item {item_id}",
        "active": True,
        "category": "shoes",
        "features": [0.1, 0.7, 0.2],
        "skus": [
            {
                "sku_id": item_id * 10,
                "attributes": {"size": "42"},
                "active": True,
                "price": "19.99",
                "currency": "USD",
                "stock": 50,
            }
        ],
    }
    item.update(overrides)
    return item


def _write(tmp_path: Path, items: list[dict]) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"items": items}))
    return path


def _load(path: Path) -> str:
    out = StringIO()
    call_command("loadcatalog", str(path), stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, int, int, int]:
    return Item.objects.count(), Sku.objects.count(), Price.objects.count(), Stock.objects.count()


def test_loads_items_skus_prices_and_stock(tmp_path):
    output = _load(_write(tmp_path, [_item(1001), _item(1002, active=False)]))
    assert "2 items read" in output and "items: 2 created" in output
    sku = Sku.objects.select_related("item", "price", "stock").get(sku_id=10010)
    assert (sku.item.title, sku.attributes, sku.price.amount, sku.price.currency, sku.stock.quantity) == (
        "Item 1001",
        {"size": "42"},
        Decimal("19.99"),
        "USD",
        50,
    )
    assert Item.objects.get(item_id=1002).active is False
    assert Item.objects.get(item_id=1001).features == [0.1, 0.7, 0.2]


def test_reimporting_is_an_upsert_that_reports_what_changed(tmp_path):
    _load(_write(tmp_path, [_item(1001), _item(1002)]))
    changed = _item(1001)
    changed["skus"][0].update(price="17.50", stock=3)
    output = _load(_write(tmp_path, [changed, _item(1002, title="Renamed")]))
    assert "items: 0 created, 1 updated" in output
    assert "1 prices, 1 stock levels" in output
    assert Price.objects.get(sku_id=10010).amount == Decimal("17.50")
    assert Stock.objects.get(sku_id=10010).quantity == 3
    assert Item.objects.get(item_id=1002).title == "Renamed"
    assert _counts() == (2, 2, 2, 2)


def test_an_unchanged_file_writes_nothing(tmp_path, django_assert_max_num_queries):
    path = _write(tmp_path, [_item(n) for n in range(1001, 1041)])
    _load(path)
    # Only the reads that compare the file with the tables: one per table.
    with django_assert_max_num_queries(4):
        output = _load(path)
    assert "0 created, 0 updated" in output


@pytest.mark.parametrize(
    "bad, message",
    [
        (_item(1250, skus=[{**_item(1250)["skus"][0], "price": 19.99}]), "item 1250 (#249): skus[0].price"),
        (_item(1250, skus=[{**_item(1250)["skus"][0], "stock": "5"}]), "item 1250 (#249): skus[0].stock"),
        (_item(1250, skus=[{**_item(1250)["skus"][0], "sku_id": -4}]), "item 1250 (#249): skus[0].sku_id"),
        ({**_item(1250), "item_id": 2**64}, "(#249): item_id"),
        (_item(1250, skus=[]), "item 1250 (#249): skus"),
        ({"title": "no id"}, "item #249: item_id"),
        (_item(1250, skus=[{**_item(1250)["skus"][0], "currency": "usd"}]), "skus[0].currency"),
    ],
)
def test_a_bad_item_late_in_the_file_names_it_and_writes_nothing(tmp_path, bad, message):
    items = [_item(n) for n in range(1001, 1250)] + [bad]
    with pytest.raises(CommandError) as caught:
        _load(_write(tmp_path, items))
    assert message in str(caught.value)
    assert "nothing was imported" in str(caught.value)
    assert _counts() == (0, 0, 0, 0)


def test_repeated_ids_are_refused(tmp_path):
    with pytest.raises(CommandError, match="item 1001 \\(#1\\): item_id repeats item #0"):
        _load(_write(tmp_path, [_item(1001), _item(1001)]))
    twin = _item(1002, skus=_item(1001)["skus"])
    with pytest.raises(CommandError, match="sku_id 10010 also appears in item 1001"):
        _load(_write(tmp_path, [_item(1001), twin]))
    assert _counts() == (0, 0, 0, 0)


def test_a_sku_cannot_move_to_another_item(tmp_path):
    _load(_write(tmp_path, [_item(1001)]))
    with pytest.raises(CommandError, match="sku_id 10010 belongs to item 1001"):
        _load(_write(tmp_path, [_item(1002, skus=_item(1001)["skus"]), _item(1003)]))
    assert not Item.objects.filter(item_id__in=[1002, 1003]).exists()


@pytest.mark.parametrize("content", ["{not json", '{"products": []}', "[]", ""])
def test_malformed_files_are_refused(tmp_path, content):
    path = tmp_path / "catalog.json"
    path.write_text(content)
    with pytest.raises(CommandError, match="catalog.json"):
        _load(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        _load(tmp_path / "absent.json")


def test_command_line_exit_status_is_one_on_bad_input(tmp_path):
    path = _write(tmp_path, [_item(1001, title="")])
    result = subprocess.run(
        [sys.executable, "manage.py", "loadcatalog", str(path)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.returncode == 1
    assert "item 1001 (#0): title" in result.stderr


def test_large_files_show_a_progress_bar(tmp_path, capfd):
    _load(_write(tmp_path, [_item(n) for n in range(100_000, 100_600)]))
    assert "writing" in capfd.readouterr().err
    assert Item.objects.count() == 600


@pytest.mark.skipif(not DEMO_CATALOG.exists(), reason="demo catalog not generated")
def test_the_demo_catalog_loads():
    output = _load(DEMO_CATALOG)
    assert Item.objects.count() >= 200
    assert Sku.objects.count() == Price.objects.count() == Stock.objects.count() > Item.objects.count()
    assert "created" in output


# --- images ----------------------------------------------------------------------------------


def test_an_item_may_name_a_static_image_or_an_https_url(tmp_path):
    items = [
        _item(1001, image="catalog/shoes/olive.svg"),
        _item(1002, image="https://images.example.com/items/1002.jpg?w=640"),
        _item(1003),  # no image at all
        _item(1004, image=None),
        _item(1005, image=""),
    ]
    _load(_write(tmp_path, items))
    images = dict(Item.objects.values_list("item_id", "image"))
    assert images == {
        1001: "catalog/shoes/olive.svg",
        1002: "https://images.example.com/items/1002.jpg?w=640",
        1003: "",
        1004: "",
        1005: "",
    }


def test_a_changed_image_is_an_update_and_an_unchanged_one_writes_nothing(tmp_path):
    _load(_write(tmp_path, [_item(1001, image="catalog/shoes/olive.svg")]))
    assert "0 created, 0 updated" in _load(_write(tmp_path, [_item(1001, image="catalog/shoes/olive.svg")]))
    output = _load(_write(tmp_path, [_item(1001, image="catalog/shoes/red.svg")]))
    assert "items: 0 created, 1 updated" in output
    assert Item.objects.get(item_id=1001).image == "catalog/shoes/red.svg"


@pytest.mark.parametrize(
    "image",
    [
        "http://images.example.com/1.jpg",  # not https
        "javascript:alert(1)",
        "data:image/svg+xml,<svg/>",
        "/static/catalog/shoes/olive.svg",  # absolute path
        "../settings.py",
        "catalog/../../secret.svg",
        "catalog\\shoes\\olive.svg",
        "catalog/shoes/olive.txt",  # not an image
        "catalog/shoes/olive",
        "catalog//shoes.svg",
        "https://",
        "https://exa mple.com/1.jpg",
        "catalog/" + "x" * 500 + ".svg",  # too long
        ["catalog/shoes/olive.svg"],
        {"url": "https://images.example.com/1.jpg"},
    ],
)
def test_a_bad_image_names_its_item_and_writes_nothing(tmp_path, image):
    items = [_item(n) for n in range(1001, 1250)] + [_item(1250, image=image)]
    with pytest.raises(CommandError) as caught:
        _load(_write(tmp_path, items))
    assert "item 1250 (#249): image: " in str(caught.value)
    assert "nothing was imported" in str(caught.value)
    assert _counts() == (0, 0, 0, 0)


def test_a_bad_image_exits_with_status_one_on_the_command_line(tmp_path):
    path = _write(tmp_path, [_item(1001, image="catalog/shoes/olive.svg"), _item(1002, image="ftp://x/1.png")])
    result = subprocess.run(
        [sys.executable, "manage.py", "loadcatalog", str(path)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.returncode == 1
    assert "item 1002 (#1): image: " in result.stderr and "https:// URL" in result.stderr
    assert not Item.objects.exists()


def test_every_demo_item_has_an_image_that_exists():
    document = json.loads(DEMO_CATALOG.read_text(encoding="utf-8"))
    images = {item["image"] for item in document["items"]}
    static_root = DEMO_CATALOG.parents[2] / "static"
    assert len(images) > 10 and all(image.startswith("catalog/") for image in images)
    assert all((static_root / image).is_file() for image in images), sorted(images)
