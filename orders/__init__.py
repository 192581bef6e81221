"""Orders: checkout (real-time prices and stock, one order per idempotent form or key),
the placed orders, their pages, their API endpoint and their admin.

May import: ``cart`` (its services, selectors and engine: checkout reads the cart and
removes the bought lines), ``catalog``, ``pricing``, ``core``, ``ops``. The cart never
imports this app.
"""
