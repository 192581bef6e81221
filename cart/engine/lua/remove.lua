-- Remove a line. Removing a line that is not there changes nothing (no new version).
-- ARGV[4] field. The reply carries the removed line's value (`was`), for the cart
-- page's Undo.
local field = ARGV[4]
local was = redis.call('HGET', cart_key, field)
if not was then
  return reply({version = tonumber(current), removed = false})
end
commit({{field, false}})
return reply({version = version, removed = true, was = was})
