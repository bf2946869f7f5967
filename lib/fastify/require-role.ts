import { withRealm } from '../core/error-response';
import { AuthError, DEFAULT_REALM } from '../core/errors';
import { requireRoleCheck } from '../core/roles';
import type { RoleName } from '../core/types';
import type { AuthPreHandler } from './request-types';

/**
 * The preHandler behind `fastify.requireRole(role)`: after `fastify.authenticate`, allows the
 * request only when `request.auth.role` is at least `role` (superadmin > admin > writer >
 * reader > user). Role too low: 403 `error="insufficient_scope"`; no authenticated request
 * (authenticate missing, or `optional` and no token): 401. An unknown role throws at once.
 */
export function requireRoleHandler(
  role: RoleName,
  options: { realm?: string | undefined } = {},
): AuthPreHandler {
  const check = requireRoleCheck(role);
  const realm = options.realm ?? DEFAULT_REALM;
  return function requireRole(request, _reply, done): void {
    try {
      check(request.auth);
    } catch (err) {
      done(err instanceof AuthError ? withRealm(err, realm) : (err as Error));
      return;
    }
    done();
  };
}
