import type { Request } from 'express';
import type { Strategy, StrategyCreatedStatic } from 'passport';
import { AuthError } from '../core/errors';
import {
  createRequestAuthenticator,
  type RequestAuthenticator,
  type RequestAuthOptions,
} from '../security/http/request-authenticator';
import { stashAuthFailure } from '../security/http/failure-stash';
import '../security/http/request-types';

/**
 * Options of `createJwtStrategy()`: those of `authenticate()` (`optional` is ignored: Passport
 * chains strategies for that) plus the strategy name.
 */
export type JwtStrategyOptions = RequestAuthOptions & {
  /** Strategy name for `passport.authenticate(name)`. Default `jwt`. */
  name?: string | undefined;
};

/** What Passport adds to the per-request strategy object. */
type StrategyActions = Pick<StrategyCreatedStatic, 'success' | 'fail' | 'error'>;

/**
 * Passport strategy over the same pipeline as `authenticate()`. Unlike passport-jwt, the
 * three outcomes never mix:
 * - bad or missing token → `fail(challenge, status)` (401; 400 for a malformed request; 403
 *   for a failed CSRF check), with the RFC 6750 challenge so Passport sets `WWW-Authenticate`;
 * - store or key server down → `error(StoreUnavailableError)` → `next(err)` → 503 through
 *   `errorHandler()` (never a 401 that hides an outage);
 * - valid → `success(user, claims)`: `req.user` is the `UserModel`, `req.authInfo` and
 *   `req.auth` the claims.
 * With `failWithError: true` and `errorHandler()`, failures get the same JSON body as
 * `authenticate()`.
 */
export class JwtStrategy implements Strategy {
  readonly name: string;
  // TS-private, not #private: Passport runs each request on Object.create(strategy), and
  // #private fields are not reachable through the prototype chain.
  private readonly authenticateRequest: RequestAuthenticator;

  constructor(options: JwtStrategyOptions = {}) {
    this.name = options.name ?? 'jwt';
    this.authenticateRequest = createRequestAuthenticator({
      ...options,
      optional: false,
    } as RequestAuthOptions);
  }

  authenticate(req: Request): void {
    // Passport calls this on a per-request object that carries success/fail/error.
    const self = this as this & StrategyActions;
    this.authenticateRequest(req).then(
      (found) => {
        if (found === undefined) return; // unreachable: the strategy is never optional
        req.auth = found.claims;
        self.success(found.user, found.claims);
      },
      (err: unknown) => {
        if (err instanceof AuthError && err.status < 500) {
          stashAuthFailure(req, err);
          self.fail(err.headers['WWW-Authenticate'] ?? '', err.status);
          return;
        }
        // Outages (and anything unexpected) are errors, not authentication failures.
        self.error(err);
      },
    );
  }
}

/**
 * Build the strategy for `passport.use(...)`.
 *
 * @example
 * passport.use(createJwtStrategy({ policy }));
 * app.get('/me', passport.authenticate('jwt', { session: false, failWithError: true }), handler);
 * app.use(errorHandler());
 */
export function createJwtStrategy(options: JwtStrategyOptions = {}): JwtStrategy {
  return new JwtStrategy(options);
}
