-- Take one token from a user's bucket and from a global bucket, or neither.
-- KEYS[1] the user's bucket, KEYS[2] the global bucket, KEYS[3] the decision counters of
-- this time window (all in one hash slot).
-- ARGV[1] user rate /s, ARGV[2] user burst, ARGV[3] global rate /s, ARGV[4] global burst,
-- ARGV[5] how long to keep the counters, in seconds.
-- Replies 0 when allowed, else the milliseconds until a token is due in the emptier bucket.
-- With a KEYS[4] (on one server only: it is in another slot), replies {that, GET KEYS[4]}:
-- token authentication reads the caller's token entry in the same call.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local function reply(wait)
  if KEYS[4] then
    return {wait, redis.call('GET', KEYS[4])}
  end
  return wait
end

local function level(key, rate, burst)
  local state = redis.call('HMGET', key, 'tokens', 'at')
  local tokens, at = tonumber(state[1]), tonumber(state[2])
  if tokens == nil then
    return burst
  end
  return math.min(burst, tokens + (now - at) * rate / 1000)
end

local buckets = {
  {KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])},
  {KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4])},
}
local wait, global_empty = 0, false
for i, bucket in ipairs(buckets) do
  bucket[4] = level(bucket[1], bucket[2], bucket[3])
  if bucket[4] < 1 then
    wait = math.max(wait, math.ceil((1 - bucket[4]) * 1000 / bucket[2]))
    global_empty = global_empty or i == 2
  end
end
-- Counted here, where the decision is made, for the load monitor (ops.load_monitor).
-- Refusals of the global bucket are counted apart: they say the store is strained,
-- where a user's own empty bucket only says that one client is too fast.
-- The window's key is new (or has a new field) once or twice per window: only then does
-- it need its expiry.
if redis.call('HINCRBY', KEYS[3], wait > 0 and 'rejected' or 'allowed', 1) == 1 then
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[5]))
end
if global_empty then
  redis.call('HINCRBY', KEYS[3], 'rejected_global', 1)
end
if wait > 0 then
  return reply(wait)
end
for _, bucket in ipairs(buckets) do
  redis.call('HSET', bucket[1], 'tokens', bucket[4] - 1, 'at', now)
  -- Idle buckets are full again after burst / rate: forget them then.
  redis.call('PEXPIRE', bucket[1], math.ceil(bucket[3] * 1000 / bucket[2]) + 1000)
end
return reply(0)
