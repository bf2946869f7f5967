import type { Request } from 'express';
import type { Strategy, StrategyCreatedStatic } from 'passport';
import { AuthError } from '../core/errors';
import {
  createAuthFlows,
  type AuthFlows,
  type AuthFlowsOptions,
  type FlowResponse,
} from '../security/flows/auth-flows';
import { appendSetCookie } from '../security/http/cookies';
import { stashAuthFailure } from '../security/http/failure-stash';
import '../security/http/request-types';

/** Options of `createRefreshStrategy()`: the flows' options (or built flows) and the name. */
export type RefreshStrategyOptions = (AuthFlowsOptions | { flows: AuthFlows }) & {
  /** Strategy name for `passport.authenticate(name)`. Default `jwt-refresh`. */
  name?: string | undefined;
};

type StrategyActions = Pick<StrategyCreatedStatic, 'success' | 'fail' | 'error'>;

/**
 * Passport strategy that validates and rotates the refresh token (body `refresh_token`, or
 * the refresh cookie in cookie mode) through the same flow as `refreshHandler()`, so the
 * verdicts are the same. On success `req.user` / `req.authInfo` are the new token pair (the
 * response body of `refreshHandler`) and its cookies are already on the response; answer
 * with `res.json(req.authInfo)`. A bad token is `fail` (401, 429 with Retry-After when rate
 * limited), an outage is `error` (503 through `errorHandler()`).
 */
export class RefreshStrategy implements Strategy {
  readonly name: string;
  // TS-private: Passport runs each request on Object.create(strategy).
  private readonly flows: AuthFlows;

  constructor(options: RefreshStrategyOptions) {
    this.name = options.name ?? 'jwt-refresh';
    this.flows = 'flows' in options ? options.flows : createAuthFlows(options);
  }

  authenticate(req: Request): void {
    const self = this as this & StrategyActions;
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
          if (req.res) {
            appendSetCookie(req.res, answer.setCookie);
            req.res.setHeader('Cache-Control', 'no-store');
          }
          self.success(answer.body as Express.User, answer.body as object);
        },
        (err: unknown) => {
          if (err instanceof AuthError && err.status < 500) {
            stashAuthFailure(req, err);
            if (req.res && err.headers['Retry-After'] !== undefined) {
              req.res.setHeader('Retry-After', err.headers['Retry-After']);
            }
            self.fail(err.headers['WWW-Authenticate'] ?? '', err.status);
            return;
          }
          self.error(err);
        },
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
export function createRefreshStrategy(options: RefreshStrategyOptions): RefreshStrategy {
  return new RefreshStrategy(options);
}
