"""Saved for later on the cart page, through Django's test client: guests and accounts."""

import re

import pytest
from django.test import override_settings

from cart.selectors import cart_get, saved_get
from cart.services import cart_add_line, cart_save_for_later
from tests.conftest import db_all
from tests.web.helpers import deactivate, line_path, make_sku, mark_checked

pytestmark = db_all

FRAGMENT = {"HTTP_X_CART_FRAGMENT": "1"}


@pytest.fixture
def shoe():
    return make_sku("Trail shoe", "19.99", size="42")


@pytest.fixture
def towel():
    return make_sku("Plush towel", "28.99", colour="Olive")


def put(user, sku, quantity=1):
    cart_add_line(user_id=user.pk, item_id=sku.item_id, sku_id=sku.sku_id, quantity=quantity)
    mark_checked(user.pk, sku)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def saved_path(sku, action: str) -> str:
    return f"/cart/saved/{sku.item_id}:{sku.sku_id}/{action}"


def in_cart(user) -> dict[int, int]:
    return {v.line.sku_id: v.line.quantity for v in cart_get(user_id=user.pk).items}


def in_saved(user) -> dict[int, int]:
    return {v.line.sku_id: v.line.quantity for v in saved_get(user_id=user.pk).items}


def test_every_cart_line_offers_save_for_later(logged_in, user, shoe, towel):
    put(user, shoe)
    put(user, towel)

    page = text(logged_in.get("/cart/"))

    assert page.count(">Save for later</button>") == 2
    assert 'aria-label="Save Trail shoe for later"' in page
    assert "Saved for later (" not in page  # no empty section


def test_save_for_later_moves_the_line_below_the_cart_and_says_so(logged_in, user, shoe, towel):
    put(user, shoe, 2)
    put(user, towel)

    response = logged_in.post(line_path(shoe, "save"), follow=True)

    page = text(response)
    assert "Saved Trail shoe for later." in page
    assert re.search(r"Saved for later <span[^>]*>\(1\)</span>", page)
    saved_section = page[page.index('id="saved"') :]
    assert "Trail shoe" in saved_section and "Quantity 2" in saved_section
    assert ">Move to cart</button>" in saved_section and ">Delete</button>" in saved_section
    assert in_cart(user) == {towel.sku_id: 1}
    assert in_saved(user) == {shoe.sku_id: 2}


def test_move_to_cart_brings_it_back(logged_in, user, shoe):
    put(user, shoe, 3)
    cart_save_for_later(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id)

    page = text(logged_in.post(saved_path(shoe, "move"), follow=True))

    assert "Moved Trail shoe to your cart." in page
    assert "Saved for later (" not in page
    assert in_cart(user) == {shoe.sku_id: 3}
    assert in_saved(user) == {}


def test_delete_a_saved_line(logged_in, user, shoe):
    put(user, shoe)
    cart_save_for_later(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id)

    page = text(logged_in.post(saved_path(shoe, "delete"), follow=True))

    assert "Deleted Trail shoe from your saved items." in page
    assert in_saved(user) == {} and in_cart(user) == {}


def test_the_page_script_gets_the_fragment_with_the_saved_list(logged_in, user, shoe):
    put(user, shoe)

    response = logged_in.post(line_path(shoe, "save"), **FRAGMENT)

    assert response.status_code == 200
    assert response["X-Cart-Fragment"] == "1"
    fragment = text(response)
    assert fragment.strip().startswith('<section id="cart"')
    assert 'id="saved"' in fragment and "Your cart is empty." in fragment


def test_an_unavailable_line_offers_save_for_later_beside_remove(logged_in, user, shoe):
    put(user, shoe)
    deactivate(shoe)

    page = text(logged_in.get("/cart/"))

    line = page[page.index('data-line="') :]
    assert "This item is no longer available" in line
    assert ">Save for later</button>" in line and ">Remove</button>" in line


def test_an_unavailable_saved_line_cannot_move_back_but_can_be_deleted(logged_in, user, shoe):
    put(user, shoe)
    cart_save_for_later(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id)
    deactivate(shoe)

    saved_section = text(logged_in.get("/cart/"))
    saved_section = saved_section[saved_section.index('id="saved"') :]

    assert "This item is no longer available" in saved_section
    assert ">Move to cart</button>" not in saved_section
    assert ">Delete</button>" in saved_section


@override_settings(CART_MAX_LINES=1)
def test_a_full_cart_offers_saving_instead_of_a_dead_end(logged_in, user, shoe, towel):
    put(user, shoe)

    cart_page = text(logged_in.get("/cart/"))
    refused = text(logged_in.post("/cart/add", {"item_id": towel.item_id, "sku_id": towel.sku_id}, follow=True))

    assert "Your cart is full" in cart_page and "Save items for later to make room" in cart_page
    assert "Save some items for later</a> to make room." in refused
    assert in_cart(user) == {shoe.sku_id: 1}


@override_settings(CART_MAX_LINES=1)
def test_moving_back_into_a_full_cart_says_why_it_stayed(logged_in, user, shoe, towel):
    put(user, shoe)
    cart_save_for_later(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id)
    put(user, towel)

    response = logged_in.post(saved_path(shoe, "move"), follow=True)

    page = text(response)
    assert "Your cart is full (1 different items), so Trail shoe stayed saved." in page
    assert in_saved(user) == {shoe.sku_id: 1} and in_cart(user) == {towel.sku_id: 1}


def test_guests_are_asked_to_log_in_and_their_cart_stays(client, shoe):
    client.post("/cart/add", {"item_id": shoe.item_id, "sku_id": shoe.sku_id})

    response = client.post(line_path(shoe, "save"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    page = text(client.get(response["Location"]))
    assert "Log in to save items for later." in page
    assert "Trail shoe" in text(client.get("/cart/"))


@pytest.mark.parametrize("line_id", ["abc", "0:1", "01:2", "1:2:3"])
def test_malformed_line_ids_are_404(logged_in, line_id):
    for path in (f"/cart/lines/{line_id}/save", f"/cart/saved/{line_id}/move", f"/cart/saved/{line_id}/delete"):
        assert logged_in.post(path).status_code == 404


def test_another_shoppers_saved_line_is_not_theirs_to_move(logged_in, user, shoe):
    from tests.factories import UserFactory

    owner = UserFactory()
    put(owner, shoe)
    cart_save_for_later(user_id=owner.pk, item_id=shoe.item_id, sku_id=shoe.sku_id)

    response = logged_in.post(saved_path(shoe, "move"), follow=True)

    assert "That item is not in your saved list." in text(response)
    assert in_saved(owner) == {shoe.sku_id: 1}
    assert in_cart(user) == {}


def test_the_forms_need_post(logged_in, shoe):
    assert logged_in.get(line_path(shoe, "save")).status_code == 405
    assert logged_in.get(saved_path(shoe, "move")).status_code == 405


# --- Undo after a remove -------------------------------------------------------------------


def undo_form(page: str) -> dict:
    match = re.search(r'<form method="post" action="/cart/undo".*?name="line" value="([^"]+)"', page)
    assert match, "no Undo in the message"
    return {"line": match.group(1)}


def test_undo_restores_quantity_selection_and_price_at_add(logged_in, user, shoe, towel):
    from decimal import Decimal

    from cart.services import cart_update_line
    from pricing.models import Price
    from tests.web.helpers import mark_checked

    cart_add_line(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id, quantity=3)
    mark_checked(user.pk, shoe, price_at_add="21.99")
    put(user, towel)
    cart_update_line(user_id=user.pk, item_id=shoe.item_id, sku_id=shoe.sku_id, checked=False)
    before = next(v.line for v in cart_get(user_id=user.pk).items if v.line.sku_id == shoe.sku_id)
    order_before = [v.line.sku_id for v in cart_get(user_id=user.pk).items]

    removed = text(logged_in.post(line_path(shoe, "remove"), follow=True))
    assert "Removed Trail shoe from your cart." in removed and ">Undo</button>" in removed
    Price.objects.filter(sku=shoe).update(amount=Decimal("18.00"))
    page = text(logged_in.post("/cart/undo", undo_form(removed), follow=True))

    assert "Trail shoe is back in your cart." in page
    back = next(v.line for v in cart_get(user_id=user.pk).items if v.line.sku_id == shoe.sku_id)
    assert (back.quantity, back.checked, back.price_at_add, back.added_at_ms) == (
        3,
        False,
        Decimal("21.99"),
        before.added_at_ms,
    )
    # Back in its place in the list (newest first), not on top as a new line would be.
    assert order_before == [towel.sku_id, shoe.sku_id]
    assert [v.line.sku_id for v in cart_get(user_id=user.pk).items] == order_before


def test_undo_after_the_stepper_took_the_line_to_zero(logged_in, user, shoe):
    put(user, shoe)

    removed = text(logged_in.post(line_path(shoe, "update"), {"delta": "-1"}, follow=True))
    logged_in.post("/cart/undo", undo_form(removed))

    assert in_cart(user) == {shoe.sku_id: 1}


def test_undo_twice_restores_once(logged_in, user, shoe):
    put(user, shoe, 2)
    removed = text(logged_in.post(line_path(shoe, "remove"), follow=True))

    logged_in.post("/cart/undo", undo_form(removed))
    again = text(logged_in.post("/cart/undo", undo_form(removed), follow=True))

    assert "Trail shoe is already in your cart." in again
    assert in_cart(user) == {shoe.sku_id: 2}


def test_a_forged_undo_changes_nothing(logged_in, user, shoe):
    response = logged_in.post("/cart/undo", {"line": f'[{shoe.item_id},{shoe.sku_id},5,1,null,"",0]'}, follow=True)

    assert "That can no longer be undone." in text(response)
    assert in_cart(user) == {}


def test_a_guest_can_undo_too(client, shoe):
    client.post("/cart/add", {"item_id": shoe.item_id, "sku_id": shoe.sku_id, "quantity": 2})
    removed = text(client.post(line_path(shoe, "remove"), follow=True))

    page = text(client.post("/cart/undo", undo_form(removed), follow=True))

    assert "Trail shoe is back in your cart." in page
    from tests.web.helpers import guest_cookie

    assert [(g.sku_id, g.quantity) for g in guest_cookie(client).lines] == [(shoe.sku_id, 2)]


def test_a_guest_can_undo_after_the_stepper_took_the_line_to_zero(client, shoe):
    from tests.web.helpers import guest_cookie

    client.post("/cart/add", {"item_id": shoe.item_id, "sku_id": shoe.sku_id, "quantity": 1})
    client.post(line_path(shoe, "update"), {"has_checked": "1"})  # unchecked: the Undo must keep that
    removed = text(client.post(line_path(shoe, "update"), {"delta": "-1"}, follow=True))
    assert guest_cookie(client).lines == []

    client.post("/cart/undo", undo_form(removed))

    assert [(g.sku_id, g.quantity, g.checked) for g in guest_cookie(client).lines] == [(shoe.sku_id, 1, False)]


@pytest.mark.parametrize(
    ("action", "form"), [("remove", {}), ("update", {"quantity": "0"}), ("update", {"delta": "-2"})]
)
def test_a_remove_from_the_page_is_one_cart_script_call_and_its_undo_has_the_line_as_it_was(
    logged_in, user, shoe, action, form
):
    from tests.costs import count_redis

    put(user, shoe, 2)
    logged_in.get("/cart/")  # the session and the page's own reads settle first

    with count_redis() as redis_log:
        response = logged_in.post(line_path(shoe, action), form)

    assert response.status_code == 302 and in_cart(user) == {}
    # The session, then the script that removes the line and answers what it was: no
    # read of the cart before it (that was HGETALL and PEXPIRE of the cart and the list).
    assert redis_log.commands == ["GET", "EVALSHA"]
    logged_in.post("/cart/undo", undo_form(text(logged_in.get("/cart/"))))
    assert in_cart(user) == {shoe.sku_id: 2}


def test_removing_a_line_that_is_not_there_offers_no_undo(logged_in, shoe):
    page = text(logged_in.post(line_path(shoe, "remove"), follow=True))

    assert "Removed Trail shoe from your cart." in page
    assert ">Undo</button>" not in page
