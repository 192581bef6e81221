"""Request bodies sent with Transfer-Encoding: chunked, against real servers under
production settings (gunicorn, and uvicorn, the ASGI server): read correctly, held to
64 KiB while they are read (413 JSON past it), and the connection stays usable."""

import json

import httpx
import pytest

from tests.conftest import db_all_tx
from tests.factories import SkuFactory
from tests.processes import running, start_production_server

pytestmark = db_all_tx


@pytest.fixture(params=["gunicorn", "uvicorn"])
def server(request, tmp_path):
    process, base = start_production_server(tmp_path, name=request.param, asgi=request.param == "uvicorn")
    with running(process):
        yield base


def _chunks(data: bytes, size: int = 1000):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_chunked_add_is_read_and_a_chunked_body_over_the_limit_is_413(server):
    sku = SkuFactory()
    with httpx.Client(base_url=server, timeout=10) as client:
        token = client.post(
            "/api/v1/auth/register", json={"username": "chunky", "password": "a-long-passphrase"}
        ).json()["token"]
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        body = json.dumps({"item_id": sku.item_id, "sku_id": sku.sku_id, "quantity": 2}).encode()

        added = client.post("/api/v1/cart/items", content=_chunks(body, 7), headers=headers)
        assert added.request.headers.get("transfer-encoding") == "chunked"
        assert (added.status_code, added.json()["quantity"]) == (200, 2), added.text

        padding = json.dumps({"item_id": sku.item_id, "sku_id": sku.sku_id, "pad": "x" * 70_000}).encode()
        too_large = client.post("/api/v1/cart/items", content=_chunks(padding), headers=headers)
        assert too_large.status_code == 413
        assert too_large.json() == {"code": "too_large", "detail": "The request body is larger than 64 KiB."}

        # The next request (on the same client: a new connection if the server closed it) works.
        cart = client.get("/api/v1/cart", headers=headers)
        assert cart.status_code == 200 and cart.json()["items"][0]["quantity"] == 2
        exact = client.post("/api/v1/cart/items", content=_chunks(body, 1), headers=headers)
        assert (exact.status_code, exact.json()["quantity"]) == (200, 4)
