-- The gate alone (after the prelude): for requests that check the token and the limit
-- before doing something that is not one script (other endpoints, an Idempotency-Key,
-- a request refused before its script ran).
local wait = gate_take()
if wait > 0 then
  return cjson.encode({err = 'throttled', wait_ms = wait})
end
return cjson.encode({ok = 1})
