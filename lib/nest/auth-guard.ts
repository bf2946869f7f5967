/**
 * `AuthGuard`: the one request pipeline as a Nest guard (global through `APP_GUARD`, or
 * `@UseGuards(AuthGuard)`), with `@Public()` and `@RequireRole()`. `RolesGuard`: `@RequireRole()` alone, for
 * routes a Passport guard authenticated. Both throw the package's typed errors; the module's
 * `AuthExceptionFilter` answers them.
 */
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError, ConfigurationError } from '../core/errors';
import { withRealm } from '../core/error-response';
import { requireRoleCheck } from '../core/roles';
import type { RoleName } from '../core/types';
import type { RequestAuthenticator } from '../security/http/request-authenticator';
import { IS_PUBLIC_KEY, REQUIRED_ROLE_KEY } from './decorators';
import type { NestRequest } from './http';
import { AUTH_AUTHENTICATOR } from './tokens';

type RoleCheck = ReturnType<typeof requireRoleCheck>;

/** The key `@UseGuards()` stores its guards under (Nest's `GUARDS_METADATA`, not exported from the root). */
const GUARDS_METADATA = '__guards__';

/** Reads `@Public()` / `@RequireRole()` and checks roles; the compiled check is kept per role. */
class RouteRules {
  private readonly checks = new Map<RoleName, RoleCheck>();

  constructor(
    private readonly reflector: Reflector,
    private readonly realm: string,
  ) {}

  isPublic(context: ExecutionContext): boolean {
    return this.read<boolean>(IS_PUBLIC_KEY, context) === true;
  }

  /** 401 without claims, 403 when the role is too low; nothing without `@RequireRole()`. */
  checkRole(context: ExecutionContext, request: NestRequest): void {
    const role = this.read<RoleName>(REQUIRED_ROLE_KEY, context);
    if (role === undefined) return;
    let check = this.checks.get(role);
    if (check === undefined) {
      check = requireRoleCheck(role);
      this.checks.set(role, check);
    }
    try {
      check(request.auth);
    } catch (err) {
      throw err instanceof AuthError ? withRealm(err, this.realm) : err;
    }
  }

  /** `RolesGuard` among the route's own guards (`@UseGuards()` on it or its controller). */
  hasRolesGuard(context: ExecutionContext): boolean {
    const guards = this.reflector.getAllAndMerge<unknown[]>(GUARDS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    return guards.some((guard) => guard === RolesGuard || guard instanceof RolesGuard);
  }

  private read<T>(key: string, context: ExecutionContext): T | undefined {
    return this.reflector.getAllAndOverride<T | undefined>(key, [
      context.getHandler(),
      context.getClass(),
    ]);
  }
}

function httpRequest(context: ExecutionContext): NestRequest {
  // Fail closed: a guard that cannot see an HTTP request must not let it through.
  if (context.getType() !== 'http') {
    throw new ConfigurationError('auth-sdk-m8 guards protect HTTP routes only.');
  }
  return context.switchToHttp().getRequest<NestRequest>();
}

/**
 * Authenticates every request it guards: `request.user` (the `UserModel`) and `request.auth`
 * (the claims) on success, else the pipeline's typed error (401 / 400 / 403 / 503). Then
 * `@RequireRole()`. A `@Public()` route is let through unauthenticated; its `@RequireRole()`, if
 * any, answers 401, unless the route's own guards include `RolesGuard` (another guard, e.g.
 * `@nestjs/passport`'s, authenticates it, and `RolesGuard` checks the role after it).
 */
export class AuthGuard implements CanActivate {
  private readonly rules: RouteRules;

  constructor(
    reflector: Reflector,
    private readonly authenticateRequest: RequestAuthenticator,
  ) {
    this.rules = new RouteRules(reflector, authenticateRequest.realm);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = httpRequest(context);
    if (!this.rules.isPublic(context)) {
      const found = await this.authenticateRequest(request);
      if (found !== undefined) {
        request.user = found.user;
        request.auth = found.claims;
      }
    } else if (this.rules.hasRolesGuard(context)) {
      return true;
    }
    this.rules.checkRole(context, request);
    return true;
  }
}

/**
 * `@RequireRole()` over a request another guard authenticated (`@nestjs/passport`'s
 * `AuthGuard('jwt')` with the package's strategy sets `request.auth`): 401 when none did.
 */
export class RolesGuard implements CanActivate {
  private readonly rules: RouteRules;

  constructor(reflector: Reflector, authenticateRequest: Pick<RequestAuthenticator, 'realm'>) {
    this.rules = new RouteRules(reflector, authenticateRequest.realm);
  }

  canActivate(context: ExecutionContext): boolean {
    this.rules.checkRole(context, httpRequest(context));
    return true;
  }
}

// Decorators applied as calls: the package's build emits no decorator metadata, and needs
// none, since every constructor parameter names its token.
for (const guard of [AuthGuard, RolesGuard]) {
  Injectable()(guard);
  Inject(Reflector)(guard, undefined, 0);
  Inject(AUTH_AUTHENTICATOR)(guard, undefined, 1);
}
