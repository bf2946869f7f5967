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
 * `@RequireRole()`. A `@Public()` route is let through unauthenticated (its `@RequireRole()`, if any,
 * then answers 401).
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
