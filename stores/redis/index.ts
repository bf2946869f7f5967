export { RedisRevocationStore, type RedisRevocationStoreOptions } from './revocation-store';
export { RedisRefreshTokenStore, type RedisRefreshTokenStoreOptions } from './refresh-token-store';
export {
  createRedisClient,
  type RedisConnectionOptions,
  type RedisTrackingClient,
} from './connect';
export { RedisRevocationCache, type RedisRevocationCacheOptions } from './revocation-cache';
export { RedisScript, runRedis, type RedisLikeClient, type ScriptOptions } from './client';
export { RedisSessionStore, type RedisSessionStoreOptions } from './session-store';
export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from './rate-limit-store';
