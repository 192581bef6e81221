-- Lease part of a global budget to one process, or take back what it did not use.
-- KEYS[1] the endpoint class's global bucket, KEYS[2] the decision counters of a window,
-- KEYS[3] the processes that leased lately (name → time).
-- ARGV[1] global rate /s, ARGV[2] global burst, ARGV[3] tokens wanted (negative: given
-- back), ARGV[4] how long to keep the counters (s), ARGV[5] the process's name, then
-- pairs of counter field, count: the process's decisions since its last lease, counted
-- here for the load monitor.
-- Replies {tokens granted, processes that leased in the last 2 s}: the caller sizes its
-- next leases by its share. Tokens granted: what was asked for while the bucket has it; when
-- it has less (the class is at its limit), half of what is left, so the next process to
-- lease finds some too and no process is starved by the timing of its leases.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local rate, burst, wanted = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])

redis.call('ZADD', KEYS[3], now, ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 2000)
redis.call('PEXPIRE', KEYS[3], 60000)
local processes = redis.call('ZCARD', KEYS[3])

for i = 6, #ARGV, 2 do
  local count = tonumber(ARGV[i + 1])
  if redis.call('HINCRBY', KEYS[2], ARGV[i], count) == count then
    redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
  end
end

local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local level = burst
if state[1] then
  level = math.min(burst, tonumber(state[1]) + (now - tonumber(state[2])) * rate / 1000)
end
local granted = 0
if wanted > 0 then
  if wanted <= level then
    granted = wanted
  else
    granted = math.max(0, math.ceil(math.floor(level) / 2))
  end
  level = level - granted
else
  level = math.min(burst, level - wanted)
end
redis.call('HSET', KEYS[1], 'tokens', level, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 60000)
return {granted, processes}
