-- Remove the consumers of a stream's group that hold nothing and have been idle longer
-- than ARGV[2] ms: what a worker that restarted (a new name: host and pid) leaves behind.
-- KEYS[1] the stream, ARGV[1] the group. Replies how many it removed.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then
  return 0  -- no such group on this stream yet
end
local removed = 0
for _, flat in ipairs(consumers) do
  local info = {}
  for i = 1, #flat, 2 do
    info[flat[i]] = flat[i + 1]
  end
  if tonumber(info['pending']) == 0 and tonumber(info['idle']) > tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    removed = removed + 1
  end
end
return removed
