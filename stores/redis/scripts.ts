/**
 * Lua scripts of the refresh-token store. Every key one script touches carries the family's
 * hash tag (`{…}`), so each script runs on one Redis Cluster slot; the winner of a rotation
 * is decided inside one script, never by read-then-write from the client.
 */
import { RedisScript } from './client';

/** KEYS: token, members. ARGV: user, family, ttl, jti. */
export const REGISTER = new RedisScript(`
redis.call('HSET', KEYS[1], 's', 'active', 'u', ARGV[1], 'f', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
if redis.call('TTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return 1`);

/**
 * KEYS: old token, new token, members. ARGV: new jti, ttl, now (epoch s), grace (s), token key
 * prefix of the family.
 * → {'rotated', user, family, now} | {'replayed', user, family, successor, rotatedAt}
 *   | {'reused', user, family} | {'unknown'}
 * The retired token keeps its own TTL, its successor and the rotation time, so a later
 * presentation is recognised: inside the grace with an unused successor it is a replay (the
 * same successor is the answer), otherwise reuse.
 */
export const ROTATE = new RedisScript(`
local state = redis.call('HGET', KEYS[1], 's')
if not state then return {'unknown'} end
local user = redis.call('HGET', KEYS[1], 'u')
local family = redis.call('HGET', KEYS[1], 'f')
local now = tonumber(ARGV[3])
if state ~= 'active' then
  if state == 'rotated' then
    local successor = redis.call('HGET', KEYS[1], 'n')
    local rotatedAt = tonumber(redis.call('HGET', KEYS[1], 'r') or '')
    local grace = tonumber(ARGV[4])
    if successor and rotatedAt and grace > 0 and now - rotatedAt <= grace
      and redis.call('HGET', ARGV[5] .. successor, 's') == 'active' then
      return {'replayed', user, family, successor, tostring(rotatedAt)}
    end
  end
  return {'reused', user, family}
end
redis.call('HSET', KEYS[1], 's', 'rotated', 'n', ARGV[1], 'r', ARGV[3])
redis.call('HSET', KEYS[2], 's', 'active', 'u', user, 'f', family)
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
if redis.call('TTL', KEYS[3]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[3], ARGV[2]) end
return {'rotated', user, family, ARGV[3]}`);

/** KEYS: token. → 1 when an active token was revoked. */
export const REVOKE_ONE = new RedisScript(`
if redis.call('HGET', KEYS[1], 's') == 'active' then
  redis.call('HSET', KEYS[1], 's', 'revoked')
  return 1
end
return 0`);

/** KEYS: members. ARGV: token key prefix of the family. → how many were active. */
export const REVOKE_FAMILY = new RedisScript(`
local revoked = 0
for _, jti in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. jti
  if redis.call('HGET', key, 's') == 'active' then
    redis.call('HSET', key, 's', 'revoked')
    revoked = revoked + 1
  end
end
return revoked`);

/** KEYS: any key. ARGV: value, ttl. SET with EX. */
export const SET_EX = new RedisScript(
  `redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1`,
);

/** KEYS: set. ARGV: member, ttl. SADD and extend the TTL, never shorten it. */
export const ADD_TO_SET = new RedisScript(`
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1`);

/** KEYS: set. → its members. */
export const MEMBERS = new RedisScript(`return redis.call('SMEMBERS', KEYS[1])`);

/** KEYS: token. → its state or nil. */
export const TOKEN_STATE = new RedisScript(`return redis.call('HGET', KEYS[1], 's')`);

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
 * rotated token. KEYS: old token, new token, members. ARGV: user, family, old jti, its ttl,
 * new jti, ttl, now (epoch s).
 */
export const ADOPT_LEGACY = new RedisScript(`
redis.call('HSET', KEYS[1], 's', 'rotated', 'u', ARGV[1], 'f', ARGV[2], 'n', ARGV[5], 'r', ARGV[7])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[2], 's', 'active', 'u', ARGV[1], 'f', ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('SADD', KEYS[3], ARGV[3], ARGV[5])
local ttl = math.max(tonumber(ARGV[4]), tonumber(ARGV[6]))
if redis.call('TTL', KEYS[3]) < ttl then redis.call('EXPIRE', KEYS[3], ttl) end
return 1`);

/** KEYS: legacy key. → 1 when it is a live token of the Python reference store (`"1"`). */
export const LEGACY_ACTIVE = new RedisScript(`
if redis.call('TYPE', KEYS[1]).ok ~= 'string' then return 0 end
if redis.call('GET', KEYS[1]) == '1' then return 1 end
return 0`);
