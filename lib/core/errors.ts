/**
 * Typed errors of auth-sdk-m8. Every failure the package reports is one of these, each with a
 * stable string `code`, the HTTP `status` it maps to and the response `headers` it needs
 * (the RFC 6750 `WWW-Authenticate` challenge, `Retry-After`), so any framework adapter — or
 * Express's bare final handler — answers correctly without knowing the class.
 */

/** Stable machine-readable error codes (never renamed; add new ones). */
export type AuthErrorCode =
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_request'
  | 'configuration_error'
  | 'store_unavailable'
  | 'rate_limited'
  | 'not_found'
  | 'insufficient_user_authentication';

/**
 * Why a token was refused; the `error` of the response body's `errors` entry. `missing` means
 * no token was presented at all.
 */
export type InvalidTokenReason =
  'missing' | 'expired' | 'invalid' | 'wrong_type' | 'invalid_payload' | 'revoked' | 'reused';

export type TokenType = 'access' | 'refresh';

/** Default `realm` of the Bearer challenge; adapters may override it per app. */
export const DEFAULT_REALM = 'api';

/** Quote a value for an RFC 7235 auth-param (quoted-string). */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Build an RFC 6750 §3 challenge. A missing token gets a bare challenge (no `error`), as the
 * RFC asks: the client simply did not authenticate.
 */
export function bearerChallenge(
  realm: string,
  error?:
    'invalid_token' | 'insufficient_scope' | 'invalid_request' | 'insufficient_user_authentication',
  description?: string,
  extra: Record<string, string> = {},
): string {
  let value = `Bearer realm=${quote(realm)}`;
  if (error) value += `, error=${quote(error)}`;
  if (error && description) value += `, error_description=${quote(description)}`;
  for (const [name, param] of Object.entries(extra)) value += `, ${name}=${quote(param)}`;
  return value;
}

export interface AuthErrorOptions {
  status: number;
  headers?: Record<string, string>;
  /** Whether `message` may be shown to the client (false → a generic message is sent). */
  expose?: boolean;
  cause?: unknown;
}

/** Base of every error this package throws. */
export class AuthError extends Error {
  readonly code: AuthErrorCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly expose: boolean;

  constructor(code: AuthErrorCode, message: string, options: AuthErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status;
    this.headers = Object.freeze({ ...(options.headers ?? {}) });
    this.expose = options.expose ?? options.status < 500;
  }
}

/**
 * The token is missing, malformed, expired, revoked, reused, of the wrong type or carries an
 * invalid payload: always a 401 with an RFC 6750 challenge. `message` is the Python SDK's
 * message (`Invalid access token`, `Access token expired`, …).
 *
 * `detail` says why, for logs and hooks only (`signature`, `missing_claim:type`,
 * `alg_not_allowed:HS512`, `role_unknown:god`, …): it never reaches the response body or the
 * challenge (that would be an oracle), and it never holds the token, a secret or a claim's
 * value (only a claim's name, or a short `[A-Za-z0-9_-]` algorithm or role name).
 */
export class InvalidTokenError extends AuthError {
  declare readonly code: 'invalid_token';
  readonly reason: InvalidTokenReason;
  readonly tokenType: TokenType;
  /** Why the token was refused, machine-readable, server side only (see the class comment). */
  readonly detail?: string;

  constructor(
    message: string,
    reason: InvalidTokenReason,
    tokenType: TokenType = 'access',
    options: { cause?: unknown; realm?: string; detail?: string | undefined } = {},
  ) {
    const realm = options.realm ?? DEFAULT_REALM;
    super('invalid_token', message, {
      status: 401,
      headers: {
        'WWW-Authenticate':
          reason === 'missing'
            ? bearerChallenge(realm)
            : bearerChallenge(realm, 'invalid_token', message),
      },
      cause: options.cause,
    });
    this.reason = reason;
    this.tokenType = tokenType;
    if (options.detail !== undefined) this.detail = options.detail;
  }
}

/** The token is valid but its role/scope is too low: 403 `insufficient_scope`. */
export class InsufficientScopeError extends AuthError {
  declare readonly code: 'insufficient_scope';
  readonly requiredRole: string | undefined;

  constructor(message = 'Insufficient role', requiredRole?: string, realm = DEFAULT_REALM) {
    super('insufficient_scope', message, {
      status: 403,
      headers: { 'WWW-Authenticate': bearerChallenge(realm, 'insufficient_scope', message) },
    });
    this.requiredRole = requiredRole;
  }
}

/**
 * The request itself is malformed (e.g. a token sent two ways, RFC 6750 §2): 400, with a
 * Bearer challenge unless `challenge: false` (a login form is no bearer-protected resource).
 */
export class InvalidRequestError extends AuthError {
  declare readonly code: 'invalid_request';

  constructor(message: string, realm = DEFAULT_REALM, options: { challenge?: boolean } = {}) {
    super('invalid_request', message, {
      status: 400,
      headers:
        options.challenge === false
          ? {}
          : { 'WWW-Authenticate': bearerChallenge(realm, 'invalid_request', message) },
    });
  }
}

/**
 * The token is valid but its login is too old for this route (RFC 9470 step-up): 401 with
 * `error="insufficient_user_authentication"` and `max_age`, so the client sends the user
 * through a fresh login and retries.
 */
export class InsufficientUserAuthenticationError extends AuthError {
  declare readonly code: 'insufficient_user_authentication';
  /** The most seconds since the login this route accepts. */
  readonly maxAgeSeconds: number;

  constructor(maxAgeSeconds: number, realm = DEFAULT_REALM) {
    const message = 'A more recent login is required';
    super('insufficient_user_authentication', message, {
      status: 401,
      headers: {
        'WWW-Authenticate': bearerChallenge(realm, 'insufficient_user_authentication', message, {
          max_age: String(maxAgeSeconds),
        }),
      },
    });
    this.maxAgeSeconds = maxAgeSeconds;
  }
}

/**
 * A setting, option or key is wrong. Raised at construction or start-up so the service
 * refuses to boot; `findings` lists every problem found (e.g. by `checkConfigHealth`).
 */
export class ConfigurationError extends AuthError {
  declare readonly code: 'configuration_error';
  readonly findings: readonly string[];

  constructor(
    message: string,
    findings: readonly string[] = [],
    options: { cause?: unknown } = {},
  ) {
    super('configuration_error', message, { status: 500, expose: false, cause: options.cause });
    this.findings = Object.freeze([...findings]);
  }
}

/**
 * A store (Redis, SQL) or the key server (JWKS) cannot answer, so the request cannot be
 * decided. The degradation policy turns it into allow (fail_open) or 503 (fail_closed).
 */
export class StoreUnavailableError extends AuthError {
  declare readonly code: 'store_unavailable';
  /** Which dependency failed: `redis`, `postgres`, `mysql`, `memory`, `jwks`, … */
  readonly store: string;
  readonly retryAfterSeconds: number;

  constructor(
    message: string,
    store: string,
    options: { cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    const retryAfterSeconds = options.retryAfterSeconds ?? 5;
    super('store_unavailable', message, {
      status: 503,
      headers: { 'Retry-After': String(retryAfterSeconds) },
      cause: options.cause,
    });
    this.store = store;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Too many requests for one key (a refresh family, a client IP): 429 with `Retry-After`. */
export class RateLimitedError extends AuthError {
  declare readonly code: 'rate_limited';
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super('rate_limited', message, {
      status: 429,
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** The resource does not exist for this caller (another user's session included): 404. */
export class NotFoundError extends AuthError {
  declare readonly code: 'not_found';

  constructor(message: string) {
    super('not_found', message, { status: 404 });
  }
}

/**
 * Every error the package throws, as a union discriminated by `code`:
 * `if (err.code === 'invalid_token') err.reason` type-checks. (`AuthError` itself only knows
 * `code: AuthErrorCode`; `isAuthError` narrows to it — see there why not to this union.)
 */
export type AnyAuthError =
  | InvalidTokenError
  | InsufficientScopeError
  | InvalidRequestError
  | ConfigurationError
  | StoreUnavailableError
  | RateLimitedError
  | NotFoundError
  | InsufficientUserAuthenticationError;

/**
 * Whether `value` is an `AuthError`: any subclass, this package's own `CsrfError` and an
 * application's (`class TenantError extends AuthError`) included. It narrows to `AuthError`,
 * NOT to `AnyAuthError`: a subclass outside the union may carry a code of the union
 * (`invalid_token`) without that class's fields (`reason`), so narrowing to the union would
 * type fields that are not there. Narrow soundly with `instanceof InvalidTokenError` (or
 * another concrete class), or cast to `AnyAuthError` when only this package throws.
 */
export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}

/** The Python SDK's messages, kept verbatim: clients of both SDKs match on these strings. */
export const Messages = Object.freeze({
  ACCESS_EXPIRED: 'Access token expired',
  ACCESS_INVALID: 'Invalid access token',
  ACCESS_WRONG_TYPE: 'Not an access token',
  ACCESS_REVOKED: 'Token revoked',
  ACCESS_MISSING: 'Access token missing',
  REFRESH_INVALID: 'Invalid refresh token',
  REFRESH_EXPIRED: 'Refresh token expired',
  REFRESH_WRONG_TYPE: 'Not a refresh token',
  REFRESH_REUSED: 'Refresh token already used or revoked',
  REFRESH_MISSING: 'Refresh token missing',
  REFRESH_UNSUPPORTED_ALG: 'Unsupported signing algorithm for refresh token',
});
