"""The catalog's metrics."""

from prometheus_client import Counter

SKU_CACHE = Counter("sku_info_cache_total", "SKU display data lookups by the layer that answered.", ["layer"])
