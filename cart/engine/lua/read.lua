-- Read a cart for a request, after the request gate (ops/redis_scripts/_gate.lua).
-- KEYS[1] cart hash. ARGV[1] TTL in ms.
-- Replies the flat HGETALL (empty, and no token taken, when the cart is not loaded),
-- or the gate's JSON refusal.
local cart = redis.call('HGETALL', KEYS[1])
if #cart == 0 then
  return cart
end
local wait = gate_take()
if wait > 0 then
  return cjson.encode({err = 'throttled', wait_ms = wait})
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return cart
