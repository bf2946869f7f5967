/** Roles and the role hierarchy (Python `RoleType`, `get_ordered_roles`, `is_valid_role_auth`). */
import { ConfigurationError, InsufficientScopeError, InvalidTokenError, Messages } from './errors';
import type { RoleName } from './types';

export const Roles = Object.freeze({
  SUPERADMIN: 'superadmin',
  ADMIN: 'admin',
  WRITER: 'writer',
  READER: 'reader',
  USER: 'user',
} as const satisfies Record<string, RoleName>);

/** Highest privilege first. */
export const ORDERED_ROLES: readonly RoleName[] = Object.freeze([
  'superadmin',
  'admin',
  'writer',
  'reader',
  'user',
]);

export function getOrderedRoles(): RoleName[] {
  return [...ORDERED_ROLES];
}

export function isRole(value: unknown): value is RoleName {
  return typeof value === 'string' && (ORDERED_ROLES as readonly string[]).includes(value);
}

/**
 * True when `current` has at least the privilege of `limit` (superadmin > admin > writer >
 * reader > user). Unknown roles give false; never throws (Python crashed on plain strings).
 */
export function isValidRoleAuth(current: unknown, limit: unknown): boolean {
  if (!isRole(current) || !isRole(limit)) return false;
  return ORDERED_ROLES.indexOf(current) <= ORDERED_ROLES.indexOf(limit);
}

/**
 * A framework-free guard: `requireRoleCheck('admin')(claims)` throws `InvalidTokenError`
 * (401, reason missing) without claims and `InsufficientScopeError` (403) when the role is
 * too low. An unknown role is a `ConfigurationError` at once, not at the first request.
 */
export function requireRoleCheck(
  role: RoleName,
): (claims: { role?: unknown } | undefined | null) => void {
  if (!isRole(role)) {
    throw new ConfigurationError(
      `Unknown role ${JSON.stringify(role)}: use one of ${ORDERED_ROLES.join(', ')}.`,
    );
  }
  return (claims) => {
    if (claims === undefined || claims === null) {
      throw new InvalidTokenError(Messages.ACCESS_MISSING, 'missing');
    }
    if (!isValidRoleAuth(claims.role, role)) {
      throw new InsufficientScopeError(`The ${role} role is required`, role);
    }
  };
}
