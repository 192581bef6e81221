"""Items similar to a cart ("You may also like"; API.md, "recommendations").

Every active item has a feature vector: its catalog ``features`` when the catalog gives
them, else one computed from its category and its SKUs' attributes by feature hashing
(deterministic: the same item gets the same vector in every process and after every
restart). The vectors of the whole catalog sit in one NumPy matrix per process, rows
scaled to unit length, so a request is one matrix-vector product instead of a scan of
the item table.

Freshness: a catalog change replaces a version stamp in Redis (``recommendations_invalidate``);
each process compares its matrix's stamp with it at most once a second and rebuilds when
they differ. While one thread rebuilds, the others keep answering from the old matrix.
A matrix is also rebuilt after ``RECOMMENDATIONS_MAX_AGE_SECONDS`` whatever the stamp,
which bounds how long an edit that did not bump it (a raw SQL fix) can go unseen.

Scoring: cosine similarity between each item and the cart's quantity-weighted mean of
its items' unit vectors. Unit rows make every item's direction count by its quantity,
not by the magnitude of its raw features.
"""

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from catalog.keys import recommendations_version_key
from catalog.models import Item, Sku
from core.redis_client import get_redis

logger = logging.getLogger(__name__)

MAX_LIMIT = 50
# How often a process asks Redis whether the catalog changed.
CHECK_SECONDS = 1.0
# Category says more about an item than any single attribute does.
CATEGORY_WEIGHT = 2.0
ATTRIBUTE_WEIGHT = 1.0


@dataclass(frozen=True, slots=True)
class Recommendation:
    item_id: int
    title: str
    score: float


def hashed_vector(*, category: str, attributes: Iterable[tuple[str, str]], size: int) -> np.ndarray:
    """A vector of ``size`` for an item without catalog features: each token
    ("category=shoes", "size=42") adds ±weight to one coordinate chosen by a stable
    hash (BLAKE2b, never Python's per-process ``hash``)."""
    vector = np.zeros(size, dtype=np.float64)
    tokens = [(f"category={category.strip().lower()}", CATEGORY_WEIGHT)] if category.strip() else []
    tokens += [(f"{k.strip().lower()}={str(v).strip().lower()}", ATTRIBUTE_WEIGHT) for k, v in sorted(set(attributes))]
    for token, weight in tokens:
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        value = int.from_bytes(digest, "big")
        # The lowest bit picks the sign, so collisions cancel out on average instead of piling up.
        vector[(value >> 1) % size] += weight if value & 1 else -weight
    return vector


class SimilarityIndex:
    """The catalog's unit feature vectors, one row per active item with a non-zero vector."""

    def __init__(self, *, stamp: bytes, item_ids: list[int], titles: list[str], vectors: np.ndarray):
        self.stamp = stamp
        self.built_at = time.monotonic()
        self.item_ids = np.asarray(item_ids, dtype=np.int64)
        self.titles = titles
        self.vectors = vectors.astype(np.float32, copy=False)
        self.row_of = {item_id: row for row, item_id in enumerate(item_ids)}

    def __len__(self) -> int:
        return len(self.item_ids)

    def similar(self, weights: dict[int, float], *, limit: int) -> list[Recommendation]:
        """Return up to ``limit`` items most similar to the weighted mean of ``weights``'
        items (item id → weight), best first, never one of those items.

        Items with no positive similarity are left out: they are not "like" the cart.
        Equal scores are ordered by item id, so answers are stable.
        """
        rows = [(self.row_of[item_id], w) for item_id, w in weights.items() if item_id in self.row_of and w > 0]
        if not rows or limit < 1:
            return []
        index = np.fromiter((r for r, _ in rows), dtype=np.int64, count=len(rows))
        w = np.fromiter((w for _, w in rows), dtype=np.float32, count=len(rows))
        query = (w[:, None] * self.vectors[index]).sum(axis=0) / w.sum()
        norm = float(np.linalg.norm(query))
        if norm == 0.0:
            return []  # opposite items cancelled out: nothing to be similar to
        scores = self.vectors @ (query / norm)
        scores[index] = -np.inf  # what is already in the cart
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > limit:
            # Only the best few need sorting: partition first (O(n)), then sort those.
            # Take a margin past ``limit`` so ties at the cut are ordered by id, not by chance.
            keep = min(len(candidates), limit * 2)
            candidates = candidates[np.argpartition(-scores[candidates], keep - 1)[:keep]]
        order = sorted(candidates.tolist(), key=lambda r: (-float(scores[r]), int(self.item_ids[r])))[:limit]
        return [
            Recommendation(item_id=int(self.item_ids[r]), title=self.titles[r], score=round(float(scores[r]), 4))
            for r in order
        ]


def build_index(*, stamp: bytes = b"") -> SimilarityIndex:
    """Read every active item (and, for those without features, their SKUs' attributes)
    and return a new index. Two queries, streamed; no per-item query."""
    items = list(
        Item.objects.filter(active=True).order_by("item_id").values_list("item_id", "title", "category", "features")
    )
    size = max((len(f) for *_, f in items if f), default=settings.RECOMMENDATIONS_HASHED_SIZE)
    attributes: dict[int, set[tuple[str, str]]] = {}
    featureless = {item_id for item_id, _, _, features in items if not features}
    if featureless:
        skus = Sku.objects.filter(active=True, item__active=True).values_list("item_id", "attributes")
        for item_id, attrs in skus.iterator(chunk_size=2000):
            if item_id in featureless and isinstance(attrs, dict):
                attributes.setdefault(item_id, set()).update((str(k), str(v)) for k, v in attrs.items())
    ids, titles, rows = [], [], []
    for item_id, title, category, features in items:
        if features:
            vector = np.zeros(size, dtype=np.float64)
            vector[: len(features)] = features
        else:
            vector = hashed_vector(category=category, attributes=attributes.get(item_id, ()), size=size)
        norm = np.linalg.norm(vector)
        if norm == 0 or not np.isfinite(norm):
            continue  # nothing known about it: it can be neither similar nor a query
        ids.append(item_id)
        titles.append(title)
        rows.append(vector / norm)
    vectors = np.vstack(rows) if rows else np.zeros((0, size))
    return SimilarityIndex(stamp=stamp, item_ids=ids, titles=titles, vectors=vectors)


class _Current:
    def __init__(self):
        self.index: SimilarityIndex | None = None
        self.checked_at = 0.0
        self.rebuild = threading.Lock()


_current = _Current()


def _stamp_now() -> bytes | None:
    """The catalog's current stamp. A random token rather than a counter: when Redis lost
    it (flushed, failed over), the first reader sets a new one, which differs from every
    process's, so all of them rebuild instead of trusting a matrix of unknown age."""
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.set(recommendations_version_key(), uuid.uuid4().hex, nx=True)
        pipe.get(recommendations_version_key())
        return pipe.execute()[1]
    except Exception:  # noqa: BLE001 - Redis trouble must not take recommendations down
        logger.warning("could not read the recommendations version; keeping the current matrix")
        return None


def similarity_index() -> SimilarityIndex:
    """This process's index, rebuilt when the catalog changed since it was built."""
    index, now = _current.index, time.monotonic()
    if index is not None and now - _current.checked_at < CHECK_SECONDS:
        return index
    stamp = _stamp_now()
    _current.checked_at = now
    stale = index is None or (stamp is not None and stamp != index.stamp)
    stale = stale or now - index.built_at > settings.RECOMMENDATIONS_MAX_AGE_SECONDS
    if not stale:
        return index
    # With a matrix in hand, never wait for another thread's rebuild: answer from the old one.
    if not _current.rebuild.acquire(blocking=index is None):
        return index
    try:
        if _current.index is not index and _current.index is not None:
            return _current.index  # another thread rebuilt it while this one waited
        # The stamp is read before the rows: a change during the build bumps it again,
        # and the next check rebuilds.
        fresh = build_index(stamp=stamp if stamp is not None else b"")
        _current.index = fresh
        logger.info("recommendations matrix rebuilt: %d items x %d", len(fresh), fresh.vectors.shape[1])
        return fresh
    finally:
        _current.rebuild.release()


def recommendations_invalidate() -> None:
    """Tell every process that the catalog changed: their next read rebuilds the matrix."""
    try:
        get_redis().set(recommendations_version_key(), uuid.uuid4().hex)
    except Exception:  # noqa: BLE001 - the age limit still rebuilds it later
        logger.warning("could not bump the recommendations version")
    _current.checked_at = 0.0


def recommendations_for_lines(lines: Iterable, *, limit: int) -> list[Recommendation]:
    """Items like the cart's ``lines`` (anything with ``item_id`` and ``quantity``),
    weighted by quantity (several SKUs of one item add up), best first."""
    weights: dict[int, float] = {}
    for line in lines:
        weights[line.item_id] = weights.get(line.item_id, 0.0) + line.quantity
    return similarity_index().similar(weights, limit=limit)


def recommendations_for_page(lines: Iterable, *, limit: int) -> list[Recommendation] | None:
    """The cart page's strip, or None when it must not show: switched off, or the matrix
    cannot be built right now (a page never fails because of a suggestion)."""
    from ops.switches import feature_enabled

    if not feature_enabled("recommendations"):
        return None
    try:
        return recommendations_for_lines(lines, limit=limit)
    except Exception:  # see above
        logger.exception("recommendations unavailable for the cart page")
        return None
