-- The user's idempotency records (cart/engine/idempotency.py has the layout): one hash
-- per user in the user's hash slot, holding the last IDEM_KEEP keyed requests of the
-- last day. Needs `now` (the gate's prelude) and LINE_EPOCH_MS (the line codec's tables).
local IDEM_KEEP, IDEM_DAY_S, IDEM_PENDING_S = 32, 86400, 30

local function idem_now_s()
  return math.floor((now - LINE_EPOCH_MS) / 1000)
end

-- What a request with key `kid` and fingerprint `fp` meets: nil when the key is new (or
-- forgotten), else {err = ...} or {replay = payload}.
local function idem_find(key, kid, fp)
  local record = redis.call('HGET', key, kid)
  if not record then
    return nil
  end
  local _, t, known_fp, payload = string.match(record, '^(%d+),(%d+),(%x+),(.*)$')
  local age = idem_now_s() - tonumber(t)
  local pending = payload == 'p'
  if age > IDEM_DAY_S or (pending and age > IDEM_PENDING_S) then
    return nil -- a crashed request's reservation, or a key older than a day: forgotten
  end
  if known_fp ~= fp then
    return {err = 'idempotency_key_reused'}
  end
  if pending then
    return {err = 'request_in_progress'}
  end
  return {replay = payload}
end

-- Record the payload a request's reply is rebuilt from ("p" while the request runs).
-- A new key takes the next of IDEM_KEEP slots and evicts the key that held it.
local function idem_put(key, kid, fp, payload)
  local slot = nil
  local existing = redis.call('HGET', key, kid)
  if existing then
    slot = string.match(existing, '^(%d+),')
  else
    slot = tostring(redis.call('HINCRBY', key, '_n', 1) % IDEM_KEEP)
    local evicted = redis.call('HGET', key, '#' .. slot)
    if evicted then
      local old = redis.call('HGET', key, evicted)
      -- Only if that key still sits in this slot (it may have been forgotten and recorded anew).
      if old and string.match(old, '^(%d+),') == slot then
        redis.call('HDEL', key, evicted)
      end
    end
    redis.call('HSET', key, '#' .. slot, kid)
  end
  redis.call('HSET', key, kid, string.format('%s,%d,%s,%s', slot, idem_now_s(), fp, payload))
  redis.call('PEXPIRE', key, IDEM_DAY_S * 1000)
end
