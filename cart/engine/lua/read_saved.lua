-- Read the saved-for-later lines for a request, after the request gate
-- (ops/redis_scripts/_gate.lua). KEYS[1] cart hash, KEYS[2] saved lines. ARGV[1] TTL in ms.
-- Replies '_v', the cart's version, then the flat HGETALL of the saved lines (empty,
-- and no token taken, when the cart is not loaded: the saved lines load with it), or
-- the gate's JSON refusal.
local version = redis.call('HGET', KEYS[1], '_v')
if not version then
  return {}
end
local wait = gate_take()
if wait > 0 then
  return cjson.encode({err = 'throttled', wait_ms = wait})
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[1]))
local flat = redis.call('HGETALL', KEYS[2])
table.insert(flat, 1, version)
table.insert(flat, 1, '_v')
return flat
