/**
 * `auth-sdk-m8/nest` on both platforms, as Nest tests apps (`Test.createTestingModule`,
 * `app.init()`, supertest) and over a real listener: the global guard with `@Public()` and
 * `@RequireRole()`, the parameter decorators, every auth route, every error status with the Python
 * body and its headers, the exception filter's line between the package's errors and Nest's,
 * the tokens for the app's own providers, `AuthFlowsService` under an app's own controller.
 */
import { randomUUID } from 'node:crypto';
import {
  Controller,
  ForbiddenException,
  Get,
  Inject,
  Module,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import request from 'supertest';
import {
  RefreshRateLimiter,
  type AuthUser,
  type RefreshTokenPolicy,
  type TokenIssuer,
  type TokenPolicy,
  type TokenUserData,
  type UserModel,
} from 'auth-sdk-m8';
import {
  AUTH_FLOWS,
  AUTH_ISSUER,
  AUTH_POLICY,
  AUTH_REFRESH_POLICY,
  AuthFlowsService,
  AuthGuard,
  AuthModule,
  Claims,
  CurrentUser,
  Public,
  RequireRole,
  type NestRequest,
} from 'auth-sdk-m8/nest';
import { MemoryRateLimitStore, MemorySessionStore } from 'auth-sdk-m8/stores/memory';
import { expectAuthFailure, missingTokenBody } from '../../helpers/auth-failure';
import { FaultyRefreshTokenStore, FaultyRevocationStore } from '../../helpers/faulty-stores';
import { hsFlowParts, quietLogger } from '../../helpers/flow-parts';
import { HS_SECRET } from '../../helpers/keys';
import { accessClaims, mint } from '../../helpers/mint-token';
import { PLATFORMS, listenNest, startNest, type NestHarness } from './nest-fixture';

const PASSWORD = 'correct horse battery staple';
const ALICE: AuthUser = {
  sub: randomUUID(),
  email: 'alice@example.com',
  role: 'user',
  is_active: true,
};
const BOB: AuthUser = {
  sub: randomUUID(),
  email: 'bob@example.com',
  role: 'user',
  is_active: true,
};
const ADMIN: AuthUser = {
  sub: randomUUID(),
  email: 'root@example.com',
  role: 'admin',
  is_active: true,
};
const USERS = new Map([ALICE, BOB, ADMIN].map((u) => [u.sub, u]));

@Controller()
class AppController {
  constructor(
    @Inject(AUTH_POLICY) private readonly policy: TokenPolicy,
    @Inject(AUTH_ISSUER) private readonly issuer: TokenIssuer | null,
    @Inject(AUTH_REFRESH_POLICY) private readonly refreshPolicy: RefreshTokenPolicy | null,
    @Inject(AUTH_FLOWS) private readonly flows: unknown,
  ) {}

  @Get('me')
  me(
    @CurrentUser() user: UserModel,
    @Claims('email') email: string,
    @Claims() claims: TokenUserData,
  ) {
    return { id: user.id, email, jti: claims.jti };
  }

  @Public()
  @Get('healthz')
  health(@CurrentUser() user: unknown) {
    return { status: 'ok', user: user ?? null };
  }

  @Public()
  @Get('injected')
  injected() {
    return {
      tokenMode: this.policy.tokenMode,
      issuer: this.issuer !== null,
      refreshPolicy: this.refreshPolicy !== null,
      flows: this.flows !== null,
    };
  }

  @RequireRole('admin')
  @Get('admin')
  admin(@Claims('role') role: string) {
    return { role };
  }

  @Public()
  @RequireRole('admin')
  @Get('public-admin')
  publicAdmin() {
    return { reached: true };
  }

  @Get('nest-error')
  nestError(): never {
    throw new ForbiddenException('Not yours');
  }

  @Public()
  @Get('bug')
  bug(): never {
    throw new Error('a bug with a secret: hunter2');
  }
}

@RequireRole('writer')
@Controller('articles')
class ArticlesController {
  @Get()
  list() {
    return { list: true };
  }

  @RequireRole('reader')
  @Get('preview')
  preview() {
    return { preview: true };
  }
}

/** An app's own login route over the service (its own path, its own controller). */
@Public()
@Controller('custom')
class CustomAuthController {
  // An explicit token: the import is then a value, which the type-import lint keeps.
  constructor(@Inject(AuthFlowsService) private readonly auth: AuthFlowsService) {}

  @Post('sign-in')
  signIn(@Req() req: NestRequest, @Res() res: unknown): Promise<void> {
    return this.auth.login(req, res);
  }
}

interface World {
  revocations: FaultyRevocationStore;
  refreshStore: FaultyRefreshTokenStore;
  sessions: MemorySessionStore;
}

function appModule(world: World) {
  const { issuer, policy, refreshPolicy } = hsFlowParts({
    revocationStore: world.revocations,
    refreshStore: world.refreshStore,
  });
  @Module({
    imports: [
      AuthModule.forRoot({
        policy,
        issuer,
        refreshPolicy,
        sessions: world.sessions,
        findUser: (id) => USERS.get(id),
        verifyCredentials: async (email, password) =>
          password === PASSWORD
            ? ([...USERS.values()].find((u) => u.email === email) ?? null)
            : null,
        rateLimit: new RefreshRateLimiter({
          store: new MemoryRateLimitStore(),
          perFamily: { max: 3, windowSeconds: 60 },
          logger: quietLogger,
        }),
        logger: quietLogger,
      }),
    ],
    controllers: [AppController, ArticlesController, CustomAuthController],
    providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
  })
  class AppModule {}
  return AppModule;
}

const json = { 'content-type': 'application/json' };

describe.each(PLATFORMS)('AuthModule on Nest (%s)', (platform) => {
  let world: World;
  let nest: NestHarness;
  const http = () => request(nest.server as Parameters<typeof request>[0]);
  const login = async (user: AuthUser) => {
    const res = await http()
      .post('/auth/login')
      .set(json)
      .send({ email: user.email, password: PASSWORD });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string; session_id: string };
  };
  const token = (overrides: Record<string, unknown> = {}) =>
    mint(accessClaims({ sub: ALICE.sub, email: ALICE.email, ...overrides }), { key: HS_SECRET });

  beforeAll(async () => {
    world = {
      revocations: new FaultyRevocationStore(),
      refreshStore: new FaultyRefreshTokenStore(),
      sessions: new MemorySessionStore(),
    };
    nest = await startNest(platform, appModule(world));
  });
  afterAll(() => nest.close());
  beforeEach(() => {
    world.revocations.fault = 'none';
    world.refreshStore.fault = 'none';
  });

  describe('the global guard and the decorators', () => {
    it('answers a request without a token 401 with the bare challenge and the Python body', async () => {
      const res = await http().get('/me');
      expectAuthFailure(res, {
        status: 401,
        challenge: 'Bearer realm="api"',
        body: missingTokenBody,
      });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('hands the verified user and claims to the handler', async () => {
      const claims = accessClaims({ sub: ALICE.sub, email: ALICE.email });
      const res = await http()
        .get('/me')
        .set('authorization', `Bearer ${mint(claims, { key: HS_SECRET })}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: ALICE.sub, email: ALICE.email, jti: claims.jti });
    });

    it.each([
      [
        'expired',
        { exp: Math.floor(Date.now() / 1000) - 60, iat: 1 },
        'Access token expired',
        'expired',
      ],
      ['of the wrong type', { type: 'refresh' }, 'Not an access token', 'wrong_type'],
    ])('refuses a token %s: 401 invalid_token', async (_name, overrides, msg, reason) => {
      const res = await http()
        .get('/me')
        .set('authorization', `Bearer ${token(overrides)}`);
      expectAuthFailure(res, {
        status: 401,
        challenge: `Bearer realm="api", error="invalid_token", error_description="${msg}"`,
        msg,
        fromError: 'InvalidTokenError',
        reason,
      });
    });

    it('reads only the Authorization header outside cookie mode; a malformed one is 401', async () => {
      const t = token();
      const withCookie = await http()
        .get('/me')
        .set('authorization', `Bearer ${t}`)
        .set('cookie', `access_token=${t}`);
      expect(withCookie.status).toBe(200);
      const twice = await http().get('/me').set('authorization', `Bearer ${t}, Bearer ${t}`);
      expectAuthFailure(twice, {
        status: 401,
        challenge: { includes: 'error="invalid_token"' },
        reason: 'invalid',
      });
    });

    it('answers a revocation store outage 503 with Retry-After, never 401', async () => {
      world.revocations.fault = 'throw';
      const res = await http().get('/me').set('authorization', `Bearer ${token()}`);
      expectAuthFailure(res, {
        status: 503,
        challenge: null,
        msg: 'Service temporarily unavailable. Retry later.',
        fromError: 'StoreUnavailableError',
      });
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
    });

    it('lets @Public() routes through without a token', async () => {
      const res = await http().get('/healthz');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', user: null });
    });

    it('@RequireRole(): 403 insufficient_scope below the role, 200 at or above it', async () => {
      const low = await http().get('/admin').set('authorization', `Bearer ${token()}`);
      expectAuthFailure(low, {
        status: 403,
        challenge: { includes: ['error="insufficient_scope"', 'realm="api"'] },
        msg: 'The admin role is required',
        fromError: 'InsufficientScopeError',
      });
      const high = await http()
        .get('/admin')
        .set('authorization', `Bearer ${token({ role: 'superadmin' })}`);
      expect(high.status).toBe(200);
      expect(high.body).toEqual({ role: 'superadmin' });
    });

    it("@RequireRole() on a controller, overridden by a handler's", async () => {
      const reader = `Bearer ${token({ role: 'reader' })}`;
      expect((await http().get('/articles').set('authorization', reader)).status).toBe(403);
      expect((await http().get('/articles/preview').set('authorization', reader)).status).toBe(200);
      const writer = `Bearer ${token({ role: 'writer' })}`;
      expect((await http().get('/articles').set('authorization', writer)).status).toBe(200);
    });

    it('@RequireRole() on a @Public() route without a token: 401 (requireRole without authentication)', async () => {
      const res = await http().get('/public-admin');
      expectAuthFailure(res, {
        status: 401,
        challenge: 'Bearer realm="api"',
        body: missingTokenBody,
      });
    });
  });

  describe('the exception filter', () => {
    it("leaves Nest's own HttpExceptions to Nest (body and status)", async () => {
      const res = await http().get('/nest-error').set('authorization', `Bearer ${token()}`);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ statusCode: 403, message: 'Not yours', error: 'Forbidden' });
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it("leaves an unknown route to Nest's 404", async () => {
      const res = await http().get('/nowhere').set('authorization', `Bearer ${token()}`);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ statusCode: 404 });
    });

    it('answers an unexpected error 500 with the fixed Python message, nothing echoed', async () => {
      const res = await http().get('/bug');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        success: false,
        msg: 'An unexpected error occurred.',
        from_error: 'Exception',
        errors: [],
        status_code: 500,
      });
      expect(JSON.stringify(res.body)).not.toContain('hunter2');
    });
  });

  describe('the auth routes', () => {
    it('logs in: the pair, a session, Cache-Control no-store', async () => {
      const res = await http()
        .post('/auth/login')
        .set(json)
        .send({ email: ALICE.email, password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({ token_type: 'bearer', expires_in: expect.any(Number) });
      expect(typeof res.body.session_id).toBe('string');
      const me = await http().get('/me').set('authorization', `Bearer ${res.body.access_token}`);
      expect(me.body.id).toBe(ALICE.sub);
    });

    it('refuses wrong credentials 400 with the Python body', async () => {
      const res = await http()
        .post('/auth/login')
        .set(json)
        .send({ email: ALICE.email, password: 'nope' });
      expectAuthFailure(res, {
        status: 400,
        challenge: null, // a login form is no bearer-protected resource
        msg: 'Incorrect email or password',
        fromError: 'InvalidRequestError',
      });
    });

    it.each([
      ['text/plain', JSON.stringify({ email: 'alice@example.com', password: PASSWORD })],
      [
        'application/x-www-form-urlencoded',
        `email=alice%40example.com&password=${encodeURIComponent(PASSWORD)}`,
      ],
    ])('refuses a login posted as %s: 415 (login CSRF)', async (type, body) => {
      const res = await http().post('/auth/login').set('content-type', type).send(body);
      expectAuthFailure(res, {
        status: 415,
        challenge: null,
        body: {
          success: false,
          msg: 'Unsupported Media Type.',
          from_error: 'RequestError',
          errors: [],
          status_code: 415,
        },
      });
    });

    it('refuses a login with no content type: 415', async () => {
      // A Buffer body: supertest sends it without a content type.
      const res = await http()
        .post('/auth/login')
        .send(Buffer.from(JSON.stringify({ email: ALICE.email, password: PASSWORD })));
      expect((res.request as unknown as { header: object }).header).not.toHaveProperty(
        'Content-Type',
      );
      expect(res.status).toBe(415);
      // Express leaves the body unread and the flows' reader refuses it; Fastify refuses a body
      // it has no parser for before the route, an HttpException left to Nest's own answer.
      if (platform === 'express') expect(res.body).toMatchObject({ from_error: 'RequestError' });
      else expect(res.body).toEqual({ statusCode: 415, message: 'Unsupported Media Type' });
    });

    it('refreshes, then treats the rotated token as reuse: 401 and the family revoked', async () => {
      const pair = await login(ALICE);
      const next = await http()
        .post('/auth/refresh')
        .set(json)
        .send({ refresh_token: pair.refresh_token });
      expect(next.status).toBe(200);
      expect(next.headers['cache-control']).toBe('no-store');
      expect(next.body.refresh_token).not.toBe(pair.refresh_token);
      // Reuse outside the grace window's conditions (the successor was used): theft.
      const after = await http()
        .post('/auth/refresh')
        .set(json)
        .send({ refresh_token: next.body.refresh_token });
      expect(after.status).toBe(200);
      const reuse = await http()
        .post('/auth/refresh')
        .set(json)
        .send({ refresh_token: pair.refresh_token });
      expectAuthFailure(reuse, {
        status: 401,
        challenge: { includes: 'error="invalid_token"' },
        fromError: 'InvalidTokenError',
      });
    });

    it('limits refreshes per family: 429 with Retry-After', async () => {
      let refresh = (await login(BOB)).refresh_token;
      let last: request.Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await http().post('/auth/refresh').set(json).send({ refresh_token: refresh });
        if (last.status !== 200) break;
        refresh = last.body.refresh_token;
      }
      expectAuthFailure(last!, { status: 429, challenge: null, fromError: 'RateLimitedError' });
      expect(last!.headers['retry-after']).toMatch(/^\d+$/);
    });

    it('answers a refresh store outage 503 with Retry-After', async () => {
      const pair = await login(ALICE);
      world.refreshStore.fault = 'throw';
      const res = await http()
        .post('/auth/refresh')
        .set(json)
        .send({ refresh_token: pair.refresh_token });
      expectAuthFailure(res, { status: 503, challenge: null, fromError: 'StoreUnavailableError' });
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
    });

    it("lists the caller's sessions, ends one, 404 for another user's", async () => {
      const alice = await login(ALICE);
      const bob = await login(BOB);
      const list = await http()
        .get('/auth/sessions')
        .set('authorization', `Bearer ${alice.access_token}`);
      expect(list.status).toBe(200);
      expect(list.headers['cache-control']).toBe('no-store');
      expect(list.body).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: alice.session_id, current: true })]),
      );
      const foreign = await http()
        .delete(`/auth/sessions/${encodeURIComponent(bob.session_id)}`)
        .set('authorization', `Bearer ${alice.access_token}`);
      expectAuthFailure(foreign, { status: 404, challenge: null, fromError: 'NotFoundError' });
      const own = await http()
        .delete(`/auth/sessions/${encodeURIComponent(alice.session_id)}`)
        .set('authorization', `Bearer ${bob.access_token}`);
      expect(own.status).toBe(404);
      const ended = await http()
        .delete(`/auth/sessions/${encodeURIComponent(bob.session_id)}`)
        .set('authorization', `Bearer ${bob.access_token}`);
      expect(ended.status).toBe(200);
    });

    it('logs out (the access token is revoked) and logs out everywhere', async () => {
      const first = await login(ALICE);
      const second = await login(ALICE);
      const out = await http()
        .post('/auth/logout')
        .set('authorization', `Bearer ${first.access_token}`)
        .set(json)
        .send({ refresh_token: first.refresh_token });
      expect(out.status).toBe(200);
      expect(out.body).toMatchObject({ success: true });
      const revoked = await http().get('/me').set('authorization', `Bearer ${first.access_token}`);
      expectAuthFailure(revoked, {
        status: 401,
        challenge: { includes: 'Token revoked' },
        reason: 'revoked',
      });
      const all = await http()
        .post('/auth/logout-all')
        .set('authorization', `Bearer ${second.access_token}`);
      expect(all.status).toBe(200);
      const refused = await http()
        .post('/auth/refresh')
        .set(json)
        .send({ refresh_token: second.refresh_token });
      expect(refused.status).toBe(401);
    });

    it('answers the flows without a token 401 (they authenticate themselves)', async () => {
      const res = await http().post('/auth/logout');
      expectAuthFailure(res, {
        status: 401,
        challenge: 'Bearer realm="api"',
        body: missingTokenBody,
      });
    });

    it("serves an app's own controller through AuthFlowsService", async () => {
      const res = await http()
        .post('/custom/sign-in')
        .set(json)
        .send({ email: ADMIN.email, password: PASSWORD });
      expect(res.status).toBe(200);
      const admin = await http()
        .get('/admin')
        .set('authorization', `Bearer ${res.body.access_token}`);
      expect(admin.body).toEqual({ role: 'admin' });
      const form = await http()
        .post('/custom/sign-in')
        .set('content-type', 'text/plain')
        .send('{}');
      expect(form.status).toBe(415);
    });
  });

  it('ends every session of a user without a request (AuthFlowsService.endUserSessions, ASVS 5 V7.4.5)', async () => {
    const first = await login(BOB);
    const second = await login(BOB);
    const ended = await nest.app.get(AuthFlowsService).endUserSessions(BOB.sub);
    expect(ended).toBeGreaterThanOrEqual(2);
    for (const pair of [first, second]) {
      const res = await http().get('/me').set('authorization', `Bearer ${pair.access_token}`);
      expect(res.status).toBe(401);
      const again = await http()
        .post('/auth/refresh')
        .set(json)
        .send({ refresh_token: pair.refresh_token });
      expect(again.status).toBe(401);
    }
  });

  it('provides the policy, issuer, refresh policy and flows to the app', async () => {
    const res = await http().get('/injected');
    expect(res.body).toEqual({
      tokenMode: 'stateful',
      issuer: true,
      refreshPolicy: true,
      flows: true,
    });
  });

  it('answers the same over a real listener', async () => {
    const base = await listenNest(nest);
    const res = await fetch(`${base}/me`, { headers: { authorization: 'Bearer not.a.jwt' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await res.json()).toMatchObject({
      success: false,
      status_code: 401,
      from_error: 'InvalidTokenError',
    });
    const loggedIn = await fetch(`${base}/auth/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email: ALICE.email, password: PASSWORD }),
    });
    expect(loggedIn.status).toBe(200);
  });
});
