/**
 * auth-sdk-m8: JWT validation, revocation and refresh-token rotation for a microservice
 * fleet (Node port of the Python package). This entry is framework-free and holds what an
 * app needs; the adapters, metrics, events, stores and the Python schemas live in their own
 * subpaths (`auth-sdk-m8/express`, `auth-sdk-m8/schemas`, …). `test/package/api-report.test.ts`
 * pins every exported name: an addition is a decision, not an accident.
 */

// Errors
export {
  AuthError,
  InvalidTokenError,
  InsufficientScopeError,
  InvalidRequestError,
  ConfigurationError,
  StoreUnavailableError,
  RateLimitedError,
  NotFoundError,
  InsufficientUserAuthenticationError,
  isAuthError,
  type AnyAuthError,
  type AuthErrorCode,
  type InvalidTokenReason,
  type TokenType,
} from './core/errors';
export {
  toErrorResponse,
  type ErrorResponse,
  type ErrorResponseOptions,
} from './core/error-response';
export type { FailureMode, FailureControl } from './core/failure-mode';

// Types of tokens, users and bodies
export type {
  RoleName,
  TokenAlgorithm,
  UserPayloadData,
  TokenUserData,
  RefreshTokenData,
  UserModel,
  ResponseError,
  ResponseErrorBase,
  TokenPair,
  Logger,
} from './core/types';
export { Roles } from './core/roles';
export { requireFreshLoginCheck } from './core/fresh-login';
export { hashToken } from './core/crypto-utils';

// Settings and start-up checks
export {
  loadSettings,
  loadSettingsAsync,
  loadCommonSettings,
  type LoadSettingsOptions,
} from './core/settings/load';
export { authSettingsSchema, commonSettingsSchema } from './core/settings/schema';
export { checkConfigHealth, type HealthOptions, type HealthReport } from './core/settings/health';
export { effectiveFailureMode, type FailureModeSettings } from './core/settings/failure-mode';
export { findDotenv, readDotenv } from './core/settings/dotenv';
export { SecretValue } from './core/settings/secret';
export type {
  AuthSettings,
  CommonSettings,
  Environment,
  ServiceRole,
  TokenMode,
} from './core/settings/types';

// Validation, keys, issuing
export {
  createValidationConfig,
  type ValidationConfig,
  type ValidationConfigOptions,
} from './security/validation-config';
export {
  TokenValidator,
  type TokenValidatorOptions,
  type AccessTokenValidator,
} from './security/token-validator';
export { StaticKeyResolver } from './security/key-resolvers/static';
export { JwksKeyResolver, type JwksKeyResolverOptions } from './security/key-resolvers/jwks';
export {
  buildAccessValidator,
  type AccessValidatorSettings,
  type BuildAccessValidatorOptions,
} from './security/build-access-validator';
export {
  TokenIssuer,
  type TokenIssuerOptions,
  type IssuerKey,
  type AccessTokenSubject,
  type IssuedToken,
  type IssuedRefreshToken,
  type PublicJwk,
} from './security/token-issuer';
export type {
  TokenSecret,
  KeyResolver,
  ValidationHooks,
  SuccessEvent,
  FailureEvent,
  DegradedEvent,
} from './security/types';

// Policies, stores, degradation
export {
  TokenPolicy,
  type TokenPolicyOptions,
  type TokenPolicyFromSettingsOptions,
} from './security/token-policy';
export {
  RefreshTokenPolicy,
  type RefreshTokenPolicyOptions,
  type PlannedRotation,
  type ValidateAndRotateOptions,
  type ReusedFamily,
  type RefreshRotation,
  type RefreshSecret,
} from './security/refresh-token-policy';
export type {
  RevocationStore,
  RefreshTokenStore,
  RefreshTokenRegistration,
  RefreshRevocationOptions,
  RevokedRefreshToken,
  StoreRotation,
  StoreRotationOptions,
  SessionStore,
  SessionRecord,
  SessionAdvance,
  RateLimitStore,
  RateLimitHit,
  RateLimitCount,
  RateLimitUndo,
} from './security/store-contracts';
export {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type BreakerState,
  type BreakerStateChange,
} from './security/circuit-breaker';

// The request pipeline under every adapter (for frameworks without an adapter, e.g. Koa)
export {
  createRequestAuthenticator,
  type AuthRequest,
  type Authenticated,
  type RequestAuthOptions,
  type RequestAuthenticator,
} from './security/http/request-authenticator';
export type { VerifierSource, AccessTokenPolicy } from './security/http/verifier-source';
export type { CsrfOptions } from './security/http/csrf';

// The auth flows (login, refresh, logout, sessions) over any framework
export {
  createAuthFlows,
  type AuthFlows,
  type AuthFlowsOptions,
  type AuthUser,
  type AuthCookieMode,
  type FlowRequest,
  type FlowResponse,
} from './security/flows/auth-flows';
export {
  LoginRateLimiter,
  type LoginRateLimiterOptions,
  type LoginAttempt,
} from './security/flows/login-limiter';
export {
  RefreshRateLimiter,
  type RefreshRateLimiterOptions,
  type RateLimit,
} from './security/flows/rate-limiter';
