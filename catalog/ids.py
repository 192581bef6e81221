"""Public ids are positive signed 64-bit integers (API.md)."""

from django.core.validators import MaxValueValidator, MinValueValidator

MAX_ID = 2**63 - 1
ID_VALIDATORS = [MinValueValidator(1), MaxValueValidator(MAX_ID)]
