/**
 * Optional option fields accept an explicit `undefined` under `exactOptionalPropertyTypes`, so
 * `{ scrapeToken: process.env.METRICS_TOKEN }` compiles in a strict consumer project.
 */
import {
  CircuitBreaker,
  JwksKeyResolver,
  TokenIssuer,
  TokenPolicy,
  TokenValidator,
  RefreshTokenPolicy,
  buildAccessValidator,
  checkConfigHealth,
  createValidationConfig,
  loadSettings,
  toErrorResponse,
  type AccessTokenSubject,
  type AuthSettings,
  type BuildAccessValidatorOptions,
  type CircuitBreakerOptions,
  type ErrorResponseOptions,
  type HealthOptions,
  type IssuerKey,
  type JwksKeyResolverOptions,
  type LoadSettingsOptions,
  type Logger,
  type RequestAuthOptions,
  type TokenIssuerOptions,
  type TokenPolicyFromSettingsOptions,
  type TokenPolicyOptions,
  type TokenValidatorOptions,
  type ValidationConfigOptions,
  type ValidationHooks,
  type RefreshTokenPolicyOptions,
  type ValidateAndRotateOptions,
  type RevocationStore,
  type RefreshTokenStore,
  type SessionStore,
  type RateLimitStore,
} from 'auth-sdk-m8';
import {
  authenticate,
  errorHandler,
  requireRole,
  type AuthCookieOptions,
  type AuthenticateOptions,
  type CookieSettings,
  type CsrfOptions,
  type ErrorHandlerOptions,
  type HandleExceptionOptions,
} from 'auth-sdk-m8/express';
import { createJwtStrategy, type JwtStrategyOptions } from 'auth-sdk-m8/passport';
import {
  metricsMiddleware,
  metricsRouter,
  type Metrics,
  type MetricsMiddlewareOptions,
  type MetricsRouterOptions,
} from 'auth-sdk-m8/metrics';
import type { DurableEventBusOptions, EventBusOptions } from 'auth-sdk-m8/events';
import {
  MemoryRefreshTokenStore,
  MemoryRevocationStore,
  type MemoryRateLimitStoreOptions,
  type MemoryRefreshTokenStoreOptions,
  type MemoryRevocationStoreOptions,
  type MemorySessionStoreOptions,
} from 'auth-sdk-m8/stores/memory';
import {
  createRedisClient,
  RedisRevocationCache,
  type RedisConnectionOptions,
  type RedisRevocationCacheOptions,
  type RedisTrackingClient,
} from 'auth-sdk-m8/stores/redis';
import type { PgPoolOptions, PostgresStoreOptions } from 'auth-sdk-m8/stores/postgres';
import type { MysqlPoolOptions, MysqlStoreOptions } from 'auth-sdk-m8/stores/mysql';
import { expectType, type Equal, type RefusesUndefined } from './assert';

declare const metrics: Metrics;
declare const policy: TokenPolicy;
declare const settings: AuthSettings;
const maybe = process.env.AUTH_TYPES_TEST_UNSET;
export const logger: Logger = { warn() {}, error() {}, info: undefined, debug: undefined };

// The calls a consumer writes with values that may be undefined.
export const router = metricsRouter(metrics, { scrapeToken: process.env.METRICS_TOKEN });
export const middleware = metricsMiddleware(metrics, { maxPathLabels: undefined });
export const config = createValidationConfig({ issuer: maybe, audience: maybe });
export const validator = new TokenValidator({
  secret: { key: 'k'.repeat(32), algorithm: 'HS256' },
  config,
  cache: undefined,
  hooks: undefined,
  logger: undefined,
});
export const authed = authenticate({ policy, realm: undefined });
export const authedFully = authenticate({
  policy,
  realm: maybe,
  optional: undefined,
  cookie: undefined,
  csrf: undefined,
});
export const strategy = createJwtStrategy({ policy, name: maybe, realm: undefined });
export const admin = requireRole('admin', { realm: maybe ?? 'api' });
export const adminUndefinedRealm = requireRole('admin', { realm: undefined });
export const handler = errorHandler({ logger: undefined, realm: undefined });
export const loaded = loadSettings({ envFile: undefined, cwd: maybe });
export const health = checkConfigHealth(settings, logger, { hasStore: undefined });
export const policyNow = new TokenPolicy({
  validator,
  revocationStore: undefined,
  failureMode: undefined,
  timeoutMs: undefined,
});
export const fromSettings = TokenPolicy.fromSettings(settings, { revocationStore: undefined });
export const breaker = new CircuitBreaker({
  failureThreshold: undefined,
  onStateChange: undefined,
});
export const jwks = new JwksKeyResolver({
  uri: 'https://id.example/jwks',
  algorithm: 'RS256',
  timeoutMs: undefined,
});
export const built = buildAccessValidator(settings, { cache: undefined, logger: undefined });
export const response = toErrorResponse(new Error('x'), { realm: maybe, logger: undefined });
export const hooks: ValidationHooks = { onSuccess: undefined, onFailure: () => undefined };

// Every optional field of every public option type accepts `undefined` (`never` = none refuses).
expectType<Equal<RefusesUndefined<TokenValidatorOptions>, never>>(true);
expectType<Equal<RefusesUndefined<ValidationConfigOptions>, never>>(true);
expectType<Equal<RefusesUndefined<BuildAccessValidatorOptions>, never>>(true);
expectType<Equal<RefusesUndefined<JwksKeyResolverOptions>, never>>(true);
expectType<Equal<RefusesUndefined<TokenIssuerOptions>, never>>(true);
expectType<Equal<RefusesUndefined<IssuerKey>, never>>(true);
expectType<Equal<RefusesUndefined<AccessTokenSubject>, never>>(true);
expectType<Equal<RefusesUndefined<TokenPolicyOptions>, never>>(true);
expectType<Equal<RefusesUndefined<TokenPolicyFromSettingsOptions>, never>>(true);
expectType<Equal<RefusesUndefined<CircuitBreakerOptions>, never>>(true);
expectType<Equal<RefusesUndefined<ErrorResponseOptions>, never>>(true);
expectType<Equal<RefusesUndefined<HealthOptions>, never>>(true);
expectType<Equal<RefusesUndefined<LoadSettingsOptions>, never>>(true);
expectType<Equal<RefusesUndefined<ValidationHooks>, never>>(true);
expectType<Equal<RefusesUndefined<Logger>, never>>(true);
expectType<Equal<RefusesUndefined<RequestAuthOptions>, never>>(true);
expectType<Equal<RefusesUndefined<AuthenticateOptions>, never>>(true);
expectType<Equal<RefusesUndefined<JwtStrategyOptions>, never>>(true);
expectType<Equal<RefusesUndefined<ErrorHandlerOptions>, never>>(true);
expectType<Equal<RefusesUndefined<AuthCookieOptions>, never>>(true);
expectType<Equal<RefusesUndefined<CookieSettings>, never>>(true);
expectType<Equal<RefusesUndefined<CsrfOptions>, never>>(true);
expectType<Equal<RefusesUndefined<MetricsRouterOptions>, never>>(true);
expectType<Equal<RefusesUndefined<MetricsMiddlewareOptions>, never>>(true);
expectType<Equal<RefusesUndefined<EventBusOptions>, never>>(true);
expectType<Equal<RefusesUndefined<DurableEventBusOptions>, never>>(true);
expectType<Equal<RefusesUndefined<RefreshTokenPolicyOptions>, never>>(true);
expectType<Equal<RefusesUndefined<ValidateAndRotateOptions>, never>>(true);
expectType<Equal<RefusesUndefined<HandleExceptionOptions>, never>>(true);
expectType<Equal<RefusesUndefined<Exclude<Parameters<typeof requireRole>[1], undefined>>, never>>(
  true,
);
expectType<Equal<RefusesUndefined<MemoryRevocationStoreOptions>, never>>(true);
expectType<Equal<RefusesUndefined<MemoryRefreshTokenStoreOptions>, never>>(true);
expectType<Equal<RefusesUndefined<MemorySessionStoreOptions>, never>>(true);
expectType<Equal<RefusesUndefined<MemoryRateLimitStoreOptions>, never>>(true);
expectType<Equal<RefusesUndefined<RedisConnectionOptions>, never>>(true);
expectType<Equal<RefusesUndefined<RedisRevocationCacheOptions>, never>>(true);
expectType<Equal<RefusesUndefined<PostgresStoreOptions>, never>>(true);
expectType<Equal<RefusesUndefined<MysqlStoreOptions>, never>>(true);
expectType<Equal<RefusesUndefined<PgPoolOptions>, never>>(true);
expectType<Equal<RefusesUndefined<MysqlPoolOptions>, never>>(true);
// The store contracts' optional `close`: a wrapper may forward `inner.close` as it is.
expectType<Equal<RefusesUndefined<RevocationStore>, never>>(true);
expectType<Equal<RefusesUndefined<RefreshTokenStore>, never>>(true);
expectType<Equal<RefusesUndefined<SessionStore>, never>>(true);
expectType<Equal<RefusesUndefined<RateLimitStore>, never>>(true);

// The check itself bites: a field declared without `| undefined` is reported.
expectType<Equal<RefusesUndefined<{ a?: string; b?: string | undefined; c: string }>, 'a'>>(true);
expectType<Equal<RefusesUndefined<{ p: 1; a?: string } | { b?: number | undefined }>, 'a'>>(true);

export const issuer = new TokenIssuer({
  accessKeys: [{ secret: { key: 'k'.repeat(32), algorithm: 'HS256' }, kid: undefined }],
  issuer: maybe,
});

// The same, as calls a consumer writes.
export const refreshPolicy = new RefreshTokenPolicy({
  secret: 'Refresh-Test_Secret-0123456789-abcdefghijk',
  oldSecret: process.env.REFRESH_SECRET_KEY_OLD,
  store: undefined,
  hooks: undefined,
  failureMode: undefined,
  graceSeconds: undefined,
  breaker: undefined,
  logger: undefined,
});
export const rotation = refreshPolicy.validateAndRotate('token', {
  newJti: 'next',
  ttlSeconds: undefined,
  onReuse: undefined,
});
export const memoryRevocations = new MemoryRevocationStore({
  maxEntries: undefined,
  clock: undefined,
});
export const memoryRefresh = new MemoryRefreshTokenStore({
  maxEntries: undefined,
  clock: undefined,
});
export const rollbackNone: HandleExceptionOptions = { rollback: undefined };
declare const inner: RevocationStore;
export const forwarding: RevocationStore = {
  revoke: (jti, ttl) => inner.revoke(jti, ttl),
  isRevoked: (jti) => inner.isRevoked(jti),
  close: inner.close,
};

// `clientCache` gives a RESP3 client; without it (or with `undefined`) the client is as before.
export const tracking = createRedisClient({ clientCache: { maxEntries: undefined } });
expectType<Equal<typeof tracking, RedisTrackingClient>>(true);
export const cached = createRedisClient({
  clientCache: new RedisRevocationCache({ keyPrefix: undefined }),
});
expectType<Equal<typeof cached, RedisTrackingClient>>(true);
export const plain = createRedisClient({ REDIS_HOST: undefined, clientCache: undefined });
expectType<Equal<typeof plain, RedisTrackingClient>>(false);
