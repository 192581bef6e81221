-- Put back a line the shopper just removed (the page's Undo) as it was: quantity,
-- selection, price at add and added-at, so it returns to its place in the list. A line
-- added again since is left as it is. The line is checked again like any new line.
-- ARGV[4] field, ARGV[5] quantity, ARGV[6] checked (1 or 0), ARGV[7] the status the SKU
-- data held now gives, ARGV[8] price at add ("" = not known), ARGV[9] its currency,
-- ARGV[10] added at (ms), ARGV[11] max lines.
local field = ARGV[4]
if redis.call('HEXISTS', cart_key, field) == 1 then
  return reply({version = tonumber(current), restored = false})
end
if line_count() >= tonumber(ARGV[11]) then
  return reply({err = 'cart_full'})
end
local line = {q = tonumber(ARGV[5]), c = tonumber(ARGV[6]), s = ARGV[7], a = tonumber(ARGV[10])}
if ARGV[8] ~= '' then
  line.p = ARGV[8]
  line.cu = ARGV[9]
end
queue_check({field})
commit({{field, line}})
return reply({version = version, line = line, restored = true})
