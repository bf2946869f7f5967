/**
 * Express / Connect adapters of the auth flows: `authRoutes()` mounts them all, and each
 * piece is usable alone (`refreshHandler`, `logoutHandler`, `revokeAccessToken`). The logic
 * lives in `createAuthFlows` (framework-free); this file only reads the request (JSON body
 * included, when no body parser ran) and writes the answer. Errors go to `next(err)`:
 * mount `errorHandler()` after them for the JSON error body.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  createAuthFlows,
  type AuthFlows,
  type AuthFlowsOptions,
  type FlowRequest,
  type FlowResponse,
} from '../security/flows/auth-flows';
import { flowRouteMatcher } from '../security/http/flow-routes';
import { readJsonBody } from '../security/http/json-body';
import {
  createRequestAuthenticator,
  type RequestAuthOptions,
} from '../security/http/request-authenticator';
import { sendFlowResponse } from '../security/http/respond';
import type { TokenPolicy } from '../security/token-policy';
import '../security/http/request-types';

export interface AuthRoutesOptions extends AuthFlowsOptions {
  /** Path prefix of the routes. Default `/auth`. */
  prefix?: string | undefined;
}

/**
 * The middleware `authRoutes()` returns, carrying the flows it serves: the app calls
 * `routes.flows.endUserSessions(userId)` (or any flow) without building a second set.
 */
export type AuthRoutesHandler = RequestHandler & { readonly flows: AuthFlows };

/**
 * The auth routes as one middleware (works as an Express router, under `app.use()`):
 * - `POST {prefix}/login` (when `verifyCredentials` is given): the pair and a new session;
 * - `POST {prefix}/refresh`: rotation with reuse detection and the grace window;
 * - `POST {prefix}/logout`: revokes the caller's access token, refresh token and session;
 * - `POST {prefix}/logout-all`: every session of the caller;
 * - `GET {prefix}/sessions`: the caller's active sessions (never a token or a hash);
 * - `DELETE {prefix}/sessions/:id`: ends one of the caller's sessions (another's is a 404).
 *
 * The returned middleware carries the flows as `.flows`.
 *
 * @example app.use(authRoutes({ issuer, refreshPolicy, policy, sessions, findUser, verifyCredentials }))
 */
export function authRoutes(options: AuthRoutesOptions): AuthRoutesHandler {
  const flows = createAuthFlows(options);
  const match = flowRouteMatcher({
    prefix: options.prefix,
    login: options.verifyCredentials !== undefined,
  });
  function authRoutesMiddleware(req: Request, res: Response, next: NextFunction): void {
    const found = match(req.method, req.url);
    if (found === undefined) {
      next();
      return;
    }
    handle((request) => found.route.run(flows, request, found.params), req, res, next);
  }
  return Object.assign(authRoutesMiddleware, { flows }) as AuthRoutesHandler;
}

/** `POST /auth/refresh` alone, for apps with their own login (see `createAuthFlows`). */
export function refreshHandler(options: AuthFlowsOptions | AuthFlows): RequestHandler {
  const flows = asFlows(options);
  return (req, res, next) => handle(flows.refresh, req, res, next);
}

/** Logout alone: revokes the caller's access token, its refresh token and session. */
export function logoutHandler(options: AuthFlowsOptions | AuthFlows): RequestHandler {
  const flows = asFlows(options);
  return (req, res, next) => handle(flows.logout, req, res, next);
}

/**
 * The revocation ("blacklist") middleware: revokes the caller's access token (its jti for the
 * rest of its life, `jwt:blacklist:<jti>` on Redis, seen by Python consumers too) and calls
 * `next()`. Uses `req.auth` when `authenticate()` ran before, else authenticates itself.
 */
export function revokeAccessToken(
  options: RequestAuthOptions & { policy: Pick<TokenPolicy, 'validate' | 'revoke'> },
): RequestHandler {
  const authenticateRequest = createRequestAuthenticator({ ...options, optional: false });
  return function revokeAccessTokenMiddleware(req: Request, _res: Response, next: NextFunction) {
    const claims =
      req.auth !== undefined
        ? Promise.resolve(req.auth)
        : authenticateRequest(req).then((found) => {
            if (found === undefined) throw new Error('unreachable: authentication is not optional');
            req.auth = found.claims;
            req.user = found.user;
            return found.claims;
          });
    claims.then((c) => options.policy.revoke(c)).then(() => next(), next);
  };
}

function asFlows(options: AuthFlowsOptions | AuthFlows): AuthFlows {
  return 'refresh' in options && typeof options.refresh === 'function'
    ? (options as AuthFlows)
    : createAuthFlows(options as AuthFlowsOptions);
}

function handle(
  run: (request: FlowRequest) => Promise<FlowResponse>,
  req: Request,
  res: Response,
  next: NextFunction,
): void {
  readJsonBody(req)
    .then((body) =>
      run({
        method: req.method,
        headers: req.headers,
        cookies: (req as { cookies?: Record<string, unknown> }).cookies,
        body,
        ip: req.ip ?? req.socket?.remoteAddress,
      }),
    )
    .then((answer) => sendFlowResponse(res, answer), next);
}
