"""The web server the image and docker-compose ship (Granian's WSGI server), started with
their very command line under production settings, serves what the web pool must: pages,
the API with its JSON errors, and the live-update stream's fallback (one event, then the
client polls; the events pool holds live streams)."""

import json
import sys
from pathlib import Path

import httpx
import pytest

from tests.api_client import ApiClient
from tests.conftest import db_all_tx
from tests.factories import SkuFactory
from tests.processes import ROOT, start_production_server

pytestmark = db_all_tx


def _shipped_command() -> list[str]:
    """The Dockerfile's CMD, on loopback and a free port, two workers, from this interpreter."""
    line = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))
    command = json.loads(line[4:])
    assert command[0] == "granian"
    options = dict(zip(command[4::2], command[5::2], strict=False))
    assert options["--port"] == "8000" and options["--host"] == "0.0.0.0"
    replaced = {"--host": "127.0.0.1", "--port": "{port}", "--workers": "2"}
    return [
        sys.executable,
        "-m",
        *[replaced.get(command[i - 1], part) if i else part for i, part in enumerate(command)],
    ]


@pytest.fixture
def shipped(tmp_path: Path):
    server, base = start_production_server(tmp_path, name="granian", command=_shipped_command())
    try:
        yield base
    finally:
        server.stop()


def test_the_shipped_server_serves_pages_the_api_and_the_stream_fallback(shipped):
    api = ApiClient()
    sku = SkuFactory()
    headers = {"Authorization": f"Token {api.token}"}

    page = httpx.get(f"{shipped}/", timeout=10)
    added = httpx.post(
        f"{shipped}/api/v1/cart/items", headers=headers, json={"item_id": sku.item_id, "sku_id": sku.sku_id}, timeout=10
    )
    cart = httpx.get(f"{shipped}/api/v1/cart", headers=headers, timeout=10)
    refused = httpx.get(f"{shipped}/api/v1/cart", headers={"Authorization": "Token 1.nonsense"}, timeout=10)
    unknown = httpx.post(f"{shipped}/api/v1/no-such-thing", headers=headers, json={}, timeout=10)
    stream = httpx.get(f"{shipped}/api/v1/cart/events", headers=headers, timeout=10)

    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert added.status_code == 200 and added.json()["quantity"] == 1
    assert [line["sku_id"] for line in cart.json()["items"]] == [sku.sku_id]
    assert refused.status_code == 401 and refused.json()["code"] == "not_authenticated"
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/json"
    assert stream.status_code == 200 and stream.text.startswith("retry: ")
    assert str(cart.json()["version"]) in stream.text
