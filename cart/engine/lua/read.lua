-- Read a cart for a request, after the request gate (ops/redis_scripts/_gate.lua).
-- KEYS[1] cart hash, KEYS[2] the saved-for-later lines (their TTL follows the cart's).
-- ARGV[1] TTL in ms, ARGV[2] the version this process already holds
-- the cart at ("" = none).
-- Replies the flat HGETALL (empty, and no token taken, when the cart is not loaded);
-- {"same": 1} when the cart is still at the version held, without its lines (a device
-- polling an unchanged cart moves no lines through Lua or the network); or the gate's
-- JSON refusal.
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
if version == ARGV[2] then
  return cjson.encode({same = 1})
end
return redis.call('HGETALL', KEYS[1])
