-- Delete a saved line. Deleting one that is not there changes nothing (no new version).
-- ARGV[4] field.
local field = ARGV[4]
if redis.call('HEXISTS', saved_key, field) == 0 then
  return reply({version = tonumber(current), removed = false})
end
commit({{field, false, true}})
return reply({version = version, removed = true})
