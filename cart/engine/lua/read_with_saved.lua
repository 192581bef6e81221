-- Read a cart and its saved lines together, as of one moment (reconciliation).
-- KEYS[1] cart hash, KEYS[2] saved lines. Replies {flat HGETALL of the cart, flat HGETALL
-- of the saved lines}; the first is empty when the cart is not loaded. No TTL refresh.
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
