-- Settle a reservation of idem_begin.lua: record the reply's payload, or, with "", forget
-- the key (nothing was settled; a retry runs for real).
-- KEYS[1] the user's records. ARGV[1] key id, ARGV[2] fingerprint, ARGV[3] payload.
if ARGV[3] == '' then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
idem_put(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
return 1
