import pytest

from tests.conftest import db_all
from tests.factories import ItemFactory, PromotionFactory, UserFactory

pytestmark = db_all

CHANGELISTS = [
    "/admin/catalog/item/",
    "/admin/catalog/sku/",
    "/admin/catalog/stock/",
    "/admin/pricing/price/",
    "/admin/pricing/promotion/",
    "/admin/cart/deadletter/",
    "/admin/cart/reconciliationrun/",
    "/admin/django_celery_beat/periodictask/",
]


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("url", CHANGELISTS)
def test_staff_see_every_operational_table(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 200
    assert b"Select" in response.content


def test_catalog_rows_show_in_admin(staff_client):
    promo = PromotionFactory(name="Black Friday shoes")
    ItemFactory(title="Trail shoe XL")
    assert "Trail shoe XL" in staff_client.get("/admin/catalog/item/").content.decode()
    assert promo.name in staff_client.get("/admin/pricing/promotion/").content.decode()
    sku_page = staff_client.get(f"/admin/catalog/sku/{promo.sku_id}/change/").content.decode()
    assert "19.99" in sku_page  # the price inline


def test_shoppers_are_kept_out_of_admin(client):
    client.force_login(UserFactory(is_staff=False))
    response = client.get("/admin/catalog/item/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
