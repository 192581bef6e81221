import codecs
import io
import re

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

_LONG_NUMBER = re.compile(rb"[0-9]{20}")


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, faster on the common body, plus a clean 400 for bodies nested
    too deep to decode.

    A UTF-8 body is read by orjson first. Whatever orjson refuses (a syntax error, but
    also lone surrogates, which Python's ``json`` takes) goes to DRF's own parser, and so
    does a body with a run of 20 digits: orjson reads an integer beyond 64 bits as a
    float, which would turn "out of range" into "not an integer". So every body gets the
    result, data or error, it always got.

    ``json`` raises RecursionError (not ValueError) on a 60 KB ``[[[[…]]]]``, which DRF
    lets through as a 500.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if _is_utf8((parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)) and not has_long_number(raw):
            try:
                return orjson.loads(raw)
            except orjson.JSONDecodeError:
                pass
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


def has_long_number(raw: bytes) -> bool:
    """Whether ``raw`` holds a run of digits orjson would read as a float (beyond 64 bits)."""
    return _LONG_NUMBER.search(raw) is not None


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False
