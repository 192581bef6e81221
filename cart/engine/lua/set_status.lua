-- Record the catalog check of lines: status, and the price at add when not yet known.
-- Never brings back a removed line, never touches quantity or checked.
-- ARGV[4] JSON list of {f = field, s = status, p = price or absent, cu = currency}; a
-- field "s<field>" is a saved-for-later line.
-- Replies with the lines it changed.
local changes = {}
for _, check in ipairs(cjson.decode(ARGV[4])) do
  local field, saved = check.f, string.byte(check.f, 1) == 115 -- 's'
  local line
  if saved then
    field = string.sub(field, 2)
    line = get_saved(field)
  else
    line = get_line(field)
  end
  if line then
    local changed = false
    if line.s ~= check.s then
      line.s = check.s
      changed = true
    end
    if line.p == nil and check.p ~= nil then
      line.p = check.p
      line.cu = check.cu
      changed = true
    end
    if changed then
      changes[#changes + 1] = {field, line, saved}
    end
  end
end
if #changes == 0 then
  return reply({version = tonumber(current), changed = 0})
end
commit(changes)
return reply({version = version, changed = #changes})
