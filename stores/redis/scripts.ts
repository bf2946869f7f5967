/**
 * Lua scripts of the refresh-token store. Every key one script touches carries the user's
 * hash tag (`rt:{…}:`, and `sess:{…}:` for the sessions a rotation advances), so each script
 * runs on one Redis Cluster slot; the winner of a rotation is decided inside one script, never
 * by read-then-write from the client. A record whose `u` is not the caller's user is no token
 * of that user (a tag collision, or a jti presented under another `sub`).
 */
import { RedisScript } from './client';
import { ADVANCE_SESSION } from './session-scripts';

/** Helpers inlined into the scripts that need them. TAG is the user's `rt:{…}:`. */
const FAMILY = `
local function add_member(tag, family, jti, ttl)
  local members = tag .. 'm:' .. family
  redis.call('SADD', members, jti)
  if redis.call('TTL', members) < ttl then redis.call('EXPIRE', members, ttl) end
  local families = tag .. 'f'
  redis.call('SADD', families, family)
  if redis.call('TTL', families) < ttl then redis.call('EXPIRE', families, ttl) end
end
-- Every live token of the user in the family becomes revoked (active and rotated alike); the
-- jti and issue time ('' when unknown) of each one issued at or after since (nil: all) are
-- appended to listed.
local function revoke_family(tag, family, user, since, listed)
  for _, jti in ipairs(redis.call('SMEMBERS', tag .. 'm:' .. family)) do
    local key = tag .. 't:' .. jti
    local token = redis.call('HMGET', key, 'u', 's', 'i')
    if token[1] == user then
      if token[2] ~= 'revoked' then redis.call('HSET', key, 's', 'revoked') end
      local issued = tonumber(token[3] or '')
      if since == nil or issued == nil or issued >= since then
        listed[#listed + 1] = jti
        listed[#listed + 1] = token[3] or ''
      end
    end
  end
end
`;

/** KEYS: token. ARGV: user, family, ttl, jti, tag, issued at (epoch s). */
export const REGISTER = new RedisScript(`${FAMILY}
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 's', 'active', 'u', ARGV[1], 'f', ARGV[2], 'i', ARGV[6])
redis.call('EXPIRE', KEYS[1], ARGV[3])
add_member(ARGV[5], ARGV[2], ARGV[4], tonumber(ARGV[3]))
return 1`);

/**
 * KEYS: old token, new token. ARGV: new jti, ttl, now (epoch s), grace (s), tag, user,
 * planned family, session tag (or ''), session update json.
 * → {'rotated', user, family, now, session} | {'replayed', user, family, successor, rotatedAt}
 *   | {'reused', user, family} | {'revoked', user, family} | {'unknown'}
 * `session` of a rotation: 'skipped' (no session tag, or the family is not the planned one),
 * '' (the family has no live session) or the session's json after the advance.
 * The retired token keeps its own TTL, its successor and the rotation time, so a later
 * presentation is recognised: inside the grace with an unused successor it is a replay (the
 * same successor is the answer), otherwise reuse. A revoked token is only that (its session
 * ended), never reuse. The successor's issue time is `now`.
 */
export const ROTATE = new RedisScript(`${FAMILY}${ADVANCE_SESSION}
local state = redis.call('HGET', KEYS[1], 's')
if not state then return {'unknown'} end
local user = redis.call('HGET', KEYS[1], 'u')
if user ~= ARGV[6] then return {'unknown'} end
local family = redis.call('HGET', KEYS[1], 'f')
local now = tonumber(ARGV[3])
local tag = ARGV[5]
if state == 'revoked' then return {'revoked', user, family} end
if state ~= 'active' then
  if state == 'rotated' then
    local successor = redis.call('HGET', KEYS[1], 'n')
    local rotatedAt = tonumber(redis.call('HGET', KEYS[1], 'r') or '')
    local grace = tonumber(ARGV[4])
    if successor and rotatedAt and grace > 0 and now - rotatedAt <= grace
      and redis.call('HGET', tag .. 't:' .. successor, 's') == 'active' then
      return {'replayed', user, family, successor, tostring(rotatedAt)}
    end
  end
  return {'reused', user, family}
end
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 's', 'rotated', 'n', ARGV[1], 'r', ARGV[3])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 's', 'active', 'u', user, 'f', family, 'i', ARGV[3])
redis.call('EXPIRE', KEYS[2], ttl)
add_member(tag, family, ARGV[1], ttl)
local session = 'skipped'
if ARGV[8] ~= '' and family == ARGV[7] then
  session = advance_session(ARGV[8], family, now, ARGV[9]) or ''
end
return {'rotated', user, family, ARGV[3], session}`);

/** KEYS: token. ARGV: user. → 1 when an active token was revoked. */
export const REVOKE_ONE = new RedisScript(`
if redis.call('HGET', KEYS[1], 'u') == ARGV[1] and redis.call('HGET', KEYS[1], 's') == 'active' then
  redis.call('HSET', KEYS[1], 's', 'revoked')
  return 1
end
return 0`);

/**
 * KEYS: the family's members. ARGV: tag, family, user, issued since (epoch s, '' for all).
 * → {jti, issued at or '', …} of the listed tokens.
 */
export const REVOKE_FAMILY = new RedisScript(`${FAMILY}
local listed = {}
revoke_family(ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), listed)
return listed`);

/**
 * KEYS: the user's families. ARGV: tag, user, issued since (epoch s, '' for all).
 * → {jti, issued at or '', …} of the listed tokens.
 */
export const REVOKE_USER = new RedisScript(`${FAMILY}
local listed = {}
for _, family in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  revoke_family(ARGV[1], family, ARGV[2], tonumber(ARGV[3]), listed)
end
return listed`);

/** KEYS: token. ARGV: user. → its state, or false when it is no token of that user. */
export const TOKEN_STATE = new RedisScript(`
if redis.call('HGET', KEYS[1], 'u') ~= ARGV[1] then return false end
return redis.call('HGET', KEYS[1], 's')`);

/**
 * Claim a refresh token of the Python reference store (`rt:<jti>` = "1", SETEX): only a
 * string key holding "1" is taken, and it is deleted in the same script, so of concurrent
 * callers exactly one gets its TTL back. KEYS: legacy key. → remaining TTL in seconds (-1:
 * none), or false when there is nothing to claim.
 */
export const CLAIM_LEGACY = new RedisScript(`
if redis.call('TYPE', KEYS[1]).ok ~= 'string' then return false end
if redis.call('GET', KEYS[1]) ~= '1' then return false end
local ttl = redis.call('TTL', KEYS[1])
redis.call('DEL', KEYS[1])
return ttl`);

/**
 * A claimed legacy token joins our layout as the rotated first member of a new family, its
 * successor active: presented again it is a replay (inside the grace) or reuse, as any
 * rotated token. Both are recorded as issued `now`: the legacy token's real issue time is
 * unknown and earlier, so a revocation listing tokens issued since some time lists it rather
 * than miss it. KEYS: old token, new token. ARGV: user, family, old jti, its ttl, new jti,
 * ttl, now (epoch s), tag.
 */
export const ADOPT_LEGACY = new RedisScript(`${FAMILY}
redis.call('HSET', KEYS[1], 's', 'rotated', 'u', ARGV[1], 'f', ARGV[2], 'n', ARGV[5], 'r', ARGV[7], 'i', ARGV[7])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[2], 's', 'active', 'u', ARGV[1], 'f', ARGV[2], 'i', ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[6])
local ttl = math.max(tonumber(ARGV[4]), tonumber(ARGV[6]))
add_member(ARGV[8], ARGV[2], ARGV[3], ttl)
add_member(ARGV[8], ARGV[2], ARGV[5], ttl)
return 1`);

/** KEYS: legacy key. → 1 when it is a live token of the Python reference store (`"1"`). */
export const LEGACY_ACTIVE = new RedisScript(`
if redis.call('TYPE', KEYS[1]).ok ~= 'string' then return 0 end
if redis.call('GET', KEYS[1]) == '1' then return 1 end
return 0`);
