-- Prelude of every script a request sends on its user's behalf (prepended at load time):
-- in the same call as the operation, check the caller's API token and take one token from
-- the caller's own rate-limit bucket. One round trip per request, on one hash slot.
--
-- ARGV[1] is the gate, removed here, so each script's own arguments start at ARGV[1]:
--   ""                        no gate (background work, or the gate passed earlier in this request)
--   "<digest> <rate> <burst>" the token's digest must be a live field of KEYS[#KEYS - 1] (the
--                             user's token digests); then the bucket KEYS[#KEYS] gives a token
--   "- <rate> <burst>"        the caller is known already (session, older token): only the bucket
--   "<digest> - -"            only the token (no limit on this endpoint)
-- The gate's keys are the script's last KEYS, in the user's hash slot.
--
-- A refused token ends the script at once with {"err": "auth_unknown"} (no live entry:
-- the caller verifies the token where it is stored for good, caches it and calls again)
-- or {"err": "auth_revoked"}. The bucket is taken by gate_take(), which each script calls
-- once it knows it will do its work (a cart that is not loaded costs no token).

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local gate = table.remove(ARGV, 1)
local gate_bucket = nil
if gate ~= '' then
  local first = string.find(gate, ' ', 1, true)
  local second = string.find(gate, ' ', first + 1, true)
  local digest = string.sub(gate, 1, first - 1)
  local rate = tonumber(string.sub(gate, first + 1, second - 1))
  if digest ~= '-' then
    local entry = redis.call('HGET', KEYS[#KEYS - 1], digest)
    if not entry then
      return cjson.encode({err = 'auth_unknown'})
    end
    if string.sub(entry, 1, 1) == 'r' then
      return cjson.encode({err = 'auth_revoked'})
    end
    if tonumber(entry) <= now then
      return cjson.encode({err = 'auth_unknown'})
    end
  end
  if rate then
    gate_bucket = {KEYS[#KEYS], rate, tonumber(string.sub(gate, second + 1))}
  end
end

-- Take one token from the caller's bucket: 0 when taken, else the milliseconds until one is due.
local function gate_take()
  if not gate_bucket then
    return 0
  end
  local key, rate, burst = gate_bucket[1], gate_bucket[2], gate_bucket[3]
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local level = burst
  if state[1] then
    level = math.min(burst, tonumber(state[1]) + (now - tonumber(state[2])) * rate / 1000)
  end
  if level < 1 then
    return math.ceil((1 - level) * 1000 / rate)
  end
  redis.call('HSET', key, 'tokens', level - 1, 'at', now)
  -- An idle bucket is full again after burst / rate: forget it then.
  redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
  return 0
end
