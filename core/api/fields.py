"""Serializer fields that accept exactly the JSON types API.md names.

DRF's own fields coerce ("2" → 2, "true" → True, 2.0 → 2); the contract says a string,
a boolean or null where a number belongs is 400 `invalid`, as is a fraction.
"""

import re
from decimal import Decimal

from rest_framework import serializers

from core.ids import MAX_ID


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be a JSON integer."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(StrictIntegerField):
    """A public id: a positive 64-bit integer."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictCharField(serializers.CharField):
    """A JSON string; DRF's CharField would take the number -496 as the string "-496"."""

    default_error_messages = {"invalid": "Must be a JSON string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# ASCII digits only: `\d` also takes other scripts' digits.
_DECIMAL_STRING = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,2})?")


class DecimalStringField(serializers.RegexField):
    """Money as a decimal string ("19.99"); a JSON number is refused, floats lose cents."""

    def __init__(self, **kwargs):
        super().__init__(
            r"^[0-9]{1,10}(\.[0-9]{1,2})?$",
            error_messages={"invalid": 'Must be a decimal string such as "19.99".'},
            **kwargs,
        )

    def to_internal_value(self, data):
        # Checked here, not only by the field's validator: that one runs after this
        # conversion, and Decimal() raises on garbage (a 500 the fuzzer found).
        if not isinstance(data, str) or not _DECIMAL_STRING.fullmatch(data):
            self.fail("invalid")
        return Decimal(data)


class StrictSerializer(serializers.Serializer):
    """Refuse fields the contract does not define, naming them.

    A typo (`"qty"`) or a field clients may not set (`"price"`, `"user_id"`) must not be
    silently dropped: the client would believe it took effect.
    """

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        unknown = {name: ["Unknown field."] for name in sorted(set(data) - set(self.fields))}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **unknown}) from None
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


def plain_ints(data, fields: dict[str, tuple[int, int]], required: frozenset[str]) -> dict | None:
    """``data`` itself when it is a JSON object holding only ``fields``, every one a JSON
    integer within its ``(low, high)``, and every ``required`` one present; else None.

    The hot endpoints' common, valid request takes this path and skips building a DRF
    serializer (a third of an add's CPU time); anything else goes to the serializer,
    which accepts exactly the same valid inputs and words every error. A test holds the
    two to the same answers.
    """
    if type(data) is not dict or not required <= data.keys() or not data.keys() <= fields.keys():
        return None
    for name, value in data.items():
        low, high = fields[name]
        if type(value) is not int or not low <= value <= high:
            return None
    return data
