"""The cart app. Its packages, from the bottom up:

- ``cart.engine``: carts in Redis (keys, lines, Lua scripts, loading, hot copies).
- ``services`` (every write) and ``selectors`` (every read): what the pages, the API and
  the background work call; ``sharing``, ``validity`` and ``checkout`` beside them.
- ``cart.persistence``: write-behind to the MySQL shards, reconciliation, replay,
  pre-warming, shard moves.
- ``cart.web`` (pages, guest cart) and ``cart.api`` (DRF): thin callers of services
  and selectors.
- ``tasks``: Celery entry points that call the above; ``admin``: staff views.

A package imports only the ones listed before it; ``make lint`` checks this.
"""
