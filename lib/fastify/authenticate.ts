import {
  createRequestAuthenticator,
  type RequestAuthOptions,
} from '../security/http/request-authenticator';
import type { AuthPreHandler } from './request-types';

/**
 * The preHandler behind `fastify.authenticate`: the package's one request pipeline
 * (`createRequestAuthenticator`, built once here), translated. On success it sets
 * `request.auth` (the claims) and `request.user` (the `UserModel`); a failure goes to the
 * scope's error handler as the pipeline's typed `AuthError`:
 * - no token: 401 `WWW-Authenticate: Bearer realm="…"`;
 * - invalid, expired, revoked token: 401 `error="invalid_token"`;
 * - malformed header or a token sent two ways: 400 `error="invalid_request"`;
 * - cookie token on an unsafe cross-site request: 403;
 * - revocation store or key server down under fail_closed: 503 with `Retry-After`.
 */
export function authenticateHandler(options: RequestAuthOptions): AuthPreHandler {
  const authenticateRequest = createRequestAuthenticator(options);
  return function authenticate(request, _reply, done): void {
    authenticateRequest(request).then((found) => {
      if (found !== undefined) {
        request.auth = found.claims;
        request.user = found.user;
      }
      done();
    }, done);
  };
}
