-- Read one stream through its consumer group in one call: the number of entries already
-- pending (delivered, not acknowledged: their retry is due to someone), the entries
-- claimed back from consumers idle longer than ARGV[4] ms (0: none), and up to ARGV[3]
-- new entries. A stream that does not exist yet answers three empties; the group is
-- created on first read, from id 0 so nothing written before it is skipped.
-- KEYS[1] stream; ARGV: group, consumer, count, claim idle ms
local stream, group, consumer, count, claim_idle = KEYS[1], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if redis.call('EXISTS', stream) == 0 then
  return {0, {}, {}}
end
local summary = redis.pcall('XPENDING', stream, group)
if summary.err then
  redis.call('XGROUP', 'CREATE', stream, group, '0')
  summary = redis.call('XPENDING', stream, group)
end
local claimed = {}
if claim_idle > 0 and summary[1] > 0 then
  claimed = redis.call('XAUTOCLAIM', stream, group, consumer, claim_idle, '0-0', 'COUNT', count)[2]
end
local new = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'STREAMS', stream, '>')
return {summary[1], claimed, new and new[1][2] or {}}
