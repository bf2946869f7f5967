/**
 * The verify callback of the package's strategies, Passport's own convention (passport-jwt's
 * `verify(payload, done)`): it runs after the package's verdict and turns it into the user.
 * It is also what `@nestjs/passport`'s `PassportStrategy(JwtStrategy)` passes to the strategy's
 * constructor, so a Nest subclass's `validate()` runs here.
 */
import { AuthError, InvalidTokenError, Messages } from '../core/errors';

/** Passport's `done`: an error, or the user (falsy: refused) and the `authInfo`. */
export type VerifiedCallback = (err: unknown, user?: unknown, info?: unknown) => void;

/** How a strategy reports a verdict (the per-request Passport actions, bound). */
export interface VerdictActions {
  success(user: unknown, info: unknown): void;
  /** A client failure (< 500): stashed, then Passport's `fail(challenge, status)`. */
  refuse(err: AuthError): void;
  /** An outage or anything unexpected: Passport's `error(err)`. */
  error(err: unknown): void;
}

/**
 * Calls `verify(..., done)` once and reports what `done` says: an `AuthError` under 500 is a
 * refusal (its own status and challenge), another error an error, a falsy user a 401
 * `invalid_token` (the app refused the account), else a success with `info` or `fallbackInfo`.
 */
export function runVerify(
  call: (done: VerifiedCallback) => unknown,
  actions: VerdictActions,
  realm: string,
  fallbackInfo: unknown,
): void {
  let settled = false;
  const done: VerifiedCallback = (err, user, info) => {
    if (settled) return; // a second done() (sync throw after a call, or a buggy validate) is ignored
    settled = true;
    if (err !== null && err !== undefined) {
      reportError(err, actions);
      return;
    }
    if (!user) {
      actions.refuse(
        new InvalidTokenError(Messages.ACCESS_INVALID, 'invalid', 'access', {
          realm,
          detail: 'user_refused',
        }),
      );
      return;
    }
    actions.success(user, info ?? fallbackInfo);
  };
  try {
    const returned = call(done);
    // A promise-returning verify that rejects without calling done still gets an answer.
    if (returned instanceof Promise) returned.catch((err: unknown) => done(err));
  } catch (err) {
    done(err);
  }
}

export function reportError(err: unknown, actions: Pick<VerdictActions, 'refuse' | 'error'>): void {
  if (err instanceof AuthError && err.status < 500) actions.refuse(err);
  else actions.error(err);
}
