/**
 * The Lua scripts behind the Redis leader lease. Each operation is one script, so Redis runs it
 * atomically: no other client sees the lease between reading and writing it. Time is Redis
 * `TIME`, never the caller's clock, so candidates with skewed clocks agree on who is live.
 * (Since Redis 5 scripts replicate their effects, not their code, so reading `TIME` before
 * writing is allowed and replicas see the same values.)
 *
 * Keys of one lease, all sharing the `{name}` hash tag so they live in one Redis Cluster slot:
 * - `holder`: hash `id`, `valor`, `token`, expiring after the TTL (PEXPIRE);
 * - `epoch`: the last token issued (INCR); never expires, so tokens are never reused;
 * - `candidates`: sorted set, member = candidate id, score = the Redis time its candidacy lapses;
 * - `valors`: hash, candidate id → valor.
 * The two candidate keys expire as a whole once every candidacy has lapsed.
 */

/** Functions shared by the scripts; prepended to each. */
const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Byte order, independent of the server's locale (Lua's < on strings uses strcoll).
local function id_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- Keeps a key alive at least ms from now (-1 = no expiry yet, -2 = absent: both lower).
local function keep_alive(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end

local function register(cand_key, valor_key, id, valor, now, candidacy)
  redis.call('ZADD', cand_key, now + candidacy, id)
  redis.call('HSET', valor_key, id, valor)
  keep_alive(cand_key, candidacy)
  keep_alive(valor_key, candidacy)
end

local function prune(cand_key, valor_key, now)
  local dead = redis.call('ZRANGEBYSCORE', cand_key, '-inf', now)
  if #dead > 0 then
    redis.call('ZREM', cand_key, unpack(dead))
    redis.call('HDEL', valor_key, unpack(dead))
  end
end

-- The best live candidate: highest valor, then lowest id.
local function preferred(cand_key, valor_key)
  local ids = redis.call('ZRANGE', cand_key, 0, -1)
  if #ids == 0 then return nil, nil end
  local valors = redis.call('HMGET', valor_key, unpack(ids))
  local best_id, best_valor = nil, nil
  for i, id in ipairs(ids) do
    local v = tonumber(valors[i])
    if v and (best_id == nil or v > best_valor or (v == best_valor and id_less(id, best_id))) then
      best_id, best_valor = id, v
    end
  end
  return best_id, best_valor
end
`;

/**
 * Campaign. KEYS: holder, epoch, candidates, valors. ARGV: id, valor, ttlMs, candidacyMs.
 * Returns `{outcome, token, id, valor}`: `held` (this candidate, `token`), `taken` (the holder)
 * or `deferred` (token 0; id and valor of the preferred live candidate).
 */
export const CAMPAIGN_SCRIPT = `${PRELUDE}
-- valor and token are stored as the decimal strings the client compares, never as Lua floats.
local id, valor = ARGV[1], ARGV[2]
local ttl, candidacy = tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()
register(KEYS[3], KEYS[4], id, valor, now, candidacy)
prune(KEYS[3], KEYS[4], now)
local h = redis.call('HMGET', KEYS[1], 'id', 'valor', 'token')
if h[1] then
  if h[1] == id then
    redis.call('PEXPIRE', KEYS[1], ttl)
    return {'held', tonumber(h[3]), h[1], tonumber(h[2])}
  end
  return {'taken', tonumber(h[3]), h[1], tonumber(h[2])}
end
local best_id, best_valor = preferred(KEYS[3], KEYS[4])
if best_id ~= id then return {'deferred', 0, best_id, best_valor} end
local token = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'id', id, 'valor', valor, 'token', string.format('%d', token))
redis.call('PEXPIRE', KEYS[1], ttl)
return {'held', token, id, tonumber(valor)}
`;

/**
 * Renew. KEYS: holder, candidates, valors. ARGV: id, token, valor, ttlMs, candidacyMs.
 * Returns 1 when the lease was still held with the token and is extended, else 0.
 */
export const RENEW_SCRIPT = `${PRELUDE}
local h = redis.call('HMGET', KEYS[1], 'id', 'token')
if h[1] ~= ARGV[1] or h[2] ~= ARGV[2] then return 0 end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
register(KEYS[2], KEYS[3], ARGV[1], ARGV[3], now_ms(), tonumber(ARGV[5]))
return 1
`;

/**
 * Release. KEYS: holder, candidates, valors. ARGV: id, token ('' for none), channel.
 * Withdraws the candidacy; deletes the lease and publishes the id on the channel if it was held
 * with the token. Returns 1 when deleted, else 0.
 */
export const RELEASE_SCRIPT = `
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if ARGV[2] == '' then return 0 end
local h = redis.call('HMGET', KEYS[1], 'id', 'token')
if h[1] ~= ARGV[1] or h[2] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[3], ARGV[1])
return 1
`;
