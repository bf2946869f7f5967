/**
 * The flows' options, compiled once into what every flow reads: the guarded session store,
 * the cookie mode, the access-token pipeline, the clock. Nothing here runs per request.
 */
import { ConfigurationError } from '../../core/errors';
import type { FailureMode } from '../../core/failure-mode';
import type { Logger } from '../../core/types';
import {
  DEFAULT_REFRESH_COOKIE,
  type AuthCookieOptions,
  type CookieSettings,
} from '../http/cookies';
import {
  createCsrfCheck,
  withDefaultOrigins,
  type CsrfCheck,
  type CsrfOptions,
} from '../http/csrf';
import {
  createRequestAuthenticator,
  type AuthRequest,
  type RequestAuthenticator,
} from '../http/request-authenticator';
import type { RefreshTokenPolicy } from '../refresh-token-policy';
import type { SessionStore } from '../store-contracts';
import { guardStore, type GuardedStore, type StoreFailureOptions } from '../store-guard';
import type { AccessTokenSubject, TokenIssuer } from '../token-issuer';
import type { TokenPolicy } from '../token-policy';
import type { LoginRateLimiter } from './login-limiter';
import type { RefreshRateLimiter } from './rate-limiter';

/** A user as the flows need it: the access-token claims, plus whether the account is active. */
export type AuthUser = AccessTokenSubject & { provider?: string | undefined };

/** What the flows read of a request (Express's `req`, Koa's `ctx.request` plus `ctx.ip` fit). */
export interface FlowRequest extends AuthRequest {
  /** The parsed JSON body. */
  body?: unknown;
  /** The client address (for the per-IP limit and the session record). */
  ip?: string | undefined;
}

/** What a flow answers: the adapter writes status, `Set-Cookie` values and the JSON body. */
export interface FlowResponse {
  status: number;
  body: unknown;
  setCookie: string[];
}

export interface AuthCookieMode extends Omit<AuthCookieOptions, 'refreshMaxAgeSeconds'> {
  /** Default `Strict` (the refresh cookie goes only to the refresh route, never cross-site). */
  sameSite?: 'Strict' | 'Lax' | 'None' | undefined;
  /**
   * ACCESS_TOKEN_EXPIRE_MINUTES, REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS, SESSION_COOKIE_SECURE
   * (the loaded settings fit; their ALLOWED_ORIGINS are then the CSRF check's origins).
   */
  settings: CookieSettings & { ALLOWED_ORIGINS?: readonly string[] | undefined };
  /** Also send the access token as an HttpOnly cookie (and accept it from there). Default false: in the body. */
  accessInCookie?: boolean | undefined;
  /**
   * CSRF check of cookie-authenticated unsafe requests: on by default (an allowed `Origin`,
   * the settings' `ALLOWED_ORIGINS` unless `allowedOrigins` is given, or the double-submit
   * header when `csrf: true` sets its cookie); `false` relies on SameSite only.
   */
  csrfCheck?: false | CsrfOptions | undefined;
}

export interface AuthFlowsOptions extends StoreFailureOptions {
  issuer: TokenIssuer;
  refreshPolicy: RefreshTokenPolicy;
  /** Validates access tokens (with revocation) and revokes them at logout. */
  policy: TokenPolicy;
  /** The user behind a refresh (`sub`); null/undefined or `is_active: false` refuses the refresh. */
  findUser(userId: string): Promise<AuthUser | null | undefined> | AuthUser | null | undefined;
  /** Enables login: the user for these credentials, or null. */
  verifyCredentials?:
    ((email: string, password: string) => Promise<AuthUser | null | undefined>) | undefined;
  /** Sessions (one per login and device): listed, revoked one by one or all at once. */
  sessions?: SessionStore | undefined;
  /** Env `SESSION_WRITE_FAILURE_MODE` (default `fail_closed`) for session writes. */
  sessionFailureMode?: FailureMode | undefined;
  /** Refresh token (and optionally the access token) in HttpOnly cookies. */
  cookies?: AuthCookieMode | false | undefined;
  /** The refresh limiter (per refresh family and client IP). */
  rateLimit?: RefreshRateLimiter | false | undefined;
  /**
   * The login limiter (per account and client IP, counted before the credentials are checked):
   * `LoginRateLimiter.fromSettings(settings, { store })`. Without one, login has no brute-force
   * protection (a warning says so when the flows are built); `false` says it is on purpose.
   */
  loginRateLimit?: LoginRateLimiter | false | undefined;
  /** Realm of the challenges. Default `api`. */
  realm?: string | undefined;
}

/** The cookie mode, compiled. */
export interface CookieMode {
  settings: CookieSettings;
  /** The cookies' attributes (SameSite `Strict` unless set). */
  attributes: AuthCookieOptions;
  /** The access-token cookie's name when the access token travels in a cookie too. */
  accessCookie: string | undefined;
  refreshCookie: string;
  /** Proves a cookie-borne refresh token came from one of our origins (undefined: SameSite only). */
  refreshCsrf: CsrfCheck | undefined;
}

export interface FlowContext {
  readonly issuer: TokenIssuer;
  readonly refreshPolicy: RefreshTokenPolicy;
  readonly policy: TokenPolicy;
  readonly findUser: AuthFlowsOptions['findUser'];
  readonly verifyCredentials: AuthFlowsOptions['verifyCredentials'];
  readonly sessions: GuardedStore<SessionStore> | undefined;
  readonly limiter: RefreshRateLimiter | undefined;
  readonly loginLimiter: LoginRateLimiter | undefined;
  readonly cookies: CookieMode | undefined;
  /** The access-token pipeline of the flows' own authenticated routes. */
  readonly authenticate: RequestAuthenticator;
  readonly hooks: AuthFlowsOptions['hooks'];
  readonly logger: Logger;
  readonly realm: string | undefined;
  /** Epoch seconds on the flows' clock. */
  now(): number;
  /** Each request's store budget in ms (`timeoutMs`). */
  readonly budgetMs: number;
}

export function compileFlowContext(options: AuthFlowsOptions): FlowContext {
  const { issuer, refreshPolicy, policy } = options;
  if (!issuer || !refreshPolicy || !policy || typeof options.findUser !== 'function') {
    throw new ConfigurationError(
      'createAuthFlows needs issuer, refreshPolicy, policy and findUser(userId).',
    );
  }
  const logger = options.logger ?? console;
  const clock = options.clock ?? Date.now;
  const cookies = compileCookieMode(options.cookies || undefined);
  return {
    issuer,
    refreshPolicy,
    policy,
    findUser: options.findUser.bind(options),
    verifyCredentials: options.verifyCredentials,
    sessions: guardStore('session_write', options.sessions, {
      ...options,
      failureMode: options.sessionFailureMode ?? 'fail_closed',
      logger,
    }),
    limiter: options.rateLimit || undefined,
    loginLimiter: loginLimiterOf(options, logger),
    cookies,
    authenticate: createRequestAuthenticator({
      policy,
      realm: options.realm,
      cookie: cookies?.accessCookie === undefined ? false : { name: cookies.accessCookie },
      csrf: options.cookies ? csrfOptionsOf(options.cookies) : undefined,
    }),
    hooks: options.hooks,
    logger,
    realm: options.realm,
    now: () => Math.floor(clock() / 1000),
    budgetMs: options.timeoutMs ?? 1000,
  };
}

function loginLimiterOf(options: AuthFlowsOptions, logger: Logger): LoginRateLimiter | undefined {
  if (options.verifyCredentials !== undefined && options.loginRateLimit === undefined) {
    logger.warn(
      'auth-sdk-m8: login has no brute-force protection: pass loginRateLimit (LoginRateLimiter.fromSettings(settings, { store })), or false if something else limits logins',
    );
  }
  return options.loginRateLimit || undefined;
}

function compileCookieMode(mode: AuthCookieMode | undefined): CookieMode | undefined {
  if (mode === undefined) return undefined;
  const csrf = csrfOptionsOf(mode);
  return {
    settings: mode.settings,
    attributes: { ...mode, sameSite: mode.sameSite ?? 'Strict' },
    accessCookie: mode.accessInCookie ? (mode.accessCookieName ?? 'access_token') : undefined,
    refreshCookie: mode.refreshCookieName ?? DEFAULT_REFRESH_COOKIE,
    refreshCsrf: csrf === false ? undefined : createCsrfCheck(csrf),
  };
}

/** The CSRF check's options: the settings' ALLOWED_ORIGINS unless origins are given. */
function csrfOptionsOf(mode: AuthCookieMode): CsrfOptions | false {
  if (mode.csrfCheck === false) return false;
  return withDefaultOrigins(mode.csrfCheck, mode.settings.ALLOWED_ORIGINS);
}
