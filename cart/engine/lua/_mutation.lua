-- Prelude of every cart mutation (prepended at load time, after the request gate,
-- ops/redis_scripts/_gate.lua, which has removed its own ARGV[1] and set `now`, the line
-- codec and the idempotency records' functions).
--
-- KEYS[1] cart hash, KEYS[2] persistence stream, KEYS[3] dirty index, KEYS[4] the stream
-- of lines waiting for a catalog check, KEYS[5] the user's change channel (multi-device
-- sync), KEYS[6] the user's idempotency records, KEYS[7] the user's saved-for-later
-- lines (all in the user's hash slot).
-- ARGV[1] user id, ARGV[2] expected cart version ("" = any), ARGV[3] TTL in ms,
-- ARGV[4] the request's Idempotency-Key as "<key id> <fingerprint>" ("" = none), removed
-- here: the script's own arguments start at ARGV[4].
--
-- Replies are JSON: {"err": code, ...}, {"replay": ...} (a keyed request seen before),
-- or the script's result with "version".

local cart_key, log_key, dirty_key, check_key, channel = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local idem_key, saved_key = KEYS[6], KEYS[7]
local user_id, expected, ttl_ms = ARGV[1], ARGV[2], tonumber(ARGV[3])
local idem_kid, idem_fp = string.match(table.remove(ARGV, 4), '^(%x+) (%x+)$')

local function reply(t)
  return cjson.encode(t)
end

-- A cart that is not loaded has no _v. Refuse to write it: a partial hash must never
-- pass for a whole cart. The caller loads it from MySQL and tries again.
local current = redis.call('HGET', cart_key, '_v')
if not current then
  return reply({err = 'not_loaded'})
end
-- The caller's rate limit: taken only now that the script will do its work.
local wait = gate_take()
if wait > 0 then
  return reply({err = 'throttled', wait_ms = wait})
end
-- A keyed request seen before gets its recorded answer, whatever the cart's version is now.
if idem_kid then
  local found = idem_find(idem_key, idem_kid, idem_fp)
  if found then
    return reply(found)
  end
end
-- Record this request's answer under its key, if it came with one.
local function idem_done(payload)
  if idem_kid then
    idem_put(idem_key, idem_kid, idem_fp, payload)
  end
end
if expected ~= '' and expected ~= current then
  return reply({err = 'version_mismatch', current_version = tonumber(current)})
end

-- Versions follow the clock in milliseconds and step by one within a millisecond, so a
-- cart reloaded from MySQL after Redis lost it (loaded at max(db version, now)) never
-- shows a version lower than one already served.
local version = math.max(tonumber(current) + 1, now)

local function line_count()
  return redis.call('HLEN', cart_key) - 1
end

local function line_in(key, field)
  local raw = redis.call('HGET', key, field)
  if raw then
    return line_decode(raw)
  end
  return nil
end

local function get_line(field)
  return line_in(cart_key, field)
end

-- A saved-for-later line (same value format; never checked), or nil.
local function get_saved(field)
  return line_in(saved_key, field)
end

-- Grow an existing line by `quantity`, capped at `max_quantity`; a line still waiting for
-- its check learns `status`, what is known now, as the check would. Returns whether
-- the quantity was capped.
local function grow(line, quantity, max_quantity, status)
  local wanted = line.q + quantity
  line.q = math.min(wanted, max_quantity)
  if line.s == 'unknown' then
    line.s = status
  end
  return wanted > max_quantity
end

-- Rolling upgrade: a cart still holding format 1 lines is a hashtable (their values are
-- over 64 bytes), and Redis never turns a hash back into a listpack by itself. Its first
-- change after the upgrade rewrites it whole in format 2, into a new hash that Redis
-- builds compact. A cart that is a hashtable for another reason (a Redis configured
-- below the shipped limits, which /readyz reports) is left as it is: nothing to gain.
local function compact_cart()
  if redis.call('OBJECT', 'ENCODING', cart_key) ~= 'hashtable' then
    return
  end
  local flat = redis.call('HGETALL', cart_key)
  local rewritten = false
  for n = 2, #flat, 2 do
    if string.byte(flat[n], 1) == 123 then
      flat[n] = line_encode(line_decode(flat[n]))
      rewritten = true
    end
  end
  if rewritten then
    redis.call('DEL', cart_key)
    redis.call('HSET', cart_key, unpack(flat))
  end
end

-- Apply changes ({field, line} or {field, false} for a removal; a third element true:
-- the change is to the saved-for-later list), bump the version and append the absolute
-- state of every changed line to the persistence stream, all in this one atomic call:
-- there is no second write that could be lost. Saved lines travel as field "s<field>".
local function commit(changes)
  local message = {}
  for n, change in ipairs(changes) do
    local field, line, saved = change[1], change[2], change[3]
    local key, name = cart_key, field
    if saved then
      key, name = saved_key, 's' .. field
    end
    if line then
      line.v = version
      line.t = now
      local value = line_encode(line)
      redis.call('HSET', key, field, value)
      message[n] = name .. ',' .. value
    else
      redis.call('HDEL', key, field)
      -- A removal travels as quantity 0.
      message[n] = name .. ',' .. line_encode({q = 0, c = 0, s = 'unknown', a = now, t = now, v = version})
    end
  end
  redis.call('HSET', cart_key, '_v', version)
  compact_cart()
  redis.call('PEXPIRE', cart_key, ttl_ms)
  -- The saved lines live and expire with the cart (no-op when there are none).
  redis.call('PEXPIRE', saved_key, ttl_ms)
  -- No time of its own: the changed lines' updated-at is the time of the change.
  redis.call('XADD', log_key, '*', 'u', user_id, 'v', version, 'c', table.concat(message, ';'))
  redis.call('ZADD', dirty_key, now, user_id)
  -- Every device of the user hears of the change; it reloads if it is behind.
  redis.call('PUBLISH', channel, cjson.encode({version = version}))
end

-- Queue new lines for the asynchronous catalog check (exists, active, in stock, price),
-- in the same call as the change: no request ever waits for the catalog.
local function queue_check(fields)
  if #fields > 0 then
    redis.call('XADD', check_key, '*', 'u', user_id, 'f', table.concat(fields, ','))
  end
end

-- Flat HGETALL of the cart, for scripts that reply with the whole cart.
local function whole_cart()
  return redis.call('HGETALL', cart_key)
end
