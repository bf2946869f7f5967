export { RedisRevocationStore, type RedisRevocationStoreOptions } from './revocation-store';
export { RedisRefreshTokenStore, type RedisRefreshTokenStoreOptions } from './refresh-token-store';
export { createRedisClient, type RedisConnectionOptions } from './connect';
export { RedisScript, runRedis, type RedisLikeClient, type ScriptOptions } from './client';
export { RedisSessionStore, type RedisSessionStoreOptions } from './session-store';
export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from './rate-limit-store';
