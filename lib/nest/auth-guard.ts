/**
 * `AuthGuard`: the one request pipeline as a Nest guard (global through `APP_GUARD`, or
 * `@UseGuards(AuthGuard)`), with `@Public()`, `@RequireRole()` and `@RequireFreshLogin()`.
 * `RolesGuard`: the last two alone, for routes another guard (a Passport one) authenticated.
 * Both throw the package's typed errors; the module's `AuthExceptionFilter` answers them.
 */
import {
  Inject,
  Injectable,
  Optional,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError, ConfigurationError } from '../core/errors';
import { withRealm } from '../core/error-response';
import { requireFreshLoginCheck } from '../core/fresh-login';
import { requireRoleCheck } from '../core/roles';
import type { RoleName } from '../core/types';
import type { RequestAuthenticator } from '../security/http/request-authenticator';
import { FRESH_LOGIN_KEY, IS_PUBLIC_KEY, REQUIRED_ROLE_KEY } from './decorators';
import type { NestRequest } from './http';
import { AUTH_AUTHENTICATOR, AUTH_OPTIONS } from './tokens';

type ClaimsCheck = (claims: NestRequest['auth']) => void;

/** The key `@UseGuards()` stores its guards under (Nest's `GUARDS_METADATA`, not exported from the root). */
const GUARDS_METADATA = '__guards__';

/** What the guards read of the module's options. */
interface GuardOptions {
  /** Milliseconds since the epoch: the fresh-login check's clock (default `Date.now`). */
  clock?: (() => number) | undefined;
}

/** Reads the route's decorators and runs its checks, each compiled once per value. */
class RouteRules {
  private readonly checks = new Map<string, ClaimsCheck>();

  constructor(
    private readonly reflector: Reflector,
    private readonly realm: string,
    private readonly clock: (() => number) | undefined,
  ) {}

  isPublic(context: ExecutionContext): boolean {
    return this.read<boolean>(IS_PUBLIC_KEY, context) === true;
  }

  /** `RolesGuard` among the route's own guards (`@UseGuards()` on it or its controller). */
  hasRolesGuard(context: ExecutionContext): boolean {
    const guards = this.reflector.getAllAndMerge<unknown[]>(GUARDS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    return guards.some((guard) => guard === RolesGuard || guard instanceof RolesGuard);
  }

  /**
   * `@RequireRole()` (403 too low), then `@RequireFreshLogin()` (401 login too old); either
   * answers 401 without verified claims. Nothing without them.
   */
  check(context: ExecutionContext, request: NestRequest): void {
    const role = this.read<RoleName>(REQUIRED_ROLE_KEY, context);
    const maxAgeSeconds = this.read<number>(FRESH_LOGIN_KEY, context);
    try {
      if (role !== undefined) {
        this.compiled(`role:${role}`, () => requireRoleCheck(role))(request.auth);
      }
      if (maxAgeSeconds !== undefined) {
        this.compiled(`fresh:${maxAgeSeconds}`, () =>
          requireFreshLoginCheck({ maxAgeSeconds, clock: this.clock }),
        )(request.auth);
      }
    } catch (err) {
      throw err instanceof AuthError ? withRealm(err, this.realm) : err;
    }
  }

  private compiled(key: string, make: () => ClaimsCheck): ClaimsCheck {
    let check = this.checks.get(key);
    if (check === undefined) {
      check = make();
      this.checks.set(key, check);
    }
    return check;
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
 * `@RequireRole()` and `@RequireFreshLogin()`. A `@Public()` route is let through
 * unauthenticated; those checks, if any, then answer 401, unless the route's own guards include
 * `RolesGuard` (another guard, e.g. `@nestjs/passport`'s, authenticates it, and `RolesGuard`
 * checks after it).
 */
export class AuthGuard implements CanActivate {
  private readonly rules: RouteRules;

  constructor(
    reflector: Reflector,
    private readonly authenticateRequest: RequestAuthenticator,
    options?: GuardOptions | null,
  ) {
    this.rules = new RouteRules(reflector, authenticateRequest.realm, options?.clock);
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
    this.rules.check(context, request);
    return true;
  }
}

/**
 * `@RequireRole()` and `@RequireFreshLogin()` over a request another guard authenticated
 * (`@nestjs/passport`'s `AuthGuard('jwt')` with the package's strategy sets `request.auth`):
 * 401 when none did.
 */
export class RolesGuard implements CanActivate {
  private readonly rules: RouteRules;

  constructor(
    reflector: Reflector,
    authenticateRequest: Pick<RequestAuthenticator, 'realm'>,
    options?: GuardOptions | null,
  ) {
    this.rules = new RouteRules(reflector, authenticateRequest.realm, options?.clock);
  }

  canActivate(context: ExecutionContext): boolean {
    this.rules.check(context, httpRequest(context));
    return true;
  }
}

// Decorators applied as calls: the package's build emits no decorator metadata, and needs
// none, since every constructor parameter names its token.
for (const guard of [AuthGuard, RolesGuard]) {
  Injectable()(guard);
  Inject(Reflector)(guard, undefined, 0);
  Inject(AUTH_AUTHENTICATOR)(guard, undefined, 1);
  Optional()(guard, undefined, 2);
  Inject(AUTH_OPTIONS)(guard, undefined, 2);
}
