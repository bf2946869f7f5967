/**
 * Step-up for sensitive routes (password change, account deletion): the token's login
 * (`auth_time`) must be recent enough, or the client gets RFC 9470's challenge and sends the
 * user through a fresh login. ASVS 5 V6: re-authentication before sensitive operations.
 */
import {
  ConfigurationError,
  InsufficientUserAuthenticationError,
  InvalidTokenError,
  Messages,
} from './errors';

/**
 * A framework-free check: `requireFreshLoginCheck({ maxAgeSeconds: 300 })(claims)` throws
 * `InvalidTokenError` (401, no claims), or `InsufficientUserAuthenticationError` (401,
 * `insufficient_user_authentication`, `max_age`) when the token has no `auth_time` or its login
 * is older than `maxAgeSeconds`. A login time in the future counts as no login time.
 */
export function requireFreshLoginCheck(options: {
  maxAgeSeconds: number;
  /** Milliseconds since the epoch (default `Date.now`). */
  clock?: (() => number) | undefined;
}): (claims: { auth_time?: unknown } | undefined | null) => void {
  const { maxAgeSeconds } = options;
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new ConfigurationError(
      `requireFreshLogin: maxAgeSeconds must be a whole number of seconds ≥ 0, got ${String(maxAgeSeconds)}`,
    );
  }
  const clock = options.clock ?? Date.now;
  return (claims) => {
    if (claims === undefined || claims === null) {
      throw new InvalidTokenError(Messages.ACCESS_MISSING, 'missing');
    }
    const authTime = claims.auth_time;
    const age = typeof authTime === 'number' ? Math.floor(clock() / 1000) - authTime : NaN;
    if (!(age >= 0 && age <= maxAgeSeconds)) {
      throw new InsufficientUserAuthenticationError(maxAgeSeconds);
    }
  };
}
