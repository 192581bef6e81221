"""The guest cart's rules and its cookie, without HTTP."""

from decimal import Decimal

import pytest
from django.core import signing

from cart.web.guest import COOKIE_MAX_BYTES, COOKIE_SALT, GuestCart, GuestLine
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


def test_a_new_line_keeps_the_price_it_was_added_at_through_the_cookie():
    cart = GuestCart()
    cart.add(item_id=1, sku_id=2, price=Decimal("19.99"), currency="USD")
    cart.add(item_id=1, sku_id=2, price=Decimal("17.50"), currency="USD")  # grows; keeps its first price
    cart.add(item_id=3, sku_id=4, price=Decimal("7.5"), currency="EUR")
    cart.add(item_id=5, sku_id=6)  # price unknown at add (an SKU not in the catalog)
    again = GuestCart.from_cookie(cart.to_cookie())
    assert [(g.id, g.quantity, g.price_at_add, g.currency) for g in again.lines] == [
        ("1:2", 2, Decimal("19.99"), "USD"),
        ("3:4", 1, Decimal("7.50"), "EUR"),
        ("5:6", 1, None, ""),
    ]


@pytest.mark.parametrize(
    ("price", "currency"),
    [
        (Decimal("NaN"), "USD"),
        (Decimal("-1"), "USD"),
        (Decimal("1E+12"), "USD"),
        (Decimal("19.99"), ""),
        (Decimal("19.99"), "usd"),
    ],
)
def test_a_price_the_cookie_could_not_hold_is_left_out_not_written(price, currency):
    cart = GuestCart()
    cart.add(item_id=1, sku_id=2, price=price, currency=currency)
    again = GuestCart.from_cookie(cart.to_cookie())
    assert not again.dropped and [(g.id, g.price_at_add, g.currency) for g in again.lines] == [("1:2", None, "")]


def test_a_price_with_more_than_two_decimals_is_kept_in_cents():
    cart = GuestCart()
    cart.add(item_id=1, sku_id=2, price=Decimal("19.999"), currency="USD")
    assert GuestCart.from_cookie(cart.to_cookie()).lines[0].price_at_add == Decimal("20.00")


def test_a_cookie_written_before_prices_were_kept_still_reads():
    value = signing.dumps({"v": 1, "l": [[1, 2, 3, 1], [4, 5, 6, 0]]}, salt=COOKIE_SALT, compress=True)
    cart = GuestCart.from_cookie(value)
    assert not cart.dropped
    assert [(g.id, g.quantity, g.checked, g.price_at_add) for g in cart.lines] == [
        ("1:2", 3, True, None),
        ("4:5", 6, False, None),
    ]


def test_a_full_cart_with_prices_still_fits_in_one_cookie():
    cart = GuestCart()
    for n in range(120):
        cart.add(
            item_id=1001 + n * 13,
            sku_id=200_001 + n * 7919,
            quantity=1 + n % 9,
            price=Decimal(n * 997) / 100,
            currency="USD",
        )
    assert len(cart) == 120 and len(cart.to_cookie()) <= COOKIE_MAX_BYTES


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
        {"v": 3, "l": []},  # a format this code does not know
        {"v": 1, "l": [[1, 2, 1, 1, "19.99", "USD"]]},  # prices came with version 2
        {"v": 2, "l": [[1, 2, 1, 1, "19.99"]]},
        {"v": 2, "l": [[1, 2, 1, 1, 19.99, "USD"]]},  # a number, not the exact string
        {"v": 2, "l": [[1, 2, 1, 1, "1e5", "USD"]]},
        {"v": 2, "l": [[1, 2, 1, 1, "-1.00", "USD"]]},
        {"v": 2, "l": [[1, 2, 1, 1, "19.999", "USD"]]},
        {"v": 2, "l": [[1, 2, 1, 1, "19.99", "usd"]]},
        {"v": 2, "l": [[1, 2, 1, 1, "19.99", None]]},
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
