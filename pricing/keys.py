"""Every Redis key pricing owns (prefixed with ``REDIS_KEY_PREFIX``)."""

from django.conf import settings


def promotions_watermark_key() -> str:
    """Until when promotion starts and ends were applied (``promotion_boundaries``)."""
    return f"{settings.REDIS_KEY_PREFIX}pricing:promotions-checked-until"
