/** Entry `auth-sdk-m8/stores/memory`: in-process stores for one instance, tests and demos. */
export { MemoryRevocationStore, type MemoryRevocationStoreOptions } from './revocation-store';
export {
  MemoryRefreshTokenStore,
  type MemoryRefreshTokenStoreOptions,
} from './refresh-token-store';
export type { Clock } from './bounded-map';
export { MemorySessionStore, type MemorySessionStoreOptions } from './session-store';
export { MemoryRateLimitStore, type MemoryRateLimitStoreOptions } from './rate-limit-store';
