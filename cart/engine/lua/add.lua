-- Add `quantity` of a line; an existing line grows, capped at the maximum.
-- ARGV[4] field "<item_id>:<sku_id>", ARGV[5] quantity, ARGV[6] max lines, ARGV[7] max quantity,
-- ARGV[8] the status a new line is born with, ARGV[9] its price at add ("" = not known)
-- and ARGV[10] that price's currency: what the SKU caches hold, so a known SKU needs no
-- second change when its check comes back.
local field, quantity = ARGV[4], tonumber(ARGV[5])
local max_lines, max_quantity = tonumber(ARGV[6]), tonumber(ARGV[7])
local status, price, currency = ARGV[8], ARGV[9], ARGV[10]

local line = get_line(field)
local capped = false
if line then
  capped = grow(line, quantity, max_quantity, status)
else
  if line_count() >= max_lines then
    idem_done('Ecart_full')
    return reply({err = 'cart_full'})
  end
  line = {q = math.min(quantity, max_quantity), c = 1, s = status, a = now}
  queue_check({field})
end
if line.p == nil and price ~= '' then
  line.p = price
  line.cu = currency
end
commit({{field, line}})
idem_done((capped and 'K' or 'L') .. line_encode(line))
return reply({version = version, line = line, capped = capped})
