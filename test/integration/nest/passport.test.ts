/**
 * `@nestjs/passport` over the package's strategies, on both platforms: a
 * `PassportStrategy(JwtStrategy)` subclass's `validate()` runs (where a Nest app refuses a
 * banned account), a refused token answers the package's 401 with its challenge and body (not
 * Nest's bare one), an outage 503, `RolesGuard` after Passport's guard (the global `AuthGuard`
 * stepping aside on those `@Public()` routes), and the refresh strategy.
 */
import { randomUUID } from 'node:crypto';
import {
  Controller,
  ForbiddenException,
  Get,
  Inject,
  Injectable,
  Module,
  Post,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard as PassportAuthGuard, PassportStrategy } from '@nestjs/passport';
import request from 'supertest';
import {
  InsufficientScopeError,
  type AuthFlows,
  type AuthUser,
  type TokenPolicy,
  type TokenUserData,
} from 'auth-sdk-m8';
import {
  AUTH_FLOWS,
  AUTH_POLICY,
  AuthGuard,
  AuthModule,
  CurrentUser,
  Public,
  RequireRole,
  RolesGuard,
} from 'auth-sdk-m8/nest';
import { JwtStrategy, RefreshStrategy } from 'auth-sdk-m8/passport';
import { MemorySessionStore } from 'auth-sdk-m8/stores/memory';
import { expectAuthFailure, missingTokenBody } from '../../helpers/auth-failure';
import { FaultyRevocationStore } from '../../helpers/faulty-stores';
import { hsFlowParts, quietLogger } from '../../helpers/flow-parts';
import { HS_SECRET } from '../../helpers/keys';
import { accessClaims, mint } from '../../helpers/mint-token';
import { PLATFORMS, startNest, type NestHarness, type Platform } from './nest-fixture';

const DANA: AuthUser = {
  sub: randomUUID(),
  email: 'dana@example.com',
  role: 'user',
  is_active: true,
};
const PASSWORD = 'correct horse battery staple';

/** What the app's `validate()` saw, per platform. */
const validated: string[] = [];

function appModule(platform: Platform, revocations: FaultyRevocationStore): Type<unknown> {
  const jwtName = `nest-jwt-${platform}`;
  const refreshName = `nest-refresh-${platform}`;

  @Injectable()
  class AccountJwtStrategy extends PassportStrategy(JwtStrategy, jwtName) {
    constructor(@Inject(AUTH_POLICY) policy: TokenPolicy) {
      super({ policy });
    }

    validate(claims: TokenUserData) {
      validated.push(claims.email);
      if (claims.email === 'banned@example.com') return null;
      if (claims.email === 'suspended@example.com') {
        throw new InsufficientScopeError('Account suspended');
      }
      if (claims.email === 'locked@example.com') throw new ForbiddenException('Account locked');
      return { id: claims.sub, email: claims.email, plan: 'pro' };
    }
  }

  @Injectable()
  class RotatingRefreshStrategy extends PassportStrategy(RefreshStrategy, refreshName) {
    constructor(@Inject(AUTH_FLOWS) flows: AuthFlows) {
      super({ flows });
    }

    validate(pair: Record<string, unknown>) {
      return { rotated: true, expires_in: pair.expires_in };
    }
  }

  // The global AuthGuard steps aside: Passport's guard authenticates, RolesGuard checks after it.
  @Public()
  @Controller('p')
  class PassportController {
    @UseGuards(PassportAuthGuard(jwtName))
    @Get('me')
    me(@CurrentUser() user: unknown) {
      return user;
    }

    @UseGuards(PassportAuthGuard(jwtName), RolesGuard)
    @RequireRole('admin')
    @Get('admin')
    admin() {
      return { admin: true };
    }

    @UseGuards(RolesGuard)
    @RequireRole('reader')
    @Get('unauthenticated')
    unauthenticated() {
      return { reached: true };
    }

    @UseGuards(PassportAuthGuard(refreshName))
    @Post('refresh')
    refresh(@CurrentUser() user: unknown) {
      return user;
    }
  }

  const { issuer, policy, refreshPolicy } = hsFlowParts({ revocationStore: revocations });
  @Module({
    imports: [
      AuthModule.forRoot({
        policy,
        issuer,
        refreshPolicy,
        sessions: new MemorySessionStore(),
        findUser: (id) => (id === DANA.sub ? DANA : undefined),
        verifyCredentials: async (email, password) =>
          email === DANA.email && password === PASSWORD ? DANA : null,
        logger: quietLogger,
      }),
    ],
    controllers: [PassportController],
    providers: [
      { provide: APP_GUARD, useClass: AuthGuard },
      AccountJwtStrategy,
      RotatingRefreshStrategy,
    ],
  })
  class PassportAppModule {}
  return PassportAppModule;
}

describe.each(PLATFORMS)('@nestjs/passport with the package strategies (%s)', (platform) => {
  let nest: NestHarness;
  let revocations: FaultyRevocationStore;
  const http = () => request(nest.server as Parameters<typeof request>[0]);
  const bearer = (email: string, overrides: Record<string, unknown> = {}) =>
    `Bearer ${mint(accessClaims({ sub: DANA.sub, email, ...overrides }), { key: HS_SECRET })}`;

  beforeAll(async () => {
    revocations = new FaultyRevocationStore();
    nest = await startNest(platform, appModule(platform, revocations));
  });
  afterAll(() => nest.close());
  beforeEach(() => {
    validated.length = 0;
    revocations.fault = 'none';
  });

  it("runs the subclass's validate(): its result is the user", async () => {
    const res = await http().get('/p/me').set('authorization', bearer('dana@example.com'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: DANA.sub, email: 'dana@example.com', plan: 'pro' });
    expect(validated).toEqual(['dana@example.com']);
  });

  it("answers a refused token with the package's 401, challenge and body", async () => {
    const expired = bearer('dana@example.com', { exp: Math.floor(Date.now() / 1000) - 60, iat: 1 });
    const res = await http().get('/p/me').set('authorization', expired);
    expectAuthFailure(res, {
      status: 401,
      challenge:
        'Bearer realm="api", error="invalid_token", error_description="Access token expired"',
      msg: 'Access token expired',
      fromError: 'InvalidTokenError',
      reason: 'expired',
    });
    expect(validated).toEqual([]);
    const missing = await http().get('/p/me');
    expectAuthFailure(missing, {
      status: 401,
      challenge: 'Bearer realm="api"',
      body: missingTokenBody,
    });
  });

  it('answers a user validate() refused (null) 401 invalid_token', async () => {
    const res = await http().get('/p/me').set('authorization', bearer('banned@example.com'));
    expectAuthFailure(res, {
      status: 401,
      challenge:
        'Bearer realm="api", error="invalid_token", error_description="Invalid access token"',
      msg: 'Invalid access token',
      reason: 'invalid',
    });
    expect(validated).toEqual(['banned@example.com']);
  });

  it("answers an AuthError from validate() with its own status; Nest's exceptions stay Nest's", async () => {
    const suspended = await http()
      .get('/p/me')
      .set('authorization', bearer('suspended@example.com'));
    expectAuthFailure(suspended, {
      status: 403,
      challenge: { includes: 'error="insufficient_scope"' },
      msg: 'Account suspended',
      fromError: 'InsufficientScopeError',
    });
    const locked = await http().get('/p/me').set('authorization', bearer('locked@example.com'));
    expect(locked.status).toBe(403);
    expect(locked.body).toEqual({ statusCode: 403, message: 'Account locked', error: 'Forbidden' });
  });

  it('answers an outage 503 with Retry-After, never 401', async () => {
    revocations.fault = 'throw';
    const res = await http().get('/p/me').set('authorization', bearer('dana@example.com'));
    expectAuthFailure(res, { status: 503, challenge: null, fromError: 'StoreUnavailableError' });
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
  });

  it("RolesGuard reads the strategy's claims: 403 too low, 200 admin, 401 with no authentication", async () => {
    const low = await http().get('/p/admin').set('authorization', bearer('dana@example.com'));
    expectAuthFailure(low, { status: 403, challenge: { includes: 'insufficient_scope' } });
    const admin = await http()
      .get('/p/admin')
      .set('authorization', bearer('dana@example.com', { role: 'admin' }));
    expect(admin.status).toBe(200);
    const none = await http().get('/p/unauthenticated');
    expectAuthFailure(none, {
      status: 401,
      challenge: 'Bearer realm="api"',
      body: missingTokenBody,
    });
  });

  it("runs the refresh strategy's validate(), and refuses a bad refresh token with the package's 401", async () => {
    const login = await http()
      .post('/auth/login')
      .set('content-type', 'application/json')
      .send({ email: DANA.email, password: PASSWORD });
    const res = await http()
      .post('/p/refresh')
      .set('content-type', 'application/json')
      .send({ refresh_token: login.body.refresh_token });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ rotated: true, expires_in: expect.any(Number) });
    const reused = await http()
      .post('/p/refresh')
      .set('content-type', 'application/json')
      .send({ refresh_token: 'not.a.token' });
    expectAuthFailure(reused, {
      status: 401,
      challenge: { includes: 'error="invalid_token"' },
      fromError: 'InvalidTokenError',
    });
  });
});
