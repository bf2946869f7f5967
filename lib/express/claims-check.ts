import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthError, DEFAULT_REALM, InvalidTokenError, Messages } from '../core/errors';
import { withRealm } from '../core/error-response';
import type { TokenUserData } from '../core/types';
import '../security/http/request-types';

/**
 * Middleware running a framework-free check on `req.auth` (set by `authenticate()` or the
 * Passport strategy): no authenticated request is a 401; what the check throws goes to
 * `next(err)` in the route's realm.
 */
export function claimsCheck(
  check: (claims: TokenUserData) => void,
  realm: string = DEFAULT_REALM,
): RequestHandler {
  return function claimsCheckHandler(req: Request, _res: Response, next: NextFunction): void {
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
