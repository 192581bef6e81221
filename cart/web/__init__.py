"""The shopper's pages: product list, product and cart pages, and the guest cart.

Owns the page views and URLs (``views``, ``urls``), their forms (``forms``), the guest
cart kept in a signed cookie (``guest``), the one interface pages use whoever is
browsing (``shopper``) and the header's cart badge (``context_processors``).

May import: ``cart.services`` and ``cart.selectors`` (as the API does), ``cart.engine``
for line ids and status, ``catalog``, ``pricing``, ``core``. Never ``cart.api`` or
``cart.persistence``.
"""
