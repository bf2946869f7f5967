/**
 * `auth-sdk-m8/nest`: NestJS 10 and 11 (on `@nestjs/platform-express` and
 * `@nestjs/platform-fastify`) over the framework-free pipeline and flows — `AuthModule`, the
 * guards and decorators, the auth routes, the exception filter. No decorator metadata is
 * needed from the build: every injected parameter names its token.
 */
export { AuthModule, type AuthModuleAsyncOptions, type AuthModuleSetup } from './auth-module';
export type { AuthModuleOptions } from './options';
export { AuthGuard, RolesGuard } from './auth-guard';
export {
  Public,
  RequireRole,
  RequireFreshLogin,
  CurrentUser,
  Claims,
  IS_PUBLIC_KEY,
  REQUIRED_ROLE_KEY,
  FRESH_LOGIN_KEY,
} from './decorators';
export { AuthFlowsService } from './auth-flows.service';
export { AuthExceptionFilter, type AuthExceptionFilterOptions } from './exception-filter';
export type { NestRequest } from './http';
export {
  AUTH_OPTIONS,
  AUTH_POLICY,
  AUTH_ISSUER,
  AUTH_REFRESH_POLICY,
  AUTH_FLOWS,
  AUTH_AUTHENTICATOR,
} from './tokens';
