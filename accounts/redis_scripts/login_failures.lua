-- A bucket of login failures allowed to one username or one client address; it refills
-- at a steady rate, so a limit slows guessing down instead of locking anyone out for long.
-- KEYS[1] the bucket. ARGV[1] tokens per second, ARGV[2] burst, ARGV[3] 'take' (a failure
-- spends a token) or 'peek' (only read).
-- Replies 0 while a try is allowed, else the milliseconds until one is.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])

local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = burst
if state[1] then
  tokens = math.min(burst, tonumber(state[1]) + (now - tonumber(state[2])) * rate / 1000)
end
if ARGV[3] == 'take' then
  tokens = math.max(tokens - 1, -1)  -- a failure while refused pushes the next try back, by one token at most
  redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
  -- A bucket left alone is full again after (burst + 1) / rate: forget it then.
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst + 1) * 1000 / rate))
end
if tokens >= 1 then
  return 0
end
return math.ceil((1 - tokens) * 1000 / rate)
