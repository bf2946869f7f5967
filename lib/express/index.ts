/**
 * `auth-sdk-m8/express`: Express 4/5 and Connect adapters over the framework-free request
 * pipeline. Importing this entry also types `req.auth` and `req.user`.
 */
import '../security/http/request-types';

export { authenticate, type AuthenticateOptions } from './authenticate';
export {
  authRoutes,
  refreshHandler,
  logoutHandler,
  revokeAccessToken,
  type AuthRoutesOptions,
  type AuthRoutesHandler,
} from './auth-routes';
export { requireRole } from './require-role';
export { requireFreshLogin } from './require-fresh-login';
export { errorHandler, type ErrorHandlerOptions } from './error-handler';
export { BaseController, type HandleExceptionOptions } from './base-controller';
export { jwksRouter, JWKS_PATH, type JwksPublisher } from './jwks-router';
export {
  setAuthCookies,
  clearAuthCookies,
  type AuthCookieOptions,
  type CookieSettings,
} from '../security/http/cookies';
export { createCsrfToken, CsrfError, type CsrfOptions } from '../security/http/csrf';
