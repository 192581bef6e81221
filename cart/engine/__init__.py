"""The cart engine: each cart as one Redis hash, and every script that reads or changes it.

Owns the Redis key layout (``keys``), the line format (``lines``) and line status
(``status``), the Lua scripts (``lua/``) and their caller (``store``), cache-aside loading
of cold carts (``loading``), hot-cart copies in process memory (``hot``), the stream
readers that the background work consumes (``streams``), live versions for listening
devices (``sync``) and Idempotency-Key records (``idempotency``).

May import: ``cart.models``, ``catalog`` and ``pricing`` read models, ``core`` and
``ops`` platform code. Never the cart's services, web, API or persistence packages:
they are built on this one.
"""
