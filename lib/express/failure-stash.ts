/**
 * Passport reports a failed strategy to the error handler as its own bare
 * `AuthenticationError` (with `failWithError`). The strategy leaves the real `AuthError` on
 * the request under this symbol so `errorHandler()` answers exactly as `authenticate()` would.
 */
import type { AuthError } from '../core/errors';

const AUTH_FAILURE = Symbol.for('auth-sdk-m8.authFailure');

type Stash = { [AUTH_FAILURE]?: AuthError };

export function stashAuthFailure(req: object, err: AuthError): void {
  Object.defineProperty(req, AUTH_FAILURE, { value: err, configurable: true, enumerable: false });
}

export function stashedAuthFailure(req: object): AuthError | undefined {
  return (req as Stash)[AUTH_FAILURE];
}

/** Passport's `AuthenticationError` (passport/lib/errors/authenticationerror.js). */
export function isPassportAuthenticationError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AuthenticationError';
}
