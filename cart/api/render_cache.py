"""Rendered bodies of recent cart reads, kept per process.

A cart's JSON depends only on its lines, which its version names, and on the SKU data
it was dressed with. This process's SKU cache hands out the very same ``SkuInfo``
objects until a catalog event or their TTL replaces them, so a body rendered for one
version with those objects is still exact while both hold. Reads of an unchanged cart
(a device polling, a page reload, a hot cart) then skip dressing, summing and rendering
every line; any change of the cart or of one of its SKUs renders afresh.
"""

import threading
from collections import OrderedDict

from django.conf import settings

from cart import metrics
from catalog.cache import SkuInfo, local_cache


class RenderedCarts:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[int, tuple[int, dict[int, SkuInfo], bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, user_id: int, version: int, infos: dict[int, SkuInfo]) -> bytes | None:
        entry = self._entries.get(user_id)
        fresh = (
            entry is not None
            and entry[0] == version
            and len(entry[1]) == len(infos)
            and all(infos.get(sku_id) is info for sku_id, info in entry[1].items())
        )
        metrics.RENDER_CACHE.labels("hit" if fresh else "miss").inc()
        if not fresh:
            return None
        with self._lock:
            if user_id in self._entries:
                self._entries.move_to_end(user_id)
        return entry[2]

    def get_unchanged(self, user_id: int, version: int, lines: int) -> bytes | None:
        """The body of a cart still at ``version`` whose ``lines`` SKUs all had data when
        it was rendered and still have the same, without looking them up again: for a
        120-line cart the lookups cost more than the rest of the read."""
        entry = self._entries.get(user_id)
        if entry is None or entry[0] != version or len(entry[1]) != lines or not local_cache.still_holds(entry[1]):
            return None
        metrics.RENDER_CACHE.labels("hit").inc()
        return entry[2]

    def put(self, user_id: int, version: int, infos: dict[int, SkuInfo], body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(user_id, None)
            if old is not None:
                self._bytes -= len(old[2])
            self._entries[user_id] = (version, dict(infos), body)
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                _, (_, _, evicted) = self._entries.popitem(last=False)
                self._bytes -= len(evicted)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


rendered_carts = RenderedCarts(max_bytes=settings.CART_RENDER_CACHE_MB * 1024 * 1024)
