-- Remove several lines at once (the lines an order bought). Missing ones are ignored.
-- ARGV[4] JSON list of fields.
local changes = {}
for _, field in ipairs(cjson.decode(ARGV[4])) do
  if redis.call('HEXISTS', cart_key, field) == 1 then
    changes[#changes + 1] = {field, false}
  end
end
if #changes == 0 then
  return reply({version = tonumber(current), removed = 0})
end
commit(changes)
return reply({version = version, removed = #changes})
