from cart.models import Cart, CartItem
from cart.persistence import persistence_drain_all
from cart.store import CartStore


def cached(user_id: int) -> dict[str, tuple]:
    """The cart in Redis as {line id: (quantity, checked, version)}; {} when not loaded."""
    raw = CartStore().read_many([user_id])[user_id]
    return {} if raw is None else {line.id: (line.quantity, line.checked, line.version) for line in raw.lines}


def cached_version(user_id: int) -> int | None:
    raw = CartStore().read_many([user_id])[user_id]
    return None if raw is None else raw.version


def persisted(user_id: int) -> dict[str, tuple]:
    """The live (not tombstoned) rows on the user's shard, shaped like ``cached``."""
    return {
        f"{r.item_id}:{r.sku_id}": (r.quantity, r.checked, r.version)
        for r in CartItem.objects.for_user(user_id).filter(deleted=False)
    }


def persisted_version(user_id: int) -> int | None:
    return Cart.objects.for_user(user_id).values_list("version", flat=True).first()


def drain() -> int:
    return persistence_drain_all().written
