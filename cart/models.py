"""Cart tables.

``CartItem``, ``SavedItem`` and ``Cart`` live on the 16 user shards (see ``core.db_router``); dead
letters and reconciliation runs are operational records in ``default``.
"""

from django.db import models

from core.sharding import shard_for_user


class LineStatus(models.TextChoices):
    UNKNOWN = "unknown"
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    OUT_OF_STOCK = "out_of_stock"


class ShardedQuerySet(models.QuerySet):
    def for_user(self, user_id: int):
        """Rows of one user, read from and written to that user's shard."""
        return self.using(shard_for_user(user_id)).filter(user_id=user_id)


class PersistedLine(models.Model):
    """A line as persisted on its user's shard: of the cart (``CartItem``) or saved for
    later (``SavedItem``). Redis holds the live copy.

    Write rows with ``<Model>.objects.for_user(uid).filter(...).update()`` or the
    persistence upsert, never ``save()``/``delete()``: Django emits a row-value
    ``WHERE (user_id, item_id, sku_id) = (…)`` for those, which MariaDB runs as a
    full scan.
    """

    pk = models.CompositePrimaryKey("user_id", "item_id", "sku_id")
    user_id = models.BigIntegerField()
    item_id = models.BigIntegerField()
    sku_id = models.BigIntegerField()
    quantity = models.PositiveSmallIntegerField()
    price_at_add = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    status = models.CharField(max_length=16, choices=LineStatus.choices, default=LineStatus.UNKNOWN)
    # Cart version of the line's last change; the persistence upsert applies a message
    # only when its version is newer, so messages may arrive in any order.
    version = models.BigIntegerField()
    # Tombstone: a removed line stays (deleted=True) until reconciliation purges it, so
    # a late message carrying an older "add" cannot bring it back.
    deleted = models.BooleanField(default=False)
    create_time = models.DateTimeField()
    update_time = models.DateTimeField()

    objects = ShardedQuerySet.as_manager()

    class Meta:
        abstract = True


class CartItem(PersistedLine):
    """One line of a cart, as persisted."""

    checked = models.BooleanField(default=True)

    class Meta:
        db_table = "cart_item"
        indexes = [
            models.Index(fields=["deleted", "update_time"], name="cart_item_tombstones"),
            # The reverse index SKU → carts: which carts to re-mark when a product changes.
            models.Index(fields=["sku_id", "user_id"], name="cart_item_by_sku"),
        ]

    def __str__(self):
        return f"user {self.user_id}: {self.item_id}:{self.sku_id} x{self.quantity}"


class SavedItem(PersistedLine):
    """One line of a shopper's "Saved for later" list, as persisted, beside the cart
    (``cart.engine.keys.saved_key`` in Redis); rows carry the cart's version.
    ``create_time`` is when the line was saved.
    """

    # Saved lines are never bought, so never selected: the codec reads rows of both
    # tables alike.
    checked = False

    class Meta:
        db_table = "saved_item"
        indexes = [
            models.Index(fields=["deleted", "update_time"], name="saved_item_tombstones"),
            models.Index(fields=["sku_id", "user_id"], name="saved_item_by_sku"),
        ]

    def __str__(self):
        return f"user {self.user_id} saved {self.item_id}:{self.sku_id} x{self.quantity}"


class Cart(models.Model):
    """Cart header: one row per user with the cart's version."""

    user_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=0)
    update_time = models.DateTimeField(db_index=True)

    objects = ShardedQuerySet.as_manager()

    class Meta:
        db_table = "cart"

    def __str__(self):
        return f"cart of user {self.user_id} at v{self.version}"


class DeadLetter(models.Model):
    """A persistence message that failed every retry. Staff replay it from admin."""

    class State(models.TextChoices):
        PENDING = "pending"
        REPLAYED = "replayed"

    user_id = models.BigIntegerField(db_index=True)
    shard = models.CharField(max_length=16)
    version = models.BigIntegerField()
    payload = models.JSONField()
    error = models.TextField()
    attempts = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    replayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "cart_dead_letter"
        ordering = ["-created_at"]

    def __str__(self):
        return f"dead letter {self.pk}: user {self.user_id} v{self.version}"


class ReconciliationRun(models.Model):
    """What one reconciliation pass found and fixed."""

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Carts changed in Redis since this moment were compared.
    changed_since = models.DateTimeField(null=True, blank=True)
    carts_checked = models.PositiveIntegerField(default=0)
    lines_fixed = models.PositiveIntegerField(default=0)
    tombstones_purged = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        db_table = "cart_reconciliation_run"
        ordering = ["-started_at"]

    def __str__(self):
        return f"reconciliation at {self.started_at:%Y-%m-%d %H:%M:%S}"


class SharedCart(models.Model):
    """An immutable snapshot of a cart behind a share link (see ``cart.sharing``).

    Kept in ``default``, not on a user shard: it belongs to no user and holds no
    personal data. Keyed by the SHA-256 of the token, so the table alone cannot open
    any link.
    """

    token_hash = models.CharField(max_length=64, primary_key=True)
    payload = models.JSONField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "cart_shared"

    def __str__(self):
        return f"shared cart {self.token_hash[:12]}… until {self.expires_at:%Y-%m-%d %H:%M}"
