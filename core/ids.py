"""Public ids are positive signed 64-bit integers (API.md)."""

from django.core.validators import MaxValueValidator, MinValueValidator

MAX_ID = 2**63 - 1
ID_VALIDATORS = [MinValueValidator(1), MaxValueValidator(MAX_ID)]


def _decimal_range_pattern(limit: int) -> str:
    """A regular expression matching exactly the decimal numbers 1..``limit`` written
    without leading zeros: fewer digits than ``limit``, or as many and smaller at the
    first digit that differs."""
    digits = str(limit)
    alternatives = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for position, digit in enumerate(digits):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:
            rest = len(digits) - position - 1
            alternatives.append(f"{digits[:position]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    alternatives.append(digits)
    return "(?:" + "|".join(alternatives) + ")"


# An id as it appears in a path ("/products/17", "/cart/items/17:42"), for the OpenAPI
# document: a client (or a fuzzer) learns the exact range from it.
ID_PATTERN = _decimal_range_pattern(MAX_ID)
LINE_ID_PATTERN = f"^{ID_PATTERN}:{ID_PATTERN}$"
