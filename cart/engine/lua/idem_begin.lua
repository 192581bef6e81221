-- Look up an Idempotency-Key, and reserve it when it is new, for a request that is not
-- one script (checkout, sharing, the web's checkout form).
-- KEYS[1] the user's records. ARGV[1] key id, ARGV[2] fingerprint.
-- Replies {"new": 1} (reserved), {"replay": ...} or {"err": ...} (idem_find).
local found = idem_find(KEYS[1], ARGV[1], ARGV[2])
if found then
  return cjson.encode(found)
end
idem_put(KEYS[1], ARGV[1], ARGV[2], 'p')
return cjson.encode({new = 1})
