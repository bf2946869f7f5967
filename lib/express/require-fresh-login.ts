import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthError, DEFAULT_REALM, InvalidTokenError, Messages } from '../core/errors';
import { withRealm } from '../core/error-response';
import { requireFreshLoginCheck } from '../core/fresh-login';
import '../security/http/request-types';

/**
 * Allow the request only when the token's login (`auth_time`) is at most `maxAgeSeconds` old:
 * for sensitive routes (password change, account deletion). Mount after `authenticate()` (or
 * the Passport strategy). Too old, or no login time: 401 `WWW-Authenticate: Bearer …,
 * error="insufficient_user_authentication", max_age="…"` (RFC 9470); no authenticated
 * request: 401.
 *
 * @example app.post('/account/password', authenticate({ policy }), requireFreshLogin({ maxAgeSeconds: 300 }), handler)
 */
export function requireFreshLogin(options: {
  maxAgeSeconds: number;
  realm?: string | undefined;
  /** Milliseconds since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
}): RequestHandler {
  const check = requireFreshLoginCheck(options);
  const realm = options.realm ?? DEFAULT_REALM;
  return function requireFreshLoginHandler(req: Request, _res: Response, next: NextFunction): void {
    if (req.auth === undefined) {
      next(new InvalidTokenError(Messages.ACCESS_MISSING, 'missing', 'access', { realm }));
      return;
    }
    try {
      check(req.auth);
    } catch (err) {
      next(err instanceof AuthError ? withRealm(err, realm) : err);
      return;
    }
    next();
  };
}
