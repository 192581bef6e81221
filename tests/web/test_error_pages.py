"""The shop's own 404 and 500 pages, under every settings module: never Django's debug
page (which lists the whole URLconf), always the shop's name and a way back."""

import httpx
import pytest
from django.test import Client

from tests.conftest import db_all_tx
from tests.processes import PRODUCTION_ENV, run_python, start_web_server

pytestmark = db_all_tx


@pytest.mark.parametrize("settings_module", ["config.settings.local", "config.settings.production"])
def test_a_mistyped_address_gets_the_styled_404_from_a_real_server(tmp_path, settings, settings_module):
    env = {
        **(PRODUCTION_ENV if settings_module.endswith("production") else {}),
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    # As `make run` and the image build do: the pages' styles are served collected and hashed.
    collected = run_python("manage.py", "collectstatic", "--noinput", "--verbosity", "0", timeout=180, **env)
    assert collected.returncode == 0, collected.stderr
    server, base = start_web_server(tmp_path, name="web", **env)
    try:
        response = httpx.get(f"{base}/prodcts/42/", timeout=10)
    finally:
        server.stop()

    assert response.status_code == 404 and "text/html" in response.headers["content-type"]
    assert "We could not find that page" in response.text
    assert settings.SHOP_NAME in response.text and 'href="/products/"' in response.text
    assert "URLconf" not in response.text and "Traceback" not in response.text


def test_a_failing_page_gets_the_styled_500(monkeypatch, settings):
    from cart.web import product_views

    def broken(**filters):
        raise RuntimeError("a bug")

    monkeypatch.setattr(product_views, "products_search", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/products/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert settings.SHOP_NAME in response.content.decode() and "a bug" not in response.content.decode()


def test_the_shop_name_is_a_setting(client, settings):
    settings.SHOP_NAME = "Harbour Lane"
    page = client.get("/products/").content.decode()
    assert "Harbour Lane" in page and "<title>" in page
