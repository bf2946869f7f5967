/**
 * The one request pipeline under every adapter: find the access token (Bearer header and/or
 * cookie), check CSRF for cookie-borne tokens on unsafe methods, verify it, and build the
 * user. `authenticate()`, the Passport strategy, the flows and the Koa bridge all call this
 * and only translate its result, so one request gets one verdict whatever the framework.
 */
import { AuthError, DEFAULT_REALM, InvalidTokenError, Messages } from '../../core/errors';
import { withRealm } from '../../core/error-response';
import {
  DEFAULT_ACCESS_COOKIE,
  extractToken,
  type HeadersLike,
  type TokenSource,
} from '../../core/extract-token';
import { toUserModel } from '../../core/schemas';
import { loadSettings } from '../../core/settings/load';
import type { TokenUserData, UserModel } from '../../core/types';
import { traceAuthentication } from '../tracing';
import { createCsrfCheck, withDefaultOrigins, type CsrfCheck, type CsrfOptions } from './csrf';
import { resolveVerifier, type VerifierSource } from './verifier-source';

/** What the pipeline reads of a request: Node's `IncomingMessage`, Express, Koa's `ctx` all fit. */
export interface AuthRequest {
  method?: string | undefined;
  headers: HeadersLike;
  /** Parsed cookies when a cookie parser ran; otherwise the `Cookie` header is read. */
  cookies?: Record<string, unknown> | null | undefined;
}

/** A verified request: the claims, the `UserModel` built from them and where the token was. */
export interface Authenticated {
  claims: TokenUserData;
  user: UserModel;
  source: TokenSource;
}

/** Options shared by every adapter (`authenticate()`, the Passport strategy, the flows). */
export type RequestAuthOptions = VerifierSource & {
  /**
   * Also accept the access token from a cookie (`{ name }`, default name `access_token`).
   * Default `false`: only `Authorization: Bearer`. A token sent both ways is a 400.
   */
  cookie?: false | { name?: string | undefined } | undefined;
  /** Let requests without any token through (resolves `undefined`). A bad token is still 401. */
  optional?: boolean | undefined;
  /** Realm of the `WWW-Authenticate` challenge. Default `api`. */
  realm?: string | undefined;
  /**
   * CSRF check for cookie-borne tokens on unsafe methods. On whenever `cookie` is enabled, with
   * `allowedOrigins` defaulting to the settings' `ALLOWED_ORIGINS` when `settings` are given;
   * `false` turns it off (e.g. SameSite=Strict cookies only).
   */
  csrf?: false | CsrfOptions | undefined;
};

/**
 * Authenticates one request. Resolves the verified request, or `undefined` when no token was
 * presented and `optional` is set. Rejects with an `AuthError` carrying the realm (400 / 401 /
 * 403 / 503, see `authenticate()`); nothing else for any input.
 */
export interface RequestAuthenticator {
  (request: AuthRequest): Promise<Authenticated | undefined>;
  readonly realm: string;
}

/** Build the pipeline once (verifier, CSRF check, options), never per request. */
export function createRequestAuthenticator(given: RequestAuthOptions = {}): RequestAuthenticator {
  // No verdict source: settings from the environment, loaded once and used for CSRF origins too.
  const options: RequestAuthOptions =
    given.policy === undefined && given.validator === undefined && given.settings === undefined
      ? { ...given, settings: loadSettings() }
      : given;
  const verify = resolveVerifier(options);
  const realm = options.realm ?? DEFAULT_REALM;
  const optional = options.optional ?? false;
  const cookieName = options.cookie ? (options.cookie.name ?? DEFAULT_ACCESS_COOKIE) : undefined;
  const extractOptions = { cookieName, allowCookie: cookieName !== undefined, realm };
  const csrfCheck: CsrfCheck | undefined =
    cookieName !== undefined && options.csrf !== false
      ? createCsrfCheck(withDefaultOrigins(options.csrf, allowedOriginsOf(options)))
      : undefined;
  const missing = (): InvalidTokenError =>
    new InvalidTokenError(Messages.ACCESS_MISSING, 'missing', 'access', { realm });
  const refuse = (err: unknown): never => {
    throw err instanceof AuthError ? withRealm(err, realm) : err;
  };

  const authenticateRequest = (request: AuthRequest): Promise<Authenticated | undefined> => {
    let found;
    try {
      found = extractToken(request, extractOptions);
      if (found === undefined) {
        if (optional) return Promise.resolve(undefined);
        throw missing();
      }
      if (found.source === 'cookie' && csrfCheck !== undefined) csrfCheck(request);
    } catch (err) {
      return Promise.reject(err instanceof AuthError ? withRealm(err, realm) : err);
    }
    const source = found.source;
    return verify(found.token).then((claims) => {
      try {
        return { claims, user: toUserModel(claims), source };
      } catch (err) {
        return refuse(err);
      }
    }, refuse);
  };
  return Object.assign(traceAuthentication(authenticateRequest), { realm });
}

function allowedOriginsOf(options: RequestAuthOptions): readonly string[] | undefined {
  const settings = (options as { settings?: { ALLOWED_ORIGINS?: readonly string[] } }).settings;
  return settings?.ALLOWED_ORIGINS;
}
