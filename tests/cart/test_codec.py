"""The one line codec: every encoding reads back what it wrote, the Python writer and the
Lua scripts write the same Redis value, and "Redis and MySQL agree" has one meaning."""

from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest

from cart.engine import keys
from cart.engine.codec import (
    LineState,
    line_agrees_with_row,
    line_from_redis,
    line_from_row,
    line_to_redis,
    row_content_of_line,
    state_from_payload,
    state_of_line,
    state_to_payload,
    states_from_stream,
    states_to_stream,
    tombstone_of_row,
)
from cart.engine.lines import CartLine
from cart.models import CartItem
from cart.services import cart_add_line
from core.redis_client import get_redis
from tests.cart.helpers import drain
from tests.conftest import db_all_tx
from tests.factories import SkuFactory

LINE = CartLine(
    item_id=17,
    sku_id=42,
    quantity=3,
    checked=False,
    status="available",
    price_at_add=Decimal("19.99"),
    currency="EUR",
    added_at_ms=1_796_534_478_846,
    updated_at_ms=1_796_534_479_000,
    version=12,
)


@pytest.mark.parametrize(
    "line", [LINE, CartLine(**{**{f: getattr(LINE, f) for f in LINE.__slots__}, "price_at_add": None, "currency": ""})]
)
def test_a_line_reads_back_from_its_redis_value(line):
    value = line_to_redis(line)
    assert line_from_redis(line.id, value) == line
    assert line_from_redis(line.id.encode(), value.encode()) == line
    assert value.split(",")[0] == "3" and (value.split(",")[5] != "") is (line.price_at_add is not None)


def test_the_value_is_positional_and_short_enough_for_a_compact_hash():
    assert line_to_redis(LINE) == "3,0a,29308878846,-1767225599988,-1796534478988,19.99,E"
    now = 1_796_534_478_846  # 2026-12-06
    largest = CartLine(
        item_id=1,
        sku_id=1,
        quantity=999,
        checked=True,
        status="out_of_stock",
        price_at_add=Decimal("99999999.99"),
        currency="SEK",
        added_at_ms=now,
        updated_at_ms=now + 3_650 * 86_400_000,
        version=now + 3_650 * 86_400_000 + 9,
    )
    value = line_to_redis(largest)
    assert line_from_redis(largest.id, value) == largest
    # Ten years on, the largest line is still within Redis's default hash-max-listpack-value.
    assert len(value) <= 64, value


def test_a_format_1_value_still_reads():
    """A line as the JSON codec wrote it before format 2 (rolling upgrade)."""
    value = '{"q":3,"c":0,"s":"available","a":1796534478846,"t":1796534479000,"v":12,"p":"19.99","cu":"EUR"}'
    assert line_from_redis(LINE.id, value) == LINE
    assert line_from_redis(LINE.id, value.encode()) == LINE


def _fields(line: CartLine) -> dict:
    return {f: getattr(line, f) for f in line.__slots__}


def test_a_state_reads_back_from_its_stream_payload():
    state = state_of_line(5, LINE, version=13)
    assert state_from_payload(orjson.loads(orjson.dumps(state_to_payload(state))), user_id=5, version=13) == state


def test_stream_entries_carry_states_in_format_2_and_a_removal_as_quantity_0():
    kept = state_of_line(5, LINE, version=1_796_534_479_000)
    unpriced = state_of_line(
        5, CartLine(**{**_fields(LINE), "sku_id": 43, "price_at_add": None, "currency": ""}), version=kept.version
    )
    removed = LineState(
        **{
            **{f: getattr(kept, f) for f in kept.__slots__},
            "sku_id": 44,
            "quantity": 0,
            "checked": False,
            "deleted": True,
        }
    )
    text = states_to_stream([kept, unpriced, removed])
    assert text.count(";") == 2 and "{" not in text
    assert states_from_stream(text, user_id=5, version=kept.version) == (kept, unpriced, removed)
    assert states_from_stream(text.encode(), user_id=5, version=kept.version) == (kept, unpriced, removed)
    assert states_from_stream("", user_id=5, version=1) == ()


def _row(**change) -> CartItem:
    """LINE's row on user 5's shard, with ``change`` applied."""
    row = CartItem(
        user_id=5,
        item_id=LINE.item_id,
        sku_id=LINE.sku_id,
        **row_content_of_line(LINE),
        version=LINE.version,
        deleted=False,
        create_time=datetime.fromtimestamp(LINE.added_at_ms / 1000, tz=UTC),
        update_time=datetime.fromtimestamp(LINE.updated_at_ms / 1000, tz=UTC),
    )
    for name, value in change.items():
        setattr(row, name, value)
    return row


def test_a_row_is_the_line_it_was_written_from():
    row = _row()
    assert line_from_row(row) == LINE
    assert line_agrees_with_row(LINE, row)
    tomb = tombstone_of_row(row, version=14, now=datetime(2026, 12, 6, tzinfo=UTC))
    assert tomb.deleted and tomb.quantity == 0 and tomb.version == 14


@pytest.mark.parametrize(
    ("change", "agrees"),
    [
        ({}, True),
        ({"version": 99}, True),  # versions are not content: a check that finds nothing new bumps none
        ({"quantity": 4}, False),
        ({"checked": True}, False),
        ({"status": "out_of_stock"}, False),
        ({"price_at_add": Decimal("18.00")}, False),
        ({"deleted": True}, False),
    ],
)
def test_redis_and_mysql_agree_on_content(change, agrees):
    assert line_agrees_with_row(LINE, _row(**change)) is agrees


def test_nothing_on_either_side_agrees_and_a_tombstone_counts_as_nothing():
    assert line_agrees_with_row(None, None)
    assert line_agrees_with_row(None, CartItem(user_id=5, item_id=1, sku_id=1, deleted=True))
    assert not line_agrees_with_row(None, CartItem(user_id=5, item_id=1, sku_id=1, deleted=False))


@db_all_tx
def test_the_lua_scripts_write_what_the_codec_writes(_clean_redis):
    sku = SkuFactory()
    cart_add_line(user_id=77, item_id=sku.item_id, sku_id=sku.sku_id, quantity=2)
    field = f"{sku.item_id}:{sku.sku_id}"
    written = get_redis().hget(keys.cart_key(77), field)
    line = line_from_redis(field, written)
    assert line_to_redis(line) == written.decode()  # byte for byte
    drain()
    row = CartItem.objects.for_user(77).get(item_id=sku.item_id, sku_id=sku.sku_id)
    assert line_agrees_with_row(line, row)
    assert line_from_row(row) == line
