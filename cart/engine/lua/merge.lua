-- Merge lines (a guest cart, a shared snapshot) into the cart, atomically.
-- Existing lines take the larger quantity ("max") or the capped sum ("sum"); new lines
-- are added in the given order while there is room, the rest are skipped.
-- ARGV[4] policy, ARGV[5] JSON list of {f = field, q = quantity, c = 0/1 or absent,
-- s = the status a new line is born with, p/cu = its price at add or absent},
-- ARGV[6] max lines, ARGV[7] max quantity.
-- Replies with the status JSON followed by the whole cart.
local policy, entries = ARGV[4], cjson.decode(ARGV[5])
local max_lines, max_quantity = tonumber(ARGV[6]), tonumber(ARGV[7])

local changes, merged, skipped, added = {}, {}, {}, {}
local count = line_count()
for _, entry in ipairs(entries) do
  local line = get_line(entry.f)
  if line then
    local wanted = line.q
    if policy == 'sum' then
      wanted = math.min(line.q + entry.q, max_quantity)
    elseif entry.q > line.q then
      wanted = entry.q
    end
    if wanted > line.q then
      line.q = wanted
      changes[#changes + 1] = {entry.f, line}
      merged[#merged + 1] = {id = entry.f, action = 'raised', quantity = wanted}
    else
      merged[#merged + 1] = {id = entry.f, action = 'kept', quantity = line.q}
    end
  elseif count < max_lines then
    local checked = 1
    if entry.c ~= nil then
      checked = entry.c
    end
    line = {q = math.min(entry.q, max_quantity), c = checked, s = entry.s or 'unknown', a = now, p = entry.p,
            cu = entry.cu}
    -- Written now so a repeated id later in the list sees it.
    line.v, line.t = version, now
    redis.call('HSET', cart_key, entry.f, line_encode(line))
    count = count + 1
    changes[#changes + 1] = {entry.f, line}
    added[#added + 1] = entry.f
    merged[#merged + 1] = {id = entry.f, action = 'added', quantity = line.q}
  else
    skipped[#skipped + 1] = entry.f
  end
end
if #changes == 0 then
  version = tonumber(current)
else
  commit(changes)
  queue_check(added)
end
local out = whole_cart()
-- cjson encodes an empty table as {}; the client expects lists.
local status = reply({version = version, merged = merged, skipped = skipped})
status = string.gsub(status, '"merged":{}', '"merged":[]')
status = string.gsub(status, '"skipped":{}', '"skipped":[]')
table.insert(out, 1, status)
return out
