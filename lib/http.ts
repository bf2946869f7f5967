/**
 * `auth-sdk-m8/http`: what an adapter author needs to put the package under a framework it
 * has no adapter for (Hono, hapi, plain `node:http`, …), framework-free: the request pipeline,
 * the auth flows and their route table, the JSON body reader, the answer writers, the error
 * mapping and the checks `requireRole` makes. The Express, Passport, Fastify and Nest adapters
 * are built from these and only translate requests and answers.
 */
export {
  createRequestAuthenticator,
  type AuthRequest,
  type Authenticated,
  type RequestAuthOptions,
  type RequestAuthenticator,
} from './security/http/request-authenticator';
export type { VerifierSource, AccessTokenPolicy } from './security/http/verifier-source';
export {
  createAuthFlows,
  type AuthFlows,
  type AuthFlowsOptions,
  type AuthUser,
  type AuthCookieMode,
  type FlowRequest,
  type FlowResponse,
} from './security/flows/auth-flows';
export {
  FLOW_ROUTES,
  flowRoutes,
  flowRouteMatcher,
  type FlowRoute,
  type MatchedFlowRoute,
} from './security/http/flow-routes';
export {
  readJsonBody,
  isJsonContentType,
  FLOW_BODY_LIMIT,
  type BodyRequest,
} from './security/http/json-body';
export { sendFlowResponse, sendErrorResponse } from './security/http/respond';
export { CsrfError, createCsrfCheck, type CsrfCheck, type CsrfOptions } from './security/http/csrf';
export {
  toErrorResponse,
  withRealm,
  type ErrorResponse,
  type ErrorResponseOptions,
} from './core/error-response';
export { isAuthError, AuthError } from './core/errors';
export { requireRoleCheck, isValidRoleAuth } from './core/roles';
export { requireFreshLoginCheck } from './core/fresh-login';
