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
type RouteHandler = ReturnType<ExecutionContext['getHandler']>;
type Controller = ReturnType<ExecutionContext['getClass']>;

/** The key `@UseGuards()` stores its guards under (Nest's `GUARDS_METADATA`, not exported from the root). */
const GUARDS_METADATA = '__guards__';

/** What the guards read of the module's options. */
interface GuardOptions {
  /** Milliseconds since the epoch: the fresh-login check's clock (default `Date.now`). */
  clock?: (() => number) | undefined;
}

/** What a route's decorators ask of the guards, read once per route. */
interface Rules {
  isPublic: boolean;
  /** `RolesGuard` among the route's own guards (`@UseGuards()` on it or its controller). */
  hasRolesGuard: boolean;
  /**
   * `@RequireRole()` (403 too low), then `@RequireFreshLogin()` (401 login too old); either
   * answers 401 without verified claims. Undefined when the route has neither.
   */
  check: ClaimsCheck | undefined;
}

/**
 * The rules of each route (controller class and handler), compiled on its first request:
 * decorators cannot change once the app runs, so no request reads the metadata again.
 */
class RouteRules {
  private readonly byClass = new WeakMap<object, WeakMap<object, Rules>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly realm: string,
    private readonly clock: (() => number) | undefined,
  ) {}

  of(context: ExecutionContext): Rules {
    const controller = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.byClass.get(controller);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.byClass.set(controller, byHandler);
    }
    let rules = byHandler.get(handler);
    if (rules === undefined) {
      rules = this.compile([handler, controller]);
      byHandler.set(handler, rules);
    }
    return rules;
  }

  private compile(targets: [RouteHandler, Controller]): Rules {
    const read = <T>(key: string): T | undefined =>
      this.reflector.getAllAndOverride<T | undefined>(key, targets);
    const guards = this.reflector.getAllAndMerge<unknown[]>(GUARDS_METADATA, targets);
    const role = read<RoleName>(REQUIRED_ROLE_KEY);
    const maxAgeSeconds = read<number>(FRESH_LOGIN_KEY);
    const checks: ClaimsCheck[] = [];
    if (role !== undefined) checks.push(requireRoleCheck(role));
    if (maxAgeSeconds !== undefined) {
      checks.push(requireFreshLoginCheck({ maxAgeSeconds, clock: this.clock }));
    }
    const realm = this.realm;
    return {
      isPublic: read<boolean>(IS_PUBLIC_KEY) === true,
      hasRolesGuard: guards.some((guard) => guard === RolesGuard || guard instanceof RolesGuard),
      check:
        checks.length === 0
          ? undefined
          : (claims) => {
              try {
                for (const check of checks) check(claims);
              } catch (err) {
                throw err instanceof AuthError ? withRealm(err, realm) : err;
              }
            },
    };
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
    const rules = this.rules.of(context);
    if (!rules.isPublic) {
      const found = await this.authenticateRequest(request);
      if (found !== undefined) {
        request.user = found.user;
        request.auth = found.claims;
      }
    } else if (rules.hasRolesGuard) {
      return true;
    }
    rules.check?.(request.auth);
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
    const request = httpRequest(context);
    this.rules.of(context).check?.(request.auth);
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
