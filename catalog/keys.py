"""Every Redis key the catalog owns. Each starts with ``REDIS_KEY_PREFIX`` (empty in
production, one per test run)."""

from django.conf import settings


def sku_info_key(sku_id: int) -> str:
    """A SKU's display data and price (``catalog.cache.SkuInfo`` as JSON)."""
    return f"{settings.REDIS_KEY_PREFIX}sku:{sku_id}"


def stock_key(sku_id: int) -> str:
    """A SKU's stock hint (a number; checkout reads the real stock from MySQL)."""
    return f"{settings.REDIS_KEY_PREFIX}stock:{sku_id}"


def changes_channel() -> str:
    """Pub/sub: comma-separated SKU ids whose cached data every process must drop."""
    return f"{settings.REDIS_KEY_PREFIX}catalog:changed"


def stock_watermark_key() -> str:
    """Until when stock levels were copied into the stock hints (``sync_stock``)."""
    return f"{settings.REDIS_KEY_PREFIX}stock:synced-until"


def recommendations_version_key() -> str:
    """The version of the similarity matrix every process must hold."""
    return f"{settings.REDIS_KEY_PREFIX}reco:version"
