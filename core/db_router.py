"""Route cart rows to their user's shard and everything else to ``default``."""

from core.sharding import SHARD_ALIASES, shard_for_user

# Models whose rows are per user and live on the shards, by "app_label.model_name".
SHARDED_MODELS = frozenset({"cart.cartitem", "cart.saveditem", "cart.cart"})
# Aliases that ``move_shard`` adds at run time for a shard's new server: they get the
# shard tables like a shard alias, and no query is ever routed to them.
MOVE_ALIAS_PREFIX = "move_"


class ShardNotChosen(RuntimeError):
    """A sharded model was queried without saying whose cart it is."""


def _is_sharded(app_label: str, model_name: str | None) -> bool:
    return f"{app_label}.{model_name}" in SHARDED_MODELS


class ShardRouter:
    """Database router for the 16 cart shards.

    Sharded models must be queried through ``Model.objects.for_user(user_id)`` (which
    calls ``.using()`` with the right alias) or from an instance that knows its user.
    Anything else raises ``ShardNotChosen``: a silent fallback to ``default`` would
    read an empty table and look like an empty cart.
    """

    def _route(self, model, hints):
        if not _is_sharded(model._meta.app_label, model._meta.model_name):
            return "default"
        instance = hints.get("instance")
        if instance is not None:
            if instance._state.db:
                return instance._state.db
            return shard_for_user(instance.user_id)
        raise ShardNotChosen(
            f"{model.__name__} lives on the user shards: use {model.__name__}.objects.for_user(user_id)."
        )

    def db_for_read(self, model, **hints):
        return self._route(model, hints)

    def db_for_write(self, model, **hints):
        return self._route(model, hints)

    def allow_relation(self, obj1, obj2, **hints):
        return obj1._state.db == obj2._state.db

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if model_name is None:
            model_name = hints.get("model_name")
        if model_name is None:
            # Operations without a model (plain RunSQL/RunPython) run on default only,
            # unless they name a model in their hints.
            return db == "default"
        if _is_sharded(app_label, model_name):
            return db in SHARD_ALIASES or db.startswith(MOVE_ALIAS_PREFIX)
        return db == "default"
