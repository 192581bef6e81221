-- Check or uncheck every line, or the listed ones (unknown ids are ignored). Replies with
-- the status JSON followed by the whole cart as HGETALL would give it.
-- ARGV[4] "1"/"0", ARGV[5] JSON list of fields, or "" for every line.
local checked = tonumber(ARGV[4])
local wanted = nil
if ARGV[5] ~= '' then
  wanted = {}
  for _, field in ipairs(cjson.decode(ARGV[5])) do
    wanted[field] = true
  end
end

local changes = {}
local fields = redis.call('HGETALL', cart_key)
for n = 1, #fields, 2 do
  local field = fields[n]
  if field ~= '_v' and (wanted == nil or wanted[field]) then
    local line = line_decode(fields[n + 1])
    if line.c ~= checked then
      line.c = checked
      changes[#changes + 1] = {field, line}
    end
  end
end
if #changes == 0 then
  version = tonumber(current)
else
  commit(changes)
end
local out = whole_cart()
table.insert(out, 1, reply({version = version, changed = #changes}))
return out
