/**
 * The route decorators the guards read (`@Public()`, `@RequireRole()`, `@RequireFreshLogin()`)
 * and the parameter decorators that hand the verified request to a handler (`@CurrentUser()`,
 * `@Claims()`).
 */
import {
  SetMetadata,
  createParamDecorator,
  type CustomDecorator,
  type ExecutionContext,
} from '@nestjs/common';
import { requireFreshLoginCheck } from '../core/fresh-login';
import { requireRoleCheck } from '../core/roles';
import type { RoleName, TokenUserData } from '../core/types';
import type { NestRequest } from './http';

export const IS_PUBLIC_KEY = 'auth-sdk-m8:public';
export const REQUIRED_ROLE_KEY = 'auth-sdk-m8:role';
export const FRESH_LOGIN_KEY = 'auth-sdk-m8:fresh-login';

/** The route (or every route of the controller) needs no access token: the guard lets it through. */
export function Public(): CustomDecorator<string> {
  return SetMetadata(IS_PUBLIC_KEY, true);
}

/**
 * The route needs at least `role` (superadmin > admin > writer > reader > user), as Express's
 * `requireRole()`; the role names are the root entry's `Roles` (`@RequireRole(Roles.ADMIN)`): 403
 * `insufficient_scope` below it, 401 without a verified token. On a handler or a controller
 * (the handler's wins). An unknown role is a `ConfigurationError` where the decorator is
 * written, not at the first request.
 */
export function RequireRole(role: RoleName): CustomDecorator<string> {
  requireRoleCheck(role);
  return SetMetadata(REQUIRED_ROLE_KEY, role);
}

/**
 * Step-up for a sensitive route (password change, account deletion), as Express's
 * `requireFreshLogin()`: the token's login (`auth_time`) must be at most `maxAgeSeconds` old
 * on the module's clock, else 401 `insufficient_user_authentication` with `max_age` (RFC 9470).
 * On a handler or a controller (the handler's wins); a bad `maxAgeSeconds` is a
 * `ConfigurationError` where the decorator is written.
 */
export function RequireFreshLogin(options: { maxAgeSeconds: number }): CustomDecorator<string> {
  requireFreshLoginCheck(options);
  return SetMetadata(FRESH_LOGIN_KEY, options.maxAgeSeconds);
}

/**
 * The authenticated user: the `UserModel` the guard built (or what a Passport strategy's
 * `validate()` returned). `undefined` on a `@Public()` route.
 */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): unknown =>
    context.switchToHttp().getRequest<NestRequest>().user,
);

/**
 * The verified access-token claims (`TokenUserData`), or one of them: `@Claims('email')`.
 * `undefined` on a `@Public()` route.
 */
export const Claims = createParamDecorator(
  (name: keyof TokenUserData | undefined, context: ExecutionContext): unknown => {
    const claims = context.switchToHttp().getRequest<NestRequest>().auth;
    return name === undefined ? claims : claims?.[name];
  },
);
