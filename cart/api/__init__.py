"""The cart's REST API (DRF): parse the request, call one service or selector, render.

Owns the cart, line, selection, merge, sharing, recommendation and live-update
endpoints, their serializers, presenters, OpenAPI shapes and HTTP preconditions
(``If-Match``, ``Idempotency-Key``), and the benchmark's floor endpoints.

May import: ``cart.services``, ``cart.selectors``, ``cart.sharing``, ``cart.engine``,
``accounts`` (token authentication), ``catalog``, ``core``, ``ops``. Never
``cart.web`` or ``cart.persistence``.
"""
