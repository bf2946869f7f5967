/**
 * An adapter that must hand a framework its own error type (Passport's `fail()` becomes a
 * bare `AuthenticationError` under `failWithError`) leaves the real `AuthError` on the request
 * under this symbol, so the error handler answers exactly as `authenticate()` would.
 */
import type { AuthError } from '../../core/errors';

const AUTH_FAILURE = Symbol.for('auth-sdk-m8.authFailure');

type Stash = { [AUTH_FAILURE]?: AuthError };

export function stashAuthFailure(req: object, err: AuthError): void {
  Object.defineProperty(req, AUTH_FAILURE, { value: err, configurable: true, enumerable: false });
}

export function stashedAuthFailure(req: object): AuthError | undefined {
  return (req as Stash)[AUTH_FAILURE];
}

/**
 * The error to answer with: the stashed `AuthError` when `err` is the framework's stand-in for
 * it (Passport's `AuthenticationError`, same status), else `err` itself. Checking the stand-in
 * keeps a stash left by one failed strategy from answering an unrelated later error.
 */
export function unstashAuthFailure(req: object, err: unknown): unknown {
  const stashed = stashedAuthFailure(req);
  if (stashed === undefined || !(err instanceof Error) || err.name !== 'AuthenticationError') {
    return err;
  }
  return stashed;
}
