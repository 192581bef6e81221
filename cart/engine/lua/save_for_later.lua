-- Move a cart line to the saved-for-later list, whole, in one step: its quantity replaces
-- any saved copy; its status and price at add go with it. The saved line's added-at is
-- the moment it was saved.
-- ARGV[4] field, ARGV[5] the most lines the list holds.
local field, max_saved = ARGV[4], tonumber(ARGV[5])
local line = get_line(field)
if not line then
  return reply({err = 'line_not_found'})
end
if redis.call('HEXISTS', saved_key, field) == 0 and redis.call('HLEN', saved_key) >= max_saved then
  return reply({err = 'saved_full'})
end
local saved = {q = line.q, c = 0, s = line.s, a = now, p = line.p, cu = line.cu}
commit({{field, false}, {field, saved, true}})
return reply({version = version, saved = saved})
