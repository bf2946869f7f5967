import type { Request } from 'express';
import type { Strategy, StrategyCreatedStatic } from 'passport';
import type { AuthError } from '../core/errors';
import { withRealm } from '../core/error-response';
import type { TokenUserData } from '../core/types';
import {
  createRequestAuthenticator,
  type RequestAuthenticator,
  type RequestAuthOptions,
} from '../security/http/request-authenticator';
import { stashAuthFailure } from '../security/http/failure-stash';
import { reportError, runVerify, type VerdictActions, type VerifiedCallback } from './verify';
import '../security/http/request-types';

/**
 * Options of `createJwtStrategy()`: those of `authenticate()` (`optional` is ignored: Passport
 * chains strategies for that) plus the strategy name.
 */
export type JwtStrategyOptions = RequestAuthOptions & {
  /** Strategy name for `passport.authenticate(name)`. Default `jwt`. */
  name?: string | undefined;
  /** Call the verify callback as `verify(req, claims, done)` (passport-jwt's option). */
  passReqToCallback?: boolean | undefined;
};

/** passport-jwt's verify: the validated claims in, the user out through `done`. */
export type JwtVerify = (claims: TokenUserData, done: VerifiedCallback) => unknown;
/** The verify callback with `passReqToCallback: true`. */
export type JwtVerifyWithRequest = (
  req: Request,
  claims: TokenUserData,
  done: VerifiedCallback,
) => unknown;

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
 *
 * An optional verify callback (`new JwtStrategy(options, verify)`, or the `validate()` of a
 * `@nestjs/passport` `PassportStrategy(JwtStrategy)` subclass) runs after a valid token and
 * decides the user: `done(null, user)` succeeds with it, a falsy user is a 401
 * `invalid_token`, an `AuthError` its own status, any other error an `error()`.
 */
export class JwtStrategy implements Strategy {
  readonly name: string;
  // TS-private, not #private: Passport runs each request on Object.create(strategy), and
  // #private fields are not reachable through the prototype chain.
  private readonly authenticateRequest: RequestAuthenticator;
  private readonly verify: JwtVerify | JwtVerifyWithRequest | undefined;
  private readonly passReqToCallback: boolean;

  constructor(verify: JwtVerify);
  constructor(
    options: JwtStrategyOptions & { passReqToCallback: true },
    verify: JwtVerifyWithRequest,
  );
  constructor(options?: JwtStrategyOptions, verify?: JwtVerify);
  constructor(
    optionsOrVerify: JwtStrategyOptions | JwtVerify = {},
    verify?: JwtVerify | JwtVerifyWithRequest,
  ) {
    // `PassportStrategy(JwtStrategy)` appends its callback: alone when `super()` had no options.
    const options = typeof optionsOrVerify === 'function' ? {} : optionsOrVerify;
    this.verify = typeof optionsOrVerify === 'function' ? optionsOrVerify : verify;
    this.passReqToCallback = options.passReqToCallback ?? false;
    this.name = options.name ?? 'jwt';
    this.authenticateRequest = createRequestAuthenticator({
      ...options,
      optional: false,
    } as RequestAuthOptions);
  }

  authenticate(req: Request): void {
    // Passport calls this on a per-request object that carries success/fail/error.
    const self = this as this & StrategyActions;
    const realm = this.authenticateRequest.realm;
    const actions: VerdictActions = {
      success: (user, info) => self.success(user as Express.User, info as object),
      refuse: (err: AuthError) => {
        const refused = withRealm(err, realm);
        stashAuthFailure(req, refused);
        self.fail(refused.headers['WWW-Authenticate'] ?? '', refused.status);
      },
      // Outages (and anything unexpected) are errors, not authentication failures.
      error: (err) => self.error(err),
    };
    this.authenticateRequest(req).then(
      (found) => {
        if (found === undefined) return; // unreachable: the strategy is never optional
        const claims = found.claims;
        const verify = this.verify;
        if (verify === undefined) {
          req.auth = claims;
          actions.success(found.user, claims);
          return;
        }
        const verified: VerdictActions = {
          ...actions,
          success: (user, info) => {
            req.auth = claims;
            actions.success(user, info);
          },
        };
        runVerify(
          (done) =>
            this.passReqToCallback
              ? (verify as JwtVerifyWithRequest)(req, claims, done)
              : (verify as JwtVerify)(claims, done),
          verified,
          realm,
          claims,
        );
      },
      (err: unknown) => reportError(err, actions),
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
export function createJwtStrategy(
  options: JwtStrategyOptions & { passReqToCallback: true },
  verify: JwtVerifyWithRequest,
): JwtStrategy;
export function createJwtStrategy(options?: JwtStrategyOptions, verify?: JwtVerify): JwtStrategy;
export function createJwtStrategy(
  options: JwtStrategyOptions = {},
  verify?: JwtVerify | JwtVerifyWithRequest,
): JwtStrategy {
  return new JwtStrategy(options, verify as JwtVerify | undefined);
}
