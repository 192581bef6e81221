-- A line's value, format 2 (the legend is in cart/engine/codec.py; the code tables
-- LINE_EPOCH_MS, STATUS_CODE, CURRENCY_CODE and their inverses are prepended from there).
-- A line is handled here as a table {q, c, s, a, t, v, p, cu} with full status and
-- currency names and epoch milliseconds, as format 1 stored it.

local function line_decode(raw)
  if string.byte(raw, 1) == 123 then -- '{': written before format 2; rewritten when it changes
    local line = cjson.decode(raw)
    line.c, line.v = line.c or 1, line.v or 0
    line.t = line.t or line.a
    return line
  end
  local q, c, s, a, v, dt, p, cu = string.match(raw, '^(%d+),(%d)(%a),(%-?%d+),(%-?%d+),(%-?%d+),([^,]*),(.*)$')
  local line = {q = tonumber(q), c = tonumber(c), s = STATUS_OF_CODE[s] or 'unknown',
                a = tonumber(a) + LINE_EPOCH_MS, v = tonumber(v) + LINE_EPOCH_MS}
  line.t = line.v - tonumber(dt)
  if p ~= '' then
    line.p = p
    line.cu = CURRENCY_OF_CODE[cu] or cu
  end
  return line
end

local function line_encode(line)
  local price, currency = '', ''
  if line.p then
    price = line.p
    currency = CURRENCY_CODE[line.cu] or line.cu or ''
  end
  return string.format('%d,%d%s,%d,%d,%d,%s,%s', line.q, line.c, STATUS_CODE[line.s] or 'u',
                       line.a - LINE_EPOCH_MS, line.v - LINE_EPOCH_MS, line.v - line.t, price, currency)
end
