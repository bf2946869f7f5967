/**
 * `auth-sdk-m8/express`: Express 4/5 and Connect adapters over the framework-free core.
 * Importing this entry also types `req.auth` and `req.user` (see `augment.ts`).
 */
import './augment';

export { authenticate } from './authenticate';
export type { AuthenticateOptions } from './authenticate';
export type { AccessTokenPolicy, AccessTokenValidator, VerifierSource } from './access-verifier';
export { requireRole } from './require-role';
export { errorHandler } from './error-handler';
export type { ErrorHandlerOptions } from './error-handler';
export { BaseController } from './base-controller';
export type { HandleExceptionOptions } from './base-controller';
export {
  setAuthCookies,
  clearAuthCookies,
  DEFAULT_REFRESH_COOKIE,
  DEFAULT_REFRESH_PATH,
} from './cookies';
export type { AuthCookieOptions, CookieSettings } from './cookies';
export {
  createCsrfCheck,
  createCsrfToken,
  CsrfError,
  DEFAULT_CSRF_COOKIE,
  DEFAULT_CSRF_HEADER,
} from './csrf';
export type { CsrfOptions } from './csrf';
export { jwksRouter, JWKS_PATH } from './jwks-router';
export type { JwksPublisher } from './jwks-router';
export { toErrorResponse } from '../core/error-response';
export type { ErrorResponse, ErrorResponseOptions } from '../core/error-response';
export { extractToken, DEFAULT_ACCESS_COOKIE } from '../core/extract-token';
export {
  AuthError,
  InvalidTokenError,
  InsufficientScopeError,
  InvalidRequestError,
  StoreUnavailableError,
  ConfigurationError,
} from '../core/errors';
