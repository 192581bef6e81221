"""Durability behind the request path: from Redis to the user shards in MySQL and back.

Owns write-behind (``write_behind``: stream messages collapsed and upserted per shard,
retries and dead letters), the consumer that runs in every worker (``consumer``),
reconciliation of Redis against MySQL (``reconciliation``), the replay of dead letters
(``replay``), pre-warming carts into Redis (``prewarm``) and moving a shard to another
server (``shard_move``).

May import: ``cart.engine``, ``cart.models``, ``cart.services`` (the catalog check
records its findings through them), ``core`` and ``ops``. Never ``cart.web`` or
``cart.api``.
"""
