-- Load a cart read from MySQL into an empty key. Never overwrites a loaded cart.
-- KEYS[1] cart hash, KEYS[2] catalog-check stream, KEYS[3] saved-for-later lines.
-- ARGV[1] version stored in MySQL, ARGV[2] TTL in ms, ARGV[3] user id, ARGV[4..] field,
-- value pairs of the lines; a field "s<field>" is a saved line.
-- Lines never checked (status unknown) are queued for the catalog check again.
-- Replies with the version the cart now has, or 0 when it was already loaded.
local cart_key = KEYS[1]
if redis.call('HEXISTS', cart_key, '_v') == 1 then
  return 0
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
-- MySQL may lag behind versions Redis served before it lost the cart; the clock does not.
local version = math.max(tonumber(ARGV[1]), now)
-- Drop any partial leftovers (a hash without _v is never a cart; saved lines are loaded
-- with their cart, never without it).
redis.call('DEL', cart_key, KEYS[3])
local unchecked, cart, saved = {}, {'_v', version}, {}
for n = 4, #ARGV, 2 do
  if string.byte(ARGV[n], 1) == 115 then -- 's'
    saved[#saved + 1] = string.sub(ARGV[n], 2)
    saved[#saved + 1] = ARGV[n + 1]
  else
    cart[#cart + 1] = ARGV[n]
    cart[#cart + 1] = ARGV[n + 1]
  end
  -- Status "unknown": code u in format 2, or format 1's JSON.
  if string.find(ARGV[n + 1], '^%d+,%du,') or string.find(ARGV[n + 1], '"s":"unknown"', 1, true) then
    unchecked[#unchecked + 1] = ARGV[n]
  end
end
if #unchecked > 0 then
  redis.call('XADD', KEYS[2], '*', 'u', ARGV[3], 'f', table.concat(unchecked, ','))
end
redis.call('HSET', cart_key, unpack(cart))
redis.call('PEXPIRE', cart_key, tonumber(ARGV[2]))
if #saved > 0 then
  redis.call('HSET', KEYS[3], unpack(saved))
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[2]))
end
return version
