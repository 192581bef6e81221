-- The user's cache of token digests (accounts.keys.token_digests_key).
-- KEYS[1] the hash. ARGV[1] "cache" or "revoke", ARGV[2] the digest, ARGV[3] (cache) the
-- entry's expiry in ms.
-- cache: add a token just verified in the database, unless it was revoked meanwhile (a
-- logout between that read and this write must win). Replies 1, or 0 when revoked.
-- revoke: mark the token revoked for every process at once.
-- Either way, entries long expired or revoked are dropped, so the hash stays as small
-- as the user's live devices, and the hash lives as long as its longest entry.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
-- Long enough that no request still verifying the token in the database can outlive it.
local keep_revoked_ms = 600000
local key, action, digest = KEYS[1], ARGV[1], ARGV[2]

local result = 1
if action == 'cache' then
  local current = redis.call('HGET', key, digest)
  if current and string.sub(current, 1, 1) == 'r' then
    result = 0
  else
    redis.call('HSET', key, digest, ARGV[3])
  end
else
  redis.call('HSET', key, digest, 'r' .. now)
end

local last = now + keep_revoked_ms
local entries = redis.call('HGETALL', key)
for i = 1, #entries, 2 do
  local value = entries[i + 1]
  local until_ms
  if string.sub(value, 1, 1) == 'r' then
    until_ms = tonumber(string.sub(value, 2)) + keep_revoked_ms
  else
    until_ms = tonumber(value)
  end
  if until_ms < now then
    redis.call('HDEL', key, entries[i])
  elseif until_ms > last then
    last = until_ms
  end
end
redis.call('PEXPIREAT', key, last)
return result
