-- Change one line: absolute quantity, delta (clamped), checked flag, acknowledged price.
-- Quantity 0 removes the line; the reply then carries its value before (`was`), for
-- the cart page's Undo.
-- ARGV[4] field, ARGV[5] quantity or "", ARGV[6] delta or "", ARGV[7] checked "1"/"0"/"",
-- ARGV[8] current price to acknowledge or "", ARGV[9] its currency, ARGV[10] max quantity.
local field, max_quantity = ARGV[4], tonumber(ARGV[10])

local was = redis.call('HGET', cart_key, field)
if not was then
  return reply({err = 'line_not_found'})
end
local line = line_decode(was)
if ARGV[5] ~= '' then
  line.q = tonumber(ARGV[5])
end
if ARGV[6] ~= '' then
  line.q = math.min(math.max(line.q + tonumber(ARGV[6]), 0), max_quantity)
end
if ARGV[7] ~= '' then
  line.c = tonumber(ARGV[7])
end
if ARGV[8] ~= '' then
  line.p = ARGV[8]
  line.cu = ARGV[9]
end
if line.q == 0 then
  commit({{field, false}})
  return reply({version = version, removed = true, was = was})
end
commit({{field, line}})
return reply({version = version, line = line})
