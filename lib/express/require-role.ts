import type { RequestHandler } from 'express';
import { requireRoleCheck } from '../core/roles';
import type { RoleName } from '../core/types';
import { claimsCheck } from './claims-check';

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
  return claimsCheck(requireRoleCheck(role), options.realm);
}
