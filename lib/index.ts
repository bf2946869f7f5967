/**
 * auth-sdk-m8: JWT validation, revocation and refresh-token rotation for a microservice
 * fleet (Node port of the Python package). This entry is framework-free; Express, Passport,
 * metrics, events and the stores live in their own subpaths (`auth-sdk-m8/express`, …).
 */

// Errors
export {
  AuthError,
  InvalidTokenError,
  InsufficientScopeError,
  InvalidRequestError,
  ConfigurationError,
  StoreUnavailableError,
  isAuthError,
  bearerChallenge,
  Messages,
  DEFAULT_REALM,
  type AnyAuthError,
  type AuthErrorCode,
  type InvalidTokenReason,
  type TokenType,
} from './core/errors';

// Types and schemas
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
export { SUPPORTED_ALGORITHMS, ASYMMETRIC_ALGORITHMS } from './core/types';
export {
  tokenUserDataSchema,
  userPayloadDataSchema,
  refreshTokenPayloadSchema,
  userModelSchema,
  sessionModelSchema,
  responseErrorSchema,
  responseErrorBaseSchema,
  responseMessageSchema,
  tokenSchema,
  eventBaseSchema,
  userDeletedEventSchema,
  emailSchema,
  toUserModel,
  AuthProviderType,
  Period,
  type UserDeletedEvent,
} from './core/schemas';
export {
  Roles,
  ORDERED_ROLES,
  getOrderedRoles,
  isRole,
  isValidRoleAuth,
  requireRoleCheck,
} from './core/roles';
export {
  ValidationConstants,
  removeInvisibleChars,
  HOST_REGEX,
  HTTP_HOST_REGEX,
  URL_PATH_STR_REGEX,
  KEY_REGEX,
  SLUG_REGEX,
  UNIX_PATH_REGEX,
  FILE_PATH_REGEX,
  PASSWORD_REGEX,
  SECRET_KEY_REGEX,
  MYSQL_NAME_REGEX,
  CONTROL_CHAR_PATTERN,
} from './core/validation-constants';
export {
  hashToken,
  createPkce,
  pkceChallenge,
  createState,
  timingSafeEqualString,
} from './core/crypto-utils';
export {
  parseIntegrityError,
  parseIntegrityMessage,
  isIntegrityError,
  parseValidationError,
  isJoiValidationError,
} from './core/db-errors';
export {
  toErrorResponse,
  ResponseMessages,
  type ErrorResponse,
  type ErrorResponseOptions,
} from './core/error-response';
export {
  extractToken,
  readCookie,
  DEFAULT_ACCESS_COOKIE,
  type HeadersLike,
  type ExtractTokenOptions,
  type ExtractedToken,
  type TokenSource,
} from './core/extract-token';

// Settings
export * from './core/settings/index';

// Validation, keys, issuing
export {
  createValidationConfig,
  strictValidationConfig,
  DEFAULT_REQUIRED_CLAIMS,
  DEFAULT_LEEWAY_SECONDS,
  type ValidationConfig,
  type ValidationConfigOptions,
} from './security/validation-config';
export {
  TokenValidator,
  type TokenValidatorOptions,
  type AccessTokenValidator,
} from './security/token-validator';
export {
  VerifiedTokenCache,
  type VerifiedTokenCacheOptions,
} from './security/verified-token-cache';
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
export { checkRegisteredClaims, checkAccessPayload, isValidEmail } from './security/claims';
export {
  prepareKey,
  verifyCompact,
  signCompact,
  decodeHeader,
  JwsError,
  DEFAULT_MAX_TOKEN_LENGTH,
  type JwsHeader,
  type JwsFailure,
  type PreparedKey,
} from './security/jws';
export type {
  TokenSecret,
  KeyResolver,
  ValidationHooks,
  SuccessEvent,
  FailureEvent,
  DegradedEvent,
  FailureMode,
  FailureControl,
} from './security/types';

// Policies, stores, degradation
export {
  TokenPolicy,
  type TokenPolicyOptions,
  type TokenPolicyFromSettingsOptions,
} from './security/token-policy';
export {
  RefreshTokenPolicy,
  OLD_KEY_WARNING,
  type RefreshTokenPolicyOptions,
  type RotateOptions,
  type RotationResult,
  type RefreshSecret,
} from './security/refresh-token-policy';
export type {
  RevocationStore,
  RefreshTokenStore,
  RefreshTokenRegistration,
  RotateResult,
} from './security/stores';
export {
  CircuitBreaker,
  StoreGuard,
  guardStoreCall,
  withTimeout,
  StoreTimeoutError,
  CircuitOpenError,
  unavailableReason,
  type CircuitBreakerOptions,
  type BreakerState,
  type BreakerStateChange,
  type UnavailableReason,
} from './security/degradation';
export { callHook } from './security/hooks';
