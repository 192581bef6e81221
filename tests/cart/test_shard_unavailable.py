"""A cart that is not in Redis and whose shard does not answer: 503 cart_unavailable with
Retry-After on the API (API.md, "Errors"), a message on the cart page, and the header of
other pages still shows."""

import pytest

from cart.engine import keys
from core.redis_client import get_redis
from core.sharding import shard_for_user
from tests.api_client import ApiClient
from tests.cart.shard_faults import shard_down
from tests.conftest import db_all_tx, needs_mysql

pytestmark = [db_all_tx, needs_mysql]


def test_a_cold_cart_on_a_dead_shard_is_503_cart_unavailable_with_retry_after():
    api = ApiClient()
    assert api.get("/api/v1/cart").status_code == 200
    get_redis().delete(keys.cart_key(api.user.pk))  # the cart is cold again

    with shard_down(shard_for_user(api.user.pk)):
        response = api.get("/api/v1/cart")

    assert response.status_code == 503
    assert response.json()["code"] == "cart_unavailable" and response.json()["detail"]
    assert int(response["Retry-After"]) >= 1


@pytest.mark.parametrize("path", ["/cart/", "/products/"])
def test_pages_of_a_cold_cart_on_a_dead_shard_say_so_or_show(client, path):
    api = ApiClient()
    api.get("/api/v1/cart")
    get_redis().delete(keys.cart_key(api.user.pk))
    client.force_login(api.user)

    with shard_down(shard_for_user(api.user.pk)):
        page = client.get(path)

    if path == "/cart/":
        assert page.status_code == 503
        assert "Your cart cannot be loaded right now" in page.content.decode()
    else:
        assert page.status_code == 200  # the header's count is left out, the page shows
