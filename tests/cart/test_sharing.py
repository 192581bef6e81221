"""Shared carts: snapshots behind unguessable tokens, their stores, the API and the pages."""

import json
import os
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from cart import sharing
from cart.models import SharedCart
from cart.selectors import cart_get
from cart.services import cart_add_line
from catalog.cache import sku_info_refresh
from pricing.models import Price
from tests.api_client import ApiClient
from tests.conftest import db_all
from tests.factories import SkuFactory, UserFactory

pytestmark = db_all

SHARE = "/api/v1/cart/share"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def shared(token: str) -> str:
    return f"/api/v1/shared-carts/{token}"


def imported(token: str) -> str:
    return f"/api/v1/shared-carts/{token}/import"


@pytest.fixture
def skus():
    return [SkuFactory(item__title=f"Product {n}", attributes={"size": str(40 + n)}) for n in range(3)]


def fill(user_id: int, skus, quantities=(2, 1, 3)) -> None:
    for sku, quantity in zip(skus, quantities, strict=False):
        cart_add_line(user_id=user_id, item_id=sku.item_id, sku_id=sku.sku_id, quantity=quantity)


def share(api) -> dict:
    response = api.send("POST", SHARE)
    assert response.status_code == 201, response.content
    return response.json()


# --- creating a link -----------------------------------------------------------------------


def test_sharing_returns_an_unguessable_token_a_link_and_an_expiry(api, skus):
    fill(api.user.pk, skus)

    body = share(api)

    assert TOKEN.match(body["token"])  # 32 URL-safe characters: 192 bits
    assert body["url"] == f"http://testserver/s/{body['token']}/"
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=29) < expires - timezone.now() <= timedelta(days=30)


def test_two_shares_of_one_cart_get_different_tokens(api, skus):
    fill(api.user.pk, skus)

    assert share(api)["token"] != share(api)["token"]


def test_only_a_hash_of_the_token_is_stored(api, skus):
    fill(api.user.pk, skus)

    token = share(api)["token"]

    row = SharedCart.objects.get()
    assert row.token_hash == sharing.token_hash(token) != token
    assert token not in json.dumps(row.payload)


def test_an_empty_cart_cannot_be_shared(api):
    response = api.send("POST", SHARE)

    assert response.status_code == 409
    assert response.json()["code"] == "cart_empty"
    assert not SharedCart.objects.exists()


def test_sharing_needs_a_login(client):
    response = client.post(SHARE, content_type="application/json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_sharing_switched_off_is_503_degraded(api, skus, switch_off):
    fill(api.user.pk, skus)
    switch_off("sharing")

    response = api.send("POST", SHARE)

    assert response.status_code == 503
    assert response.json()["code"] == "degraded"


@pytest.mark.parametrize("body", [{"user_id": 1}, [], "x", 3])
def test_sharing_refuses_a_body_with_fields(api, skus, body):
    fill(api.user.pk, skus)

    response = api.send("POST", SHARE, body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_an_idempotency_key_replays_the_same_link(api, skus):
    fill(api.user.pk, skus)

    first = api.send("POST", SHARE, HTTP_IDEMPOTENCY_KEY="share-1")
    again = api.send("POST", SHARE, HTTP_IDEMPOTENCY_KEY="share-1")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert SharedCart.objects.count() == 1


# --- reading a link ------------------------------------------------------------------------------


def test_anyone_reads_the_snapshot_without_logging_in(api, client, skus):
    fill(api.user.pk, skus)
    token = share(api)["token"]

    response = client.get(shared(token))

    assert response.status_code == 200
    body = response.json()
    assert [line["quantity"] for line in body["items"]] == [3, 1, 2]  # newest first, as the cart shows
    line = body["items"][0]
    assert line == {
        "id": f"{skus[2].item_id}:{skus[2].sku_id}",
        "item_id": skus[2].item_id,
        "sku_id": skus[2].sku_id,
        "quantity": 3,
        "status": "unknown",
        "title": "Product 2",
        "sku_attributes": {"size": "42"},
        "unit_price": "19.99",
        "currency": "USD",
    }
    assert body["summary"] == {
        "lines": 3,
        "quantity": 6,
        "checked_lines": 0,  # every line still "unknown": none counts
        "checked_quantity": 0,
        "checked_subtotal": "0.00",
        "subtotal": "0.00",
        "currency": "USD",
    }
    assert body["created_at"].endswith("Z") and body["expires_at"].endswith("Z")


def test_the_snapshot_reveals_nothing_about_the_sharer(client, skus):
    sharer = ApiClient(user=UserFactory(username="very-private-name"))
    fill(sharer.user.pk, skus)
    token = share(sharer)["token"]

    text = client.get(shared(token)).content.decode()

    body = json.loads(text)
    assert "very-private-name" not in text
    assert set(body) == {"items", "created_at", "expires_at", "summary"}
    line_fields = {"id", "item_id", "sku_id", "quantity", "status", "title", "sku_attributes", "unit_price", "currency"}
    assert all(set(line) == line_fields for line in body["items"])  # no user id, no added_at


def test_the_snapshot_is_immutable(api, client, skus):
    fill(api.user.pk, skus)
    token = share(api)["token"]
    before = client.get(shared(token)).json()

    # The sharer keeps shopping, and a price changes.
    cart_add_line(user_id=api.user.pk, item_id=skus[0].item_id, sku_id=skus[0].sku_id, quantity=5)
    Price.objects.filter(sku=skus[0]).update(amount=Decimal("1.00"))
    sku_info_refresh([skus[0].sku_id])

    assert client.get(shared(token)).json() == before


def test_a_public_read_ignores_a_stale_token_header(api, skus):
    fill(api.user.pk, skus)
    token = share(api)["token"]

    response = ApiClient(token="not-a-real-token").get(shared(token))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        "A" * 32,  # well formed, never issued
        "short",
        "A" * 31 + "!",
        "A" * 33,
        "A" * 2000,  # oversized
        "..%2F..%2Fetc",
        "%00" * 11,
    ],
)
def test_unknown_or_malformed_tokens_are_404_not_found(client, token):
    response = client.get(shared(token))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_expired_link_is_404(client, skus):
    user = UserFactory()
    fill(user.pk, skus)
    link = sharing.cart_share(cart=cart_get(user_id=user.pk), now=timezone.now() - timedelta(days=31))

    response = client.get(shared(link.token))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@override_settings(CART_SHARE_TTL_SECONDS=60)
def test_a_link_works_until_its_expiry_and_not_after(skus):
    user = UserFactory()
    fill(user.pk, skus)
    link = sharing.cart_share(cart=cart_get(user_id=user.pk))

    assert sharing.shared_cart_get(token=link.token, now=link.snapshot.expires_at - timedelta(seconds=1))
    with pytest.raises(sharing.SharedCartNotFound):
        sharing.shared_cart_get(token=link.token, now=link.snapshot.expires_at)


def test_expired_snapshots_are_purged(skus):
    user = UserFactory()
    fill(user.pk, skus)
    sharing.cart_share(cart=cart_get(user_id=user.pk), now=timezone.now() - timedelta(days=31))
    kept = sharing.cart_share(cart=cart_get(user_id=user.pk))

    assert sharing.MySQLSnapshotStore().purge_expired() == 1
    assert SharedCart.objects.get().token_hash == sharing.token_hash(kept.token)


# --- importing ------------------------------------------------------------------------------------


def test_importing_merges_the_lines_with_the_max_rule(api, other_api, skus):
    fill(api.user.pk, skus, quantities=(2, 5, 3))
    token = share(api)["token"]
    # The importer already has 4 of the first product and 1 of the second.
    fill(other_api.user.pk, skus[:2], quantities=(4, 1))

    response = other_api.send("POST", imported(token))

    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == other_api.user.pk
    quantities = {line["sku_id"]: line["quantity"] for line in body["items"]}
    assert quantities == {skus[0].sku_id: 4, skus[1].sku_id: 5, skus[2].sku_id: 3}
    actions = {m["id"]: m["action"] for m in body["merged"]}
    assert actions == {
        f"{skus[0].item_id}:{skus[0].sku_id}": "kept",
        f"{skus[1].item_id}:{skus[1].sku_id}": "raised",
        f"{skus[2].item_id}:{skus[2].sku_id}": "added",
    }
    assert body["skipped"] == []
    # The sharer's cart is untouched.
    assert {v.line.sku_id: v.line.quantity for v in cart_get(user_id=api.user.pk).items} == {
        skus[0].sku_id: 2,
        skus[1].sku_id: 5,
        skus[2].sku_id: 3,
    }


def test_the_sum_policy_adds_quantities(api, other_api, skus):
    fill(api.user.pk, skus[:1], quantities=(2,))
    token = share(api)["token"]
    fill(other_api.user.pk, skus[:1], quantities=(4,))

    body = other_api.send("POST", imported(token), {"policy": "sum"}).json()

    assert body["items"][0]["quantity"] == 6


def test_importing_into_a_nearly_full_cart_reports_the_skipped_lines(api, other_api, skus, settings):
    fill(api.user.pk, skus)
    token = share(api)["token"]
    for n in range(1, settings.CART_MAX_LINES):  # 119 lines: room for one more
        cart_add_line(user_id=other_api.user.pk, item_id=900_000 + n, sku_id=900_000 + n)

    response = other_api.send("POST", imported(token))

    assert response.status_code == 200
    body = response.json()
    assert len(body["items"]) == settings.CART_MAX_LINES
    # Taken in the snapshot's order (newest first): the first fits, the other two do not.
    assert [m["id"] for m in body["merged"]] == [f"{skus[2].item_id}:{skus[2].sku_id}"]
    assert body["skipped"] == [f"{skus[1].item_id}:{skus[1].sku_id}", f"{skus[0].item_id}:{skus[0].sku_id}"]


def test_importing_needs_a_login(api, client, skus):
    fill(api.user.pk, skus)
    token = share(api)["token"]

    response = client.post(imported(token), content_type="application/json")

    assert response.status_code == 401


@pytest.mark.parametrize("token", ["A" * 32, "nope", "A" * 2000])
def test_importing_an_unknown_token_is_404_and_changes_nothing(other_api, token):
    response = other_api.send("POST", imported(token))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert cart_get(user_id=other_api.user.pk).items == []


def test_importing_an_expired_link_is_404(other_api, skus):
    user = UserFactory()
    fill(user.pk, skus)
    link = sharing.cart_share(cart=cart_get(user_id=user.pk), now=timezone.now() - timedelta(days=31))

    assert other_api.send("POST", imported(link.token)).status_code == 404


@pytest.mark.parametrize("body", [{"policy": "min"}, {"policy": 1}, {"items": []}, [], "max"])
def test_importing_with_a_bad_body_is_400(api, other_api, skus, body):
    fill(api.user.pk, skus)
    token = share(api)["token"]

    response = other_api.send("POST", imported(token), body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_importing_honours_if_match_and_idempotency_keys(api, other_api, skus):
    fill(api.user.pk, skus)
    token = share(api)["token"]

    stale = other_api.send("POST", imported(token), HTTP_IF_MATCH='"1"')
    first = other_api.send("POST", imported(token), HTTP_IDEMPOTENCY_KEY="import-1")
    again = other_api.send("POST", imported(token), HTTP_IDEMPOTENCY_KEY="import-1")

    assert stale.status_code == 412
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"


# --- the pages --------------------------------------------------------------------------------------


def test_the_shared_page_shows_the_lines_and_offers_to_add_them_all(api, client, skus):
    fill(api.user.pk, skus)
    token = share(api)["token"]

    page = client.get(f"/s/{token}/").content.decode()

    assert all(f"Product {n}" in page for n in range(3))
    assert "Add all to my cart" in page


@pytest.mark.parametrize("token", ["A" * 32, "nope"])
def test_the_shared_page_is_404_for_unknown_tokens(client, token):
    assert client.get(f"/s/{token}/").status_code == 404


def test_add_all_merges_into_the_logged_in_shoppers_cart(api, client, skus):
    fill(api.user.pk, skus)
    token = share(api)["token"]
    shopper = UserFactory()
    client.force_login(shopper)

    response = client.post(f"/s/{token}/import", follow=True)

    assert response.redirect_chain[-1][0] == "/cart/"
    assert "Added 3 items to your cart." in response.content.decode()
    assert len(cart_get(user_id=shopper.pk).items) == 3


def test_add_all_as_a_guest_asks_to_log_in_first(api, client, skus):
    fill(api.user.pk, skus)
    token = share(api)["token"]

    response = client.post(f"/s/{token}/import")

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=%2Fs%2F{token}%2F"


def test_the_share_button_without_javascript_shows_the_link(client, skus):
    shopper = UserFactory()
    fill(shopper.pk, skus)
    client.force_login(shopper)

    page = client.post("/cart/share", follow=True).content.decode()

    link = re.search(r"http://testserver/s/([A-Za-z0-9_-]{32})/", page)
    assert link is not None
    assert client.get(f"/s/{link.group(1)}/").status_code == 200


def test_the_share_button_with_javascript_gets_json(client, skus):
    shopper = UserFactory()
    fill(shopper.pk, skus)
    client.force_login(shopper)

    response = client.post("/cart/share", HTTP_X_SHARE_LINK="1")

    assert response.status_code == 200
    assert re.fullmatch(r"http://testserver/s/[A-Za-z0-9_-]{32}/", response.json()["url"])


def test_a_guest_can_share_the_cookie_cart(client, skus):
    client.post("/cart/add", {"item_id": skus[0].item_id, "sku_id": skus[0].sku_id, "quantity": 2})

    url = client.post("/cart/share", HTTP_X_SHARE_LINK="1").json()["url"]

    body = client.get(shared(url.rstrip("/").rsplit("/", 1)[1])).json()
    assert [(line["sku_id"], line["quantity"]) for line in body["items"]] == [(skus[0].sku_id, 2)]


def test_the_share_button_on_an_empty_cart_explains_itself(client):
    client.force_login(UserFactory())

    response = client.post("/cart/share", HTTP_X_SHARE_LINK="1")

    assert response.status_code == 409
    assert response.json()["code"] == "cart_empty"


# --- stores -------------------------------------------------------------------------------------------


class FakeDynamo:
    """The two DynamoDB calls the store makes, with their conditional write."""

    def __init__(self):
        self.items = {}
        self.calls = []

    def put_item(self, *, TableName, Item, ConditionExpression):  # boto3's argument names
        self.calls.append(("put_item", TableName, ConditionExpression))
        key = Item["token_hash"]["S"]
        assert ConditionExpression == "attribute_not_exists(token_hash)"
        if key in self.items:
            raise RuntimeError("ConditionalCheckFailedException")
        self.items[key] = Item

    def get_item(self, *, TableName, Key, ConsistentRead):
        self.calls.append(("get_item", TableName, ConsistentRead))
        item = self.items.get(Key["token_hash"]["S"])
        return {"Item": item} if item else {}


def test_the_dynamodb_store_round_trips_a_snapshot(skus):
    user = UserFactory()
    fill(user.pk, skus)
    fake = FakeDynamo()
    store = sharing.DynamoSnapshotStore(table="carts", client=fake)

    link = sharing.cart_share(cart=cart_get(user_id=user.pk), store=store)
    snapshot = sharing.shared_cart_get(token=link.token, store=store)

    assert snapshot == link.snapshot
    [stored] = fake.items.values()
    assert set(stored) == {"token_hash", "payload", "created_at", "expires_at"}
    assert int(stored["expires_at"]["N"]) == int(link.snapshot.expires_at.timestamp())  # the TTL attribute
    assert ("get_item", "carts", True) in fake.calls
    with pytest.raises(sharing.SharedCartNotFound):
        sharing.shared_cart_get(token="B" * 32, store=store)


def test_the_dynamodb_store_checks_expiry_itself(skus):
    # DynamoDB deletes expired items only eventually: the store must not serve them meanwhile.
    user = UserFactory()
    fill(user.pk, skus)
    store = sharing.DynamoSnapshotStore(table="carts", client=FakeDynamo())
    link = sharing.cart_share(cart=cart_get(user_id=user.pk), store=store, now=timezone.now() - timedelta(days=31))

    with pytest.raises(sharing.SharedCartNotFound):
        sharing.shared_cart_get(token=link.token, store=store)


def test_the_store_follows_the_setting(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with override_settings(CART_SHARE_STORE="dynamodb", CART_SHARE_DYNAMODB_TABLE="t1"):
        store = sharing.snapshot_store()
        assert isinstance(store, sharing.DynamoSnapshotStore)
        assert store.table == "t1"
    assert isinstance(sharing.snapshot_store(), sharing.MySQLSnapshotStore)
    with override_settings(CART_SHARE_STORE="floppy"), pytest.raises(ValueError):
        sharing.snapshot_store()


DYNAMODB_ENDPOINT = os.environ.get("CART_SHARE_DYNAMODB_TEST_ENDPOINT")


@pytest.mark.skipif(not DYNAMODB_ENDPOINT, reason="set CART_SHARE_DYNAMODB_TEST_ENDPOINT to test against DynamoDB")
def test_a_real_dynamodb_table_round_trips_a_snapshot(skus):
    import uuid

    boto3 = pytest.importorskip("boto3")
    client = boto3.client("dynamodb", endpoint_url=DYNAMODB_ENDPOINT)
    table = f"shared-carts-test-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "token_hash", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "token_hash", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        client.get_waiter("table_exists").wait(TableName=table)
        store = sharing.DynamoSnapshotStore(table=table, client=client)
        user = UserFactory()
        fill(user.pk, skus)
        link = sharing.cart_share(cart=cart_get(user_id=user.pk), store=store)
        assert sharing.shared_cart_get(token=link.token, store=store) == link.snapshot
    finally:
        client.delete_table(TableName=table)


def test_snapshot_times_are_whole_seconds_in_utc(skus):
    user = UserFactory()
    fill(user.pk, skus)

    link = sharing.cart_share(cart=cart_get(user_id=user.pk), now=datetime(2026, 11, 27, 10, 0, 0, 123456, tzinfo=UTC))

    assert link.snapshot.created_at == datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)
