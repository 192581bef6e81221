"""The fast paths of rendering give exactly what the plain ones gave."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer

from cart.lines import ms_to_datetime
from core.api.dates import iso_utc, iso_utc_ms
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
