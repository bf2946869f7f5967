/**
 * Express / Connect adapters of the auth flows: `authRoutes()` mounts them all, and each
 * piece is usable alone (`refreshHandler`, `logoutHandler`, `revokeAccessToken`). The logic
 * lives in `createAuthFlows` (framework-free); this file only reads the request (JSON body
 * included, when no body parser ran) and writes the answer. Errors go to `next(err)`:
 * mount `errorHandler()` after them for the JSON error body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { appendSetCookie } from '../security/http/cookies';
import {
  createRequestAuthenticator,
  type RequestAuthOptions,
} from '../security/http/request-authenticator';
import {
  createAuthFlows,
  type AuthFlows,
  type AuthFlowsOptions,
  type FlowRequest,
  type FlowResponse,
} from '../security/flows/auth-flows';
import type { TokenPolicy } from '../security/token-policy';
import '../security/http/request-types';

export interface AuthRoutesOptions extends AuthFlowsOptions {
  /** Path prefix of the routes. Default `/auth`. */
  prefix?: string | undefined;
}

const BODY_LIMIT = 16 * 1024;

/**
 * The auth routes as one middleware (works as an Express router, under `app.use()`):
 * - `POST {prefix}/login` (when `verifyCredentials` is given): the pair and a new session;
 * - `POST {prefix}/refresh`: rotation with reuse detection and the grace window;
 * - `POST {prefix}/logout`: revokes the caller's access token, refresh token and session;
 * - `POST {prefix}/logout-all`: every session of the caller;
 * - `GET {prefix}/sessions`: the caller's active sessions (never a token or a hash);
 * - `DELETE {prefix}/sessions/:id`: ends one of the caller's sessions (another's is a 404).
 *
 * @example app.use(authRoutes({ issuer, refreshPolicy, policy, sessions, findUser, verifyCredentials }))
 */
export function authRoutes(options: AuthRoutesOptions): RequestHandler {
  const flows = createAuthFlows(options);
  const prefix = (options.prefix ?? '/auth').replace(/\/+$/, '');
  const sessionPath = new RegExp(`^${escapeRegExp(prefix)}/sessions/([^/]+)$`);
  const routes: Record<string, (request: FlowRequest) => Promise<FlowResponse>> = {
    [`POST ${prefix}/refresh`]: flows.refresh,
    [`POST ${prefix}/logout`]: flows.logout,
    [`POST ${prefix}/logout-all`]: flows.logoutAll,
    [`GET ${prefix}/sessions`]: flows.listSessions,
  };
  if (options.verifyCredentials !== undefined) routes[`POST ${prefix}/login`] = flows.login;

  return function authRoutesMiddleware(req: Request, res: Response, next: NextFunction): void {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const method = req.method ?? 'GET';
    let run = routes[`${method} ${path}`];
    if (run === undefined && method === 'DELETE') {
      const match = sessionPath.exec(path);
      if (match) {
        let id: string;
        try {
          id = decodeURIComponent(match[1]!);
        } catch {
          id = match[1]!;
        }
        run = (request) => flows.revokeSession(request, id);
      }
    }
    if (run === undefined) {
      next();
      return;
    }
    handle(run, req, res, next);
  };
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
  bodyOf(req)
    .then((body) =>
      run({
        method: req.method,
        headers: req.headers,
        cookies: (req as { cookies?: Record<string, unknown> }).cookies,
        body,
        ip: req.ip ?? req.socket?.remoteAddress,
      }),
    )
    .then((answer) => send(res, answer), next);
}

function send(res: ServerResponse, answer: FlowResponse): void {
  appendSetCookie(res, answer.setCookie);
  res.statusCode = answer.status;
  // Tokens and session lists must never be cached by a proxy or the browser.
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(answer.body));
}

/** The JSON body: what a body parser left on `req.body`, else read here (16 KiB at most). */
function bodyOf(req: IncomingMessage & { body?: unknown }): Promise<unknown> {
  if (req.body !== undefined) return Promise.resolve(req.body);
  if (req.method === 'GET' || req.method === 'HEAD' || req.readableEnded) {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        req.removeAllListeners('data');
        req.resume();
        reject(
          Object.assign(new Error('request body too large'), {
            type: 'entity.too.large',
            status: 413,
          }),
        );
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(
          Object.assign(new Error('malformed JSON body'), {
            type: 'entity.parse.failed',
            status: 400,
          }),
        );
      }
    });
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
