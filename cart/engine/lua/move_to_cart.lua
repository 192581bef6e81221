-- Move a saved line back into the cart, grown as an add would grow it: an existing cart
-- line gains its quantity (capped at the maximum); otherwise a new line is born, checked,
-- keeping the saved line's price at add (so a price change since stays visible).
-- ARGV[4] field, ARGV[5] max lines, ARGV[6] max quantity, ARGV[7] the status the SKU
-- data held now gives ("unknown": keep the saved line's), ARGV[8] its price ("" = not
-- known) and ARGV[9] that price's currency.
local field, max_lines, max_quantity = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local status, price, currency = ARGV[7], ARGV[8], ARGV[9]
local saved = get_saved(field)
if not saved then
  return reply({err = 'line_not_found'})
end
if status == 'unknown' then
  status = saved.s
end
local line = get_line(field)
local capped = false
if line then
  capped = grow(line, saved.q, max_quantity, status)
else
  if line_count() >= max_lines then
    return reply({err = 'cart_full'})
  end
  line = {q = math.min(saved.q, max_quantity), c = 1, s = status, a = now, p = saved.p, cu = saved.cu}
  queue_check({field})
end
if line.p == nil and price ~= '' then
  line.p = price
  line.cu = currency
end
commit({{field, line}, {field, false, true}})
return reply({version = version, line = line, capped = capped})
