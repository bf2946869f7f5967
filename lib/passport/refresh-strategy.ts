import type { Request } from 'express';
import type { Strategy, StrategyCreatedStatic } from 'passport';
import type { AuthError } from '../core/errors';
import {
  createAuthFlows,
  type AuthFlows,
  type AuthFlowsOptions,
  type FlowResponse,
} from '../security/flows/auth-flows';
import { appendSetCookie } from '../security/http/cookies';
import { stashAuthFailure } from '../security/http/failure-stash';
import { reportError, runVerify, type VerdictActions, type VerifiedCallback } from './verify';
import '../security/http/request-types';

/** Options of `createRefreshStrategy()`: the flows' options (or built flows) and the name. */
export type RefreshStrategyOptions = (AuthFlowsOptions | { flows: AuthFlows }) & {
  /** Strategy name for `passport.authenticate(name)`. Default `jwt-refresh`. */
  name?: string | undefined;
};

/** The verify callback: the new pair (the refresh answer's body) in, the user out through `done`. */
export type RefreshVerify = (pair: Record<string, unknown>, done: VerifiedCallback) => unknown;

type StrategyActions = Pick<StrategyCreatedStatic, 'success' | 'fail' | 'error'>;

/**
 * Passport strategy that validates and rotates the refresh token (body `refresh_token`, or
 * the refresh cookie in cookie mode) through the same flow as `refreshHandler()`, so the
 * verdicts are the same. On success `req.user` / `req.authInfo` are the new token pair (the
 * response body of `refreshHandler`) and its cookies are already on the response; answer
 * with `res.json(req.authInfo)`. A bad token is `fail` (401, 429 with Retry-After when rate
 * limited), an outage is `error` (503 through `errorHandler()`).
 *
 * An optional verify callback (`new RefreshStrategy(options, verify)`, or the `validate()` of a
 * `@nestjs/passport` subclass) shapes `req.user` from the new pair. It runs after the rotation
 * (refusing an account belongs in `findUser`, asked before anything rotates): a refusal there
 * answers 401, and the client never receives the pair that was rotated in.
 */
export class RefreshStrategy implements Strategy {
  readonly name: string;
  // TS-private: Passport runs each request on Object.create(strategy).
  private readonly flows: AuthFlows;
  private readonly verify: RefreshVerify | undefined;

  constructor(options: RefreshStrategyOptions, verify?: RefreshVerify) {
    this.name = options.name ?? 'jwt-refresh';
    this.flows = 'flows' in options ? options.flows : createAuthFlows(options);
    this.verify = verify;
  }

  authenticate(req: Request): void {
    const self = this as this & StrategyActions;
    const actions: VerdictActions = {
      success: (user, info) => self.success(user as Express.User, info as object),
      refuse: (err: AuthError) => {
        stashAuthFailure(req, err);
        if (req.res && err.headers['Retry-After'] !== undefined) {
          req.res.setHeader('Retry-After', err.headers['Retry-After']);
        }
        self.fail(err.headers['WWW-Authenticate'] ?? '', err.status);
      },
      error: (err) => self.error(err),
    };
    this.flows
      .refresh({
        method: req.method,
        headers: req.headers,
        cookies: (req as { cookies?: Record<string, unknown> }).cookies,
        body: req.body,
        ip: req.ip,
      })
      .then(
        (answer: FlowResponse) => {
          const pair = answer.body as Record<string, unknown>;
          // The cookies carry the new pair: written only once the user is accepted.
          const accepted: VerdictActions = {
            ...actions,
            success: (user, info) => {
              if (req.res) {
                appendSetCookie(req.res, answer.setCookie);
                req.res.setHeader('Cache-Control', 'no-store');
              }
              actions.success(user, info);
            },
          };
          const verify = this.verify;
          if (verify === undefined) accepted.success(pair, pair);
          else
            runVerify((done) => verify(pair, done), accepted, this.flows.authenticate.realm, pair);
        },
        (err: unknown) => reportError(err, actions),
      );
  }
}

/**
 * Build the refresh strategy for `passport.use(...)`.
 *
 * @example
 * passport.use(createRefreshStrategy({ issuer, refreshPolicy, policy, sessions, findUser }));
 * app.post('/auth/refresh', passport.authenticate('jwt-refresh', { session: false, failWithError: true }),
 *   (req, res) => res.json(req.authInfo));
 */
export function createRefreshStrategy(
  options: RefreshStrategyOptions,
  verify?: RefreshVerify,
): RefreshStrategy {
  return new RefreshStrategy(options, verify);
}
