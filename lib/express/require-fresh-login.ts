import type { RequestHandler } from 'express';
import { requireFreshLoginCheck } from '../core/fresh-login';
import { claimsCheck } from './claims-check';

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
  return claimsCheck(requireFreshLoginCheck(options), options.realm);
}
