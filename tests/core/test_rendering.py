"""The fast paths of rendering and parsing give exactly what the plain ones gave."""

import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer

from cart.engine.lines import ms_to_datetime
from core.api.dates import iso_utc, iso_utc_ms
from core.api.parsers import StrictJSONParser
from core.api.renderers import FastJSONRenderer

PAYLOADS = [
    {"items": [{"id": "1:2", "quantity": 3, "checked": True, "unit_price": "19.99", "stock": None}], "version": 7},
    {"price": Decimal("12.50"), "at": dt.datetime(2026, 11, 29, 14, 0, 5, 123000, tzinfo=dt.UTC)},
    {"naive": dt.datetime(2026, 1, 2, 3, 4, 5), "day": dt.date(2026, 1, 2), "id": uuid.UUID(int=7)},
    {"code": "invalid_input", "detail": {"quantity": [ErrorDetail("Must be a JSON integer.", code="invalid")]}},
    {"lazy": gettext_lazy("Not found."), "text": 'Grüße, 東京 \u2028 \u2029 "q" \\ \n'},
    {1: "int key", "nested": [[], {}, [1.5, -0.25, 10**18]], "empty": ""},
    [1, "two", None, False],
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_fast_renderer_writes_the_same_bytes_as_drfs(payload):
    assert FastJSONRenderer().render(payload) == JSONRenderer().render(payload)


def test_nothing_renders_as_an_empty_body():
    assert FastJSONRenderer().render(None) == JSONRenderer().render(None) == b""


@pytest.mark.parametrize("ms", [0, 1, 999, 1_795_000_000_000, 1_795_000_000_001, 1_795_000_000_999, 4_102_444_800_000])
def test_timestamps_from_milliseconds_read_as_from_datetimes(ms):
    assert iso_utc_ms(ms) == iso_utc(ms_to_datetime(ms))
    assert iso_utc_ms(ms).endswith("Z") and len(iso_utc_ms(ms)) == 24


# --- parsing ------------------------------------------------------------------------------

BODIES = [
    b'{"item_id": 1, "sku_id": 2, "quantity": 3}',
    b'{"item_id": 123456789012345678901234567890}',  # beyond 64 bits: Python's json takes it
    b'{"item_id": 18446744073709551615, "sku_id": -9223372036854775808}',  # the 64-bit ends
    b'{"price": 1.10000000000000000000001, "n": 1e400}',
    b'{"note": "\\ud800"}',  # a lone surrogate: Python's json takes it
    b'{"a": NaN}',
    b'{"a": 1,}',
    b"",
    b"[" * 5000 + b"]" * 5000,
    '{"title": "Grüße"}'.encode(),
    b'{"a": 1, "a": 2}',
    b"\xef\xbb\xbf{}",  # a byte-order mark
]


def _outcome(parser, body: bytes, encoding="utf-8"):
    try:
        return ("data", parser.parse(io.BytesIO(body), "application/json", {"encoding": encoding}))
    except ParseError as exc:
        return ("error", str(exc.detail).split(":")[0])


@pytest.mark.parametrize("body", BODIES)
def test_the_parser_gives_what_drfs_parser_gives(body):
    ours, theirs = _outcome(StrictJSONParser(), body), _outcome(JSONParser(), body) if len(body) < 5000 else None
    if theirs is not None:
        assert ours == theirs
    else:
        assert ours == ("error", "JSON parse error - nested too deeply.")


def test_a_latin_1_body_is_decoded_as_latin_1():
    assert _outcome(StrictJSONParser(), '{"t": "é"}'.encode("latin-1"), "latin-1") == ("data", {"t": "é"})
