-- Add `quantity` of a line; an existing line grows, capped at the maximum.
-- ARGV[4] field "<item_id>:<sku_id>", ARGV[5] quantity, ARGV[6] max lines, ARGV[7] max quantity.
local field, quantity = ARGV[4], tonumber(ARGV[5])
local max_lines, max_quantity = tonumber(ARGV[6]), tonumber(ARGV[7])

local line = get_line(field)
local capped = false
if line then
  local wanted = line.q + quantity
  if wanted > max_quantity then
    capped = true
    wanted = max_quantity
  end
  line.q = wanted
else
  if line_count() >= max_lines then
    return reply({err = 'cart_full'})
  end
  line = {q = math.min(quantity, max_quantity), c = 1, s = 'unknown', a = now}
  queue_check({field})
end
commit({{field, line}})
return reply({version = version, line = line, capped = capped})
