import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthError, DEFAULT_REALM, InvalidTokenError, Messages } from '../core/errors';
import { withRealm } from '../core/error-response';
import { requireRoleCheck } from '../core/roles';
import type { RoleName } from '../core/types';
import '../security/http/request-types';

/**
 * Allow the request only when `req.auth.role` is at least `role` (superadmin > admin >
 * writer > reader > user). Mount after `authenticate()` (or the Passport strategy):
 * - role too low: 403 `WWW-Authenticate: Bearer …, error="insufficient_scope"`;
 * - no authenticated request (authenticate missing or `optional` and no token): 401.
 *
 * @example app.get('/admin', authenticate({ policy }), requireRole('admin'), handler)
 */
export function requireRole(
  role: RoleName,
  options: { realm?: string | undefined } = {},
): RequestHandler {
  const check = requireRoleCheck(role);
  const realm = options.realm ?? DEFAULT_REALM;
  return function requireRoleHandler(req: Request, _res: Response, next: NextFunction): void {
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
