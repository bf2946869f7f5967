import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  createRequestAuthenticator,
  type RequestAuthOptions,
} from '../security/http/request-authenticator';
import '../security/http/request-types';

/** Options of `authenticate()`; give one verdict source (see `VerifierSource`). */
export type AuthenticateOptions = RequestAuthOptions;

/**
 * Express / Connect middleware that authenticates the request's access token.
 *
 * On success it sets `req.auth` (the validated claims, `TokenUserData`) and `req.user` (a
 * `UserModel`) and calls `next()`. Every failure goes to `next(err)` as a typed `AuthError`
 * whose `status` and `headers` are the answer (Express's own final handler already answers
 * correctly; `errorHandler()` adds the JSON body):
 * - no token: 401 `WWW-Authenticate: Bearer realm="…"` (no `error`, RFC 6750 §3.1);
 * - invalid, expired, revoked token: 401 with `error="invalid_token"`;
 * - malformed header or a token sent two ways: 400 `error="invalid_request"`;
 * - cookie token on an unsafe cross-site request: 403;
 * - revocation store or key server down under fail_closed: 503 with `Retry-After`.
 *
 * The pipeline is built once here, never per request. Works on Express 4, Express 5 and plain
 * Connect (express is only imported for types).
 *
 * @example app.use(authenticate({ policy }))
 */
export function authenticate(options: AuthenticateOptions = {}): RequestHandler {
  const authenticateRequest = createRequestAuthenticator(options);
  return function authenticateMiddleware(req: Request, _res: Response, next: NextFunction): void {
    authenticateRequest(req).then((found) => {
      if (found !== undefined) {
        req.user = found.user;
        req.auth = found.claims;
      }
      next();
    }, next);
  };
}
