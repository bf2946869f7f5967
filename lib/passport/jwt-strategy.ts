import type { Request } from 'express';
import type { Strategy, StrategyCreatedStatic } from 'passport';
import { AuthError, DEFAULT_REALM, InvalidTokenError, Messages } from '../core/errors';
import { withRealm } from '../core/error-response';
import { DEFAULT_ACCESS_COOKIE, extractToken } from '../core/extract-token';
import { toUserModel } from '../core/schemas';
import type { TokenUserData } from '../core/types';
import { resolveVerifier } from '../express/access-verifier';
import type { VerifierSource, VerifyAccessToken } from '../express/access-verifier';
import { createCsrfCheck } from '../express/csrf';
import type { CsrfCheck, CsrfOptions } from '../express/csrf';
import { stashAuthFailure } from '../express/failure-stash';
import '../express/augment';

/** Options of `createJwtStrategy()`; give one verdict source (see `VerifierSource`). */
export type JwtStrategyOptions = VerifierSource & {
  /** Strategy name for `passport.authenticate(name)`. Default `jwt`. */
  name?: string;
  /** Also accept the token from a cookie (`{ name }`, default `access_token`). Default false. */
  cookie?: false | { name?: string };
  /** Realm of the `WWW-Authenticate` challenge. Default `api`. */
  realm?: string;
  /** CSRF check for cookie tokens on unsafe methods; as `authenticate()` (on with `cookie`). */
  csrf?: false | CsrfOptions;
};

/**
 * Passport strategy over the same verdicts as `authenticate()`. Unlike passport-jwt, the
 * three outcomes never mix:
 * - bad or missing token → `fail(challenge, 401)` (400 for a malformed request), with the
 *   RFC 6750 challenge string so Passport sets `WWW-Authenticate`;
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
  private readonly verify: VerifyAccessToken;
  private readonly realm: string;
  private readonly cookieName: string | undefined;
  private readonly csrfCheck: CsrfCheck | undefined;

  constructor(options: JwtStrategyOptions = {}) {
    this.name = options.name ?? 'jwt';
    this.verify = resolveVerifier(options);
    this.realm = options.realm ?? DEFAULT_REALM;
    this.cookieName = options.cookie ? (options.cookie.name ?? DEFAULT_ACCESS_COOKIE) : undefined;
    this.csrfCheck =
      this.cookieName !== undefined && options.csrf !== false
        ? createCsrfCheck(options.csrf ?? {})
        : undefined;
  }

  authenticate(req: Request): void {
    // Passport calls this on a per-request object that carries success/fail/error.
    const self = this as this & Pick<StrategyCreatedStatic, 'success' | 'fail' | 'error'>;
    const refuse = (err: unknown): void => {
      if (err instanceof AuthError && err.status < 500) {
        const scoped = withRealm(err, this.realm);
        stashAuthFailure(req, scoped);
        self.fail(scoped.headers['WWW-Authenticate'] ?? '', scoped.status);
        return;
      }
      // Outages (and anything unexpected) are errors, not authentication failures.
      self.error(err);
    };

    let found;
    try {
      found = extractToken(
        { headers: req.headers, cookies: (req as { cookies?: Record<string, unknown> }).cookies },
        {
          cookieName: this.cookieName,
          allowCookie: this.cookieName !== undefined,
          realm: this.realm,
        },
      );
    } catch (err) {
      refuse(err);
      return;
    }
    if (found === undefined) {
      refuse(
        new InvalidTokenError(Messages.ACCESS_MISSING, 'missing', 'access', { realm: this.realm }),
      );
      return;
    }
    if (found.source === 'cookie' && this.csrfCheck) {
      try {
        this.csrfCheck(req);
      } catch (err) {
        refuse(err);
        return;
      }
    }
    this.verify(found.token).then((claims: TokenUserData) => {
      let user;
      try {
        user = toUserModel(claims);
      } catch (err) {
        refuse(err);
        return;
      }
      req.auth = claims;
      self.success(user, claims);
    }, refuse);
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
