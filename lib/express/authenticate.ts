import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthError, DEFAULT_REALM, InvalidTokenError, Messages } from '../core/errors';
import { withRealm } from '../core/error-response';
import { DEFAULT_ACCESS_COOKIE, extractToken } from '../core/extract-token';
import { toUserModel } from '../core/schemas';
import { resolveVerifier } from './access-verifier';
import type { VerifierSource } from './access-verifier';
import { createCsrfCheck } from './csrf';
import type { CsrfOptions } from './csrf';
import './augment';

/** Options of `authenticate()`; give one verdict source (see `VerifierSource`). */
export type AuthenticateOptions = VerifierSource & {
  /**
   * Also accept the access token from a cookie (`{ name }`, default name `access_token`).
   * Default `false`: only `Authorization: Bearer`. A token sent both ways is a 400.
   */
  cookie?: false | { name?: string };
  /** Let requests without any token through (with `req.auth` unset). A bad token is still 401. Default false. */
  optional?: boolean;
  /** Realm of the `WWW-Authenticate` challenge. Default `api`. */
  realm?: string;
  /**
   * CSRF check for cookie-borne tokens on unsafe methods (see `CsrfOptions`). On by default
   * whenever `cookie` is enabled, with `allowedOrigins` defaulting to the settings'
   * `ALLOWED_ORIGINS` when `settings` are given; `false` turns it off (e.g. SameSite=Strict only).
   */
  csrf?: false | CsrfOptions;
};

/**
 * Express / Connect middleware that authenticates the request's access token.
 *
 * On success it sets `req.auth` (the validated claims, `TokenUserData`) and `req.user` (a
 * `UserModel`) and calls `next()`. Every failure goes to `next(err)` as a typed `AuthError`
 * whose `status` and `headers` are the answer (Express's own final handler already answers
 * correctly; `errorHandler()` adds the JSON body):
 * - no token: 401 `WWW-Authenticate: Bearer realm="…"` (no `error`, RFC 6750 §3.1);
 * - invalid, expired, revoked token: 401 with `error="invalid_token"`;
 * - malformed header or a token sent two ways: 400 `error="invalid_request"`;
 * - cookie token on an unsafe cross-site request: 403;
 * - revocation store or key server down under fail_closed: 503 with `Retry-After`.
 *
 * The verifier is built once here, never per request. Works on Express 4, Express 5 and plain
 * Connect (express is only imported for types).
 *
 * @example app.use(authenticate({ policy }))
 */
export function authenticate(options: AuthenticateOptions = {}): RequestHandler {
  const verify = resolveVerifier(options);
  const realm = options.realm ?? DEFAULT_REALM;
  const optional = options.optional ?? false;
  const cookieName = options.cookie ? (options.cookie.name ?? DEFAULT_ACCESS_COOKIE) : undefined;
  const csrfCheck =
    cookieName !== undefined && options.csrf !== false
      ? createCsrfCheck({
          allowedOrigins: options.csrf?.allowedOrigins ?? allowedOriginsOf(options),
          ...(options.csrf ?? {}),
        })
      : undefined;

  return function authenticateRequest(req: Request, _res: Response, next: NextFunction): void {
    let found;
    try {
      found = extractToken(
        { headers: req.headers, cookies: (req as { cookies?: Record<string, unknown> }).cookies },
        { cookieName, allowCookie: cookieName !== undefined, realm },
      );
    } catch (err) {
      next(err);
      return;
    }
    if (found === undefined) {
      if (optional) {
        next();
        return;
      }
      next(new InvalidTokenError(Messages.ACCESS_MISSING, 'missing', 'access', { realm }));
      return;
    }
    if (found.source === 'cookie' && csrfCheck) {
      try {
        csrfCheck(req);
      } catch (err) {
        next(err);
        return;
      }
    }
    verify(found.token).then(
      (claims) => {
        let failure: unknown;
        try {
          req.user = toUserModel(claims);
          req.auth = claims;
        } catch (err) {
          failure = err;
        }
        next(failure === undefined ? undefined : asAuthFailure(failure, realm));
      },
      (err: unknown) => next(asAuthFailure(err, realm)),
    );
  };
}

function asAuthFailure(err: unknown, realm: string): unknown {
  return err instanceof AuthError ? withRealm(err, realm) : err;
}

function allowedOriginsOf(options: AuthenticateOptions): readonly string[] {
  const settings = options.settings as { ALLOWED_ORIGINS?: readonly string[] } | undefined;
  return settings?.ALLOWED_ORIGINS ?? [];
}
