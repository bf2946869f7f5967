/**
 * Lua scripts of the Redis session store. All keys of one user carry the user's hash tag,
 * so each script runs on one Redis Cluster slot. A session is one JSON string; the scripts
 * compare its `refreshExpiresAt` with the caller's clock (ARGV), the key TTL only cleans up.
 */
import { RedisScript } from './client';

/** Live session JSON at `key`, or false. ARGV-independent helper inlined into each script. */
const LIVE = `
local function live(key, now)
  local json = redis.call('GET', key)
  if not json then return false end
  local s = cjson.decode(json)
  if tonumber(s.refreshExpiresAt) <= now then return false end
  return json, s
end
local function forget(zkey, skey, fkey, id)
  redis.call('DEL', skey)
  redis.call('ZREM', zkey, id)
  if fkey and redis.call('GET', fkey) == id then redis.call('DEL', fkey) end
end
`;

/** KEYS: session, user index, family. ARGV: json, ttl, id, createdAt. */
export const CREATE = new RedisScript(`
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
if redis.call('TTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[2])
return 1`);

/**
 * `advance_session(tag, family, now, update)`: apply a rotation to the live session of
 * `family` (the keys under the user's `tag`, `sess:{…}:`); its keys then live until the new
 * refresh expiry. → the updated json, or false when the family has no live session. Shared by
 * ADVANCE and by the refresh store's ROTATE, which advances the session in the rotation itself.
 */
export const ADVANCE_SESSION = `${LIVE}
local function advance_session(tag, family, now, update)
  local fkey = tag .. 'f:' .. family
  local id = redis.call('GET', fkey)
  if not id then return false end
  local skey = tag .. 's:' .. id
  local json, s = live(skey, now)
  if not json then return false end
  local changes = cjson.decode(update)
  for k, v in pairs(changes) do s[k] = v end
  local ttl = math.max(1, tonumber(s.refreshExpiresAt) - now)
  local updated = cjson.encode(s)
  redis.call('SET', skey, updated, 'EX', ttl)
  redis.call('EXPIRE', fkey, ttl)
  local zkey = tag .. 'z'
  if redis.call('TTL', zkey) < ttl then redis.call('EXPIRE', zkey, ttl) end
  return updated
end
`;

/** KEYS: family, user index (both under the user's tag). ARGV: now, user tag, family, update json. → json or false. */
export const ADVANCE = new RedisScript(`${ADVANCE_SESSION}
return advance_session(ARGV[2], ARGV[3], tonumber(ARGV[1]), ARGV[4])`);

/** KEYS: session. ARGV: now. → json or false. */
export const GET = new RedisScript(`${LIVE}
local json = live(KEYS[1], tonumber(ARGV[1]))
return json`);

/** KEYS: family. ARGV: now, session key prefix. → json or false. */
export const GET_BY_FAMILY = new RedisScript(`${LIVE}
local id = redis.call('GET', KEYS[1])
if not id then return false end
local json = live(ARGV[2] .. id, tonumber(ARGV[1]))
return json`);

/** KEYS: user index. ARGV: now, session key prefix, limit. → live sessions, newest first. */
export const LIST = new RedisScript(`${LIVE}
local out = {}
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, 999)) do
  local json = live(ARGV[2] .. id, tonumber(ARGV[1]))
  if json then
    out[#out + 1] = json
    if #out >= tonumber(ARGV[3]) then break end
  elseif redis.call('EXISTS', ARGV[2] .. id) == 0 then
    redis.call('ZREM', KEYS[1], id)
  end
end
return out`);

/**
 * KEYS: session or family, user index. ARGV: now, session key prefix, family key prefix,
 * 'id' | 'family'. Ends one live session. → its json or false.
 */
export const END = new RedisScript(`${LIVE}
local id = ARGV[4] == 'family' and redis.call('GET', KEYS[1]) or nil
local skey = ARGV[4] == 'family' and (id and ARGV[2] .. id) or KEYS[1]
if not skey then return false end
local json, s = live(skey, tonumber(ARGV[1]))
if not json then return false end
forget(KEYS[2], skey, ARGV[3] .. s.familyId, s.id)
return json`);

/** KEYS: user index. ARGV: now, session key prefix, family key prefix. → the live sessions ended. */
export const END_ALL = new RedisScript(`${LIVE}
local out = {}
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, -1)) do
  local skey = ARGV[2] .. id
  local json, s = live(skey, tonumber(ARGV[1]))
  if json then
    out[#out + 1] = json
    forget(KEYS[1], skey, ARGV[3] .. s.familyId, id)
  else
    redis.call('DEL', skey)
  end
end
redis.call('DEL', KEYS[1])
return out`);
