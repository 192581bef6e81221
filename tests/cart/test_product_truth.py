"""What the cart says of a line is true from the add on (API.md, "Cart" and "Checkout").

A pair that is not sold as such is never ``available``, on any path into a cart; an add
uses the SKU data already held, so a known SKU comes back whole from the add itself and
its later check changes nothing; the summary counts what checkout would buy; checkout
honours ``If-Match`` and refuses a selection with nothing to buy.
"""

from decimal import Decimal

import pytest
from django.conf import settings

from cart.engine import keys
from cart.models import CartItem
from cart.selectors import cart_get
from cart.services import MergeEntry, cart_add_line, cart_merge
from cart.validity import line_checks_drain, lines_recheck_for_skus
from cart.web.guest import COOKIE_NAME, GuestCart
from catalog.cache import local_cache, sku_info_many
from catalog.keys import sku_info_key, stock_key
from catalog.models import Stock
from core.redis_client import get_redis
from orders.models import Order
from tests.api_client import ApiClient
from tests.cart.helpers import cached_version, drain
from tests.conftest import db_all
from tests.costs import capture_sql, count_redis
from tests.factories import SkuFactory

pytestmark = db_all

ITEMS = "/api/v1/cart/items"


def _forget_sku_data(*skus) -> None:
    """Leave no cache holding these SKUs: not this process, not Redis."""
    local_cache.forget(s.sku_id for s in skus)
    client = get_redis()
    for sku in skus:
        client.delete(sku_info_key(sku.sku_id), stock_key(sku.sku_id))


def _add(api, item_id, sku_id, quantity=1, **headers):
    return api.send("POST", ITEMS, {"item_id": item_id, "sku_id": sku_id, "quantity": quantity}, **headers)


@pytest.fixture
def shopper(db):
    api = ApiClient()
    api.get("/api/v1/cart")  # token cached, cart loaded
    return api


class TestAPairNotSoldAsSuchIsNeverAvailable:
    """Item 1: a SKU of another item, a pair not in the catalog, an inactive SKU."""

    @pytest.mark.parametrize("held", [True, False], ids=["SKU data held", "no cache holds the SKU"])
    def test_a_sku_of_another_item_added_through_the_api(self, shopper, held):
        mine, theirs = SkuFactory(price__amount=Decimal("40.00")), SkuFactory()
        if held:
            sku_info_many([mine.sku_id])
        else:
            _forget_sku_data(mine)

        body = _add(shopper, theirs.item_id, mine.sku_id).json()

        assert body["status"] == ("unavailable" if held else "unknown")
        assert (body["title"], body["unit_price"], body["price_at_add"]) == (None, None, None)
        line_checks_drain()
        cart = shopper.get("/api/v1/cart").json()
        assert [(i["id"], i["status"], i["unit_price"]) for i in cart["items"]] == [
            (f"{theirs.item_id}:{mine.sku_id}", "unavailable", None)
        ]
        assert cart["summary"] | {"lines": 1} == {
            "lines": 1,
            "quantity": 1,
            "checked_lines": 0,
            "checked_quantity": 0,
            "checked_subtotal": "0.00",
            "currency": "USD",
        }
        refused = shopper.send("POST", "/api/v1/checkout", {})
        assert (refused.status_code, refused.json()["code"]) == (409, "unavailable")

    def test_a_pair_not_in_the_catalog_and_an_inactive_sku_are_born_unavailable(self, shopper):
        inactive = SkuFactory(active=False)
        sku_info_many([inactive.sku_id, 987_654_321])  # both held: one inactive, one known not to exist

        ghost = _add(shopper, 123, 987_654_321).json()
        retired = _add(shopper, inactive.item_id, inactive.sku_id).json()

        assert (ghost["status"], retired["status"]) == ("unavailable", "unavailable")
        assert retired["title"] == inactive.item.title  # its own item: still named

    def test_through_merge_a_shared_import_and_the_guest_cookie(self, shopper, client):
        mine, theirs = SkuFactory(), SkuFactory()
        sku_info_many([mine.sku_id])
        wrong = {"item_id": theirs.item_id, "sku_id": mine.sku_id, "quantity": 1}

        merged = shopper.send("POST", "/api/v1/cart/merge", {"items": [wrong]}).json()
        assert [(i["id"], i["status"]) for i in merged["items"]] == [(f"{theirs.item_id}:{mine.sku_id}", "unavailable")]

        link = shopper.send("POST", "/api/v1/cart/share").json()
        other = ApiClient()
        imported = other.send("POST", f"/api/v1/shared-carts/{link['token']}/import").json()
        assert [i["status"] for i in imported["items"]] == ["unavailable"]
        assert imported["summary"]["checked_subtotal"] == "0.00"

        # A guest cookie holding the pair (the pages refuse to add one: tests/web).
        guest = GuestCart()
        guest.add(item_id=theirs.item_id, sku_id=mine.sku_id)
        client.cookies[COOKIE_NAME] = guest.to_cookie()
        page = client.get("/cart/").content.decode()
        assert "This item is no longer available" in page and "Unknown item" in page
        assert 'id="subtotal">$0.00<' in page

    def test_a_mismatched_pair_in_a_cold_cart_is_marked_unavailable_by_the_recheck(self, shopper):
        mine, theirs = SkuFactory(), SkuFactory()
        user_id = shopper.user.pk
        cart_merge(user_id=user_id, entries=[MergeEntry(item_id=theirs.item_id, sku_id=mine.sku_id, quantity=1)])
        drain()
        CartItem.objects.for_user(user_id).update(status="available")  # as an older release left it
        get_redis().delete(keys.cart_key(user_id))

        lines_recheck_for_skus(sku_ids=[mine.sku_id])

        assert CartItem.objects.for_user(user_id).get().status == "unavailable"


class TestAnAddUsesTheSkuDataAlreadyHeld:
    """Item 2: born whole, and its check changes nothing."""

    def test_a_known_sku_comes_back_from_the_add_with_status_title_and_price(self, shopper):
        sku = SkuFactory(price__amount=Decimal("12.50"), attributes={"size": "L"})
        sku_info_many([sku.sku_id])

        body = _add(shopper, sku.item_id, sku.sku_id, 2).json()

        assert {k: body[k] for k in ("status", "title", "sku_attributes", "unit_price", "price_at_add", "stock")} == {
            "status": "available",
            "title": sku.item.title,
            "sku_attributes": {"size": "L"},
            "unit_price": "12.50",
            "price_at_add": "12.50",
            "stock": 50,
        }
        summary = shopper.get("/api/v1/cart").json()["summary"]
        assert (summary["checked_lines"], summary["checked_subtotal"]) == (1, "25.00")

    def test_the_version_the_add_returned_stays_good_after_the_check(self, shopper):
        sku = SkuFactory()
        sku_info_many([sku.sku_id])
        added = _add(shopper, sku.item_id, sku.sku_id)
        version = added.json()["cart_version"]
        assert added["ETag"] == f'"{version}"'

        assert line_checks_drain() == 0  # the check found the line as it is

        assert cached_version(shopper.user.pk) == version
        line = f"{ITEMS}/{sku.item_id}:{sku.sku_id}"
        patched = shopper.send("PATCH", line, {"quantity": 3}, HTTP_IF_MATCH=f'"{version}"')
        assert (patched.status_code, patched.json()["quantity"]) == (200, 3)

    def test_a_sku_known_only_to_redis_is_born_whole_too(self, shopper):
        sku = SkuFactory(stock__quantity=0)
        sku_info_many([sku.sku_id])
        local_cache.forget([sku.sku_id])

        body = _add(shopper, sku.item_id, sku.sku_id).json()

        assert (body["status"], body["price_at_add"], body["stock"]) == ("out_of_stock", "19.99", 0)

    def test_a_sku_no_cache_holds_starts_unknown_and_its_check_completes_it(self, shopper):
        sku = SkuFactory(price__amount=Decimal("7.00"))
        _forget_sku_data(sku)

        body = _add(shopper, sku.item_id, sku.sku_id).json()
        assert (body["status"], body["title"], body["price_at_add"]) == ("unknown", None, None)

        assert line_checks_drain() == 1
        line = shopper.get("/api/v1/cart").json()["items"][0]
        assert (line["status"], line["title"], line["price_at_add"]) == ("available", sku.item.title, "7.00")
        assert cached_version(shopper.user.pk) > body["cart_version"]

    def test_a_grown_line_still_waiting_for_its_check_learns_what_is_now_held(self, shopper):
        sku = SkuFactory(price__amount=Decimal("3.00"))
        _forget_sku_data(sku)
        _add(shopper, sku.item_id, sku.sku_id)
        sku_info_many([sku.sku_id])

        body = _add(shopper, sku.item_id, sku.sku_id).json()

        assert (body["quantity"], body["status"], body["price_at_add"]) == (2, "available", "3.00")

    def test_a_later_price_does_not_replace_the_price_at_add(self, shopper):
        sku = SkuFactory(price__amount=Decimal("10.00"))
        sku_info_many([sku.sku_id])
        _add(shopper, sku.item_id, sku.sku_id)
        sku.price.amount = Decimal("8.00")
        sku.price.save()
        from catalog.cache import sku_info_refresh

        sku_info_refresh([sku.sku_id])

        body = _add(shopper, sku.item_id, sku.sku_id).json()
        assert (body["price_at_add"], body["unit_price"], body["price_change"]) == ("10.00", "8.00", "-2.00")


class TestTheAddsCost:
    """Item 2's cost: a local hit stays one script call; a miss is one MGET more, never SQL."""

    def test_a_new_line_of_a_sku_this_process_holds_is_one_script_call(self, shopper):
        sku = SkuFactory()
        sku_info_many([sku.sku_id])
        with count_redis() as redis_log, capture_sql() as sql:
            body = _add(shopper, sku.item_id, sku.sku_id).json()
        assert body["status"] == "available"
        assert redis_log.commands == ["EVALSHA"]  # token, limit and the add in one script
        assert sql == {}

    @pytest.mark.parametrize("in_redis", [True, False], ids=["Redis holds it", "nothing holds it"])
    def test_a_sku_this_process_lacks_costs_one_mget_and_no_sql(self, shopper, in_redis):
        sku = SkuFactory()
        _forget_sku_data(sku)
        if in_redis:
            sku_info_many([sku.sku_id])
            local_cache.forget([sku.sku_id])
        with count_redis() as redis_log, capture_sql() as sql:
            body = _add(shopper, sku.item_id, sku.sku_id).json()
        assert body["status"] == ("available" if in_redis else "unknown")
        # One MGET of the SKU's keys (on a cluster, one per hash slot they fall in), then the script.
        assert redis_log.commands[-1] == "EVALSHA"
        lookups = redis_log.commands[:-1]
        assert set(lookups) == {"MGET"} and (len(lookups) == 1 or settings.REDIS_CLUSTER)
        assert sql == {}


class TestSummaryCountsWhatCheckoutWouldBuy:
    """Item 5."""

    def test_checked_lines_that_are_not_available_are_not_counted(self, shopper):
        shoe, gone, hat = SkuFactory(price__amount=Decimal("10.00")), SkuFactory(stock__quantity=0), SkuFactory()
        sku_info_many([shoe.sku_id, gone.sku_id, hat.sku_id])
        _add(shopper, shoe.item_id, shoe.sku_id, 2)
        _add(shopper, gone.item_id, gone.sku_id, 3)
        _add(shopper, hat.item_id, hat.sku_id, 4)
        shopper.send("PATCH", f"{ITEMS}/{hat.item_id}:{hat.sku_id}", {"checked": False})

        summary = shopper.get("/api/v1/cart").json()["summary"]

        assert summary == {
            "lines": 3,
            "quantity": 9,
            "checked_lines": 1,
            "checked_quantity": 2,
            "checked_subtotal": "20.00",
            "currency": "USD",
        }

    def test_a_shared_cart_counts_the_same_way(self, shopper):
        shoe, gone = SkuFactory(price__amount=Decimal("10.00")), SkuFactory(stock__quantity=0)
        sku_info_many([shoe.sku_id, gone.sku_id])
        _add(shopper, shoe.item_id, shoe.sku_id, 2)
        _add(shopper, gone.item_id, gone.sku_id, 1)
        token = shopper.send("POST", "/api/v1/cart/share").json()["token"]

        summary = ApiClient().get(f"/api/v1/shared-carts/{token}").json()["summary"]

        assert summary == {
            "lines": 2,
            "quantity": 3,
            "checked_lines": 1,
            "checked_quantity": 2,
            "checked_subtotal": "20.00",
            "subtotal": "20.00",
            "currency": "USD",
        }

    def test_sharing_an_empty_cart_is_409_cart_empty(self, shopper):
        response = shopper.send("POST", "/api/v1/cart/share")
        assert (response.status_code, response.json()["code"]) == (409, "cart_empty")


class TestCheckoutPreconditions:
    """Items 3 and 6."""

    def test_a_stale_if_match_buys_nothing(self, shopper):
        sku = SkuFactory(stock__quantity=5)
        sku_info_many([sku.sku_id])
        stale = _add(shopper, sku.item_id, sku.sku_id).json()["cart_version"]
        current = _add(shopper, sku.item_id, sku.sku_id).json()["cart_version"]

        refused = shopper.send("POST", "/api/v1/checkout", {}, HTTP_IF_MATCH=f'"{stale}"')

        assert refused.status_code == 412
        assert refused.json() | {"detail": ""} == {"code": "version_mismatch", "detail": "", "current_version": current}
        assert Stock.objects.get(sku=sku).quantity == 5
        assert not Order.objects.filter(user_id=shopper.user.pk).exists()
        placed = shopper.send("POST", "/api/v1/checkout", {}, HTTP_IF_MATCH=f'"{current}"')
        assert (placed.status_code, placed.json()["total"]) == (201, "39.98")
        assert Stock.objects.get(sku=sku).quantity == 3

    def test_a_malformed_if_match_is_400(self, shopper):
        response = shopper.send("POST", "/api/v1/checkout", {}, HTTP_IF_MATCH="yesterday")
        assert (response.status_code, response.json()["code"]) == (400, "invalid")
        assert "If-Match" in response.json()["fields"]

    def test_nothing_buyable_selected_is_409_unavailable_naming_the_lines(self, shopper):
        gone, hat = SkuFactory(stock__quantity=0), SkuFactory()
        sku_info_many([gone.sku_id, hat.sku_id])
        _add(shopper, gone.item_id, gone.sku_id)
        _add(shopper, hat.item_id, hat.sku_id)
        shopper.send("PATCH", f"{ITEMS}/{hat.item_id}:{hat.sku_id}", {"checked": False})

        refused = shopper.send("POST", "/api/v1/checkout", {})

        assert refused.status_code == 409
        assert refused.json()["code"] == "unavailable"
        assert refused.json()["ids"] == [f"{gone.item_id}:{gone.sku_id}"]
        assert "unavailable or out of stock" in refused.json()["detail"]
        assert len(cart_get(user_id=shopper.user.pk).items) == 2

    def test_nothing_selected_is_409_unavailable_with_no_ids(self, shopper):
        hat = SkuFactory()
        _add(shopper, hat.item_id, hat.sku_id)
        shopper.send("POST", "/api/v1/cart/selection", {"checked": False})

        refused = shopper.send("POST", "/api/v1/checkout", {})

        assert (refused.status_code, refused.json()["code"], refused.json()["ids"]) == (409, "unavailable", [])
        assert refused.json()["detail"] == "Nothing is selected: select at least one item to check out."

    def test_an_empty_cart_is_400_invalid(self, shopper):
        refused = shopper.send("POST", "/api/v1/checkout", {})
        assert (refused.status_code, refused.json()["code"]) == (400, "invalid")
        assert refused.json()["fields"]["ids"] == ["Your cart is empty: there is nothing to check out."]

    def test_a_default_checkout_leaves_out_what_the_cart_shows_as_out_of_stock(self, shopper):
        shoe, gone = SkuFactory(price__amount=Decimal("10.00")), SkuFactory(stock__quantity=0)
        sku_info_many([shoe.sku_id, gone.sku_id])
        _add(shopper, shoe.item_id, shoe.sku_id)
        _add(shopper, gone.item_id, gone.sku_id)

        placed = shopper.send("POST", "/api/v1/checkout", {"expected_total": "10.00"})

        assert (placed.status_code, placed.json()["total"]) == (201, "10.00")
        assert [i["id"] for i in shopper.get("/api/v1/cart").json()["items"]] == [f"{gone.item_id}:{gone.sku_id}"]

    def test_a_line_still_being_checked_is_decided_by_checkouts_own_reading(self, shopper):
        sku = SkuFactory(price__amount=Decimal("4.00"))
        _forget_sku_data(sku)
        assert cart_add_line(user_id=shopper.user.pk, item_id=sku.item_id, sku_id=sku.sku_id).line.status == "unknown"

        placed = shopper.send("POST", "/api/v1/checkout", {})

        assert (placed.status_code, placed.json()["total"]) == (201, "4.00")
