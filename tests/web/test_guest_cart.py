"""The guest cart's rules and its cookie, without HTTP."""

from django.core import signing

from cart.guest import COOKIE_MAX_BYTES, COOKIE_SALT, GuestCart, GuestLine
from core.errors import CartFull, LineNotFound


def test_adding_grows_a_line_and_caps_it_at_999():
    cart = GuestCart()
    cart.add(item_id=1, sku_id=2, quantity=600)
    change = cart.add(item_id=1, sku_id=2, quantity=600)
    assert change.capped and change.line.quantity == 999
    assert [(g.id, g.quantity) for g in cart.lines] == [("1:2", 999)]


def test_a_121st_line_is_refused_and_nothing_changes():
    cart = GuestCart([GuestLine(1000 + n, 500_000 + n, 1) for n in range(120)])
    try:
        cart.add(item_id=9, sku_id=9)
    except CartFull:
        pass
    else:
        raise AssertionError("expected CartFull")
    assert len(cart) == 120 and not cart.changed
    cart.add(item_id=1000, sku_id=500_000)  # an existing line still grows
    assert cart.lines[0].quantity == 2


def test_a_full_cart_of_realistic_ids_fits_in_one_cookie():
    cart = GuestCart()
    for n in range(120):
        cart.add(item_id=1001 + n, sku_id=200_001 + n * 7, quantity=1 + n % 9)
    assert len(cart.to_cookie()) <= COOKIE_MAX_BYTES


def test_update_sets_steps_clamps_and_removes_at_zero():
    cart = GuestCart([GuestLine(1, 2, 3)])
    assert cart.update(item_id=1, sku_id=2, quantity=5).line.quantity == 5
    assert cart.update(item_id=1, sku_id=2, delta=2000).line.quantity == 999
    assert cart.update(item_id=1, sku_id=2, checked=False).line.checked is False
    assert cart.update(item_id=1, sku_id=2, delta=-999).removed
    assert len(cart) == 0


def test_update_of_a_missing_line_raises_line_not_found():
    try:
        GuestCart().update(item_id=1, sku_id=2, quantity=1)
    except LineNotFound:
        return
    raise AssertionError("expected LineNotFound")


def test_remove_is_idempotent_and_select_applies_to_all_or_some():
    cart = GuestCart([GuestLine(1, 2, 1), GuestLine(3, 4, 1)])
    assert not cart.remove(item_id=7, sku_id=7).removed
    cart.select(checked=False)
    assert [g.checked for g in cart.lines] == [False, False]
    cart.select(checked=True, ids=["3:4", "nope"])
    assert [g.checked for g in cart.lines] == [False, True]


def test_the_cookie_round_trips_in_adding_order():
    cart = GuestCart()
    cart.add(item_id=1, sku_id=2, quantity=3)
    cart.add(item_id=5, sku_id=6)
    cart.update(item_id=5, sku_id=6, checked=False)
    again = GuestCart.from_cookie(cart.to_cookie())
    assert [(g.id, g.quantity, g.checked) for g in again.lines] == [("1:2", 3, True), ("5:6", 1, False)]
    assert not again.dropped


def test_a_tampered_cookie_is_dropped():
    value = GuestCart([GuestLine(1, 2, 3)]).to_cookie()
    tampered = value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")
    cart = GuestCart.from_cookie(tampered)
    assert cart.dropped and len(cart) == 0


def test_signed_but_malformed_payloads_are_dropped():
    bad_payloads = [
        [1, 2, 3],
        {"v": 1, "l": [[1, 2, 0, 1]]},  # quantity 0
        {"v": 1, "l": [[1, 2, 1000, 1]]},  # over 999
        {"v": 1, "l": [[1, 2, 1, 1], [1, 2, 1, 1]]},  # duplicate
        {"v": 1, "l": [[0, 2, 1, 1]]},  # id out of range
        {"v": 1, "l": [[2**63, 2, 1, 1]]},
        {"v": 1, "l": [["1", 2, 1, 1]]},
        {"v": 1, "l": [[True, 2, 1, 1]]},
        {"v": 1, "l": [[1, 2, 1]]},
        {"v": 1, "l": [[n + 1, n + 1, 1, 1] for n in range(121)]},  # over the line limit
        {"v": 2, "l": []},
    ]
    for payload in bad_payloads:
        cart = GuestCart.from_cookie(signing.dumps(payload, salt=COOKIE_SALT))
        assert cart.dropped and len(cart) == 0, payload


def test_a_value_signed_for_something_else_is_dropped():
    value = signing.dumps({"v": 1, "l": [[1, 2, 1, 1]]}, salt="another.purpose")
    assert GuestCart.from_cookie(value).dropped


def test_merge_entries_keep_quantities_checked_flags_and_order():
    cart = GuestCart([GuestLine(1, 2, 3), GuestLine(4, 5, 6, checked=False)])
    entries = cart.merge_entries()
    assert [(e.item_id, e.sku_id, e.quantity, e.checked) for e in entries] == [(1, 2, 3, True), (4, 5, 6, False)]
