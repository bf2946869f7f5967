/**
 * `AuthModule.forRootAsync` with a ConfigService-like provider (settings from the app's config,
 * the policy built from them), the auth routes under another prefix in cookie mode: cookies,
 * the guard reading the access cookie, CSRF (403), a token sent two ways (400). And the
 * exception filter left out (`exceptionFilter: false`): Nest's 500, then the filter by hand.
 */
import { randomUUID } from 'node:crypto';
import { Controller, Get, Injectable, Module, Post } from '@nestjs/common';
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core';
import request from 'supertest';
import {
  RefreshTokenPolicy,
  TokenIssuer,
  TokenPolicy,
  loadSettings,
  type AuthUser,
  type TokenUserData,
} from 'auth-sdk-m8';
import { AUTH_POLICY, AuthExceptionFilter, AuthGuard, AuthModule, Claims } from 'auth-sdk-m8/nest';
import {
  MemoryRefreshTokenStore,
  MemoryRevocationStore,
  MemorySessionStore,
} from 'auth-sdk-m8/stores/memory';
import { expectAuthFailure } from '../../helpers/auth-failure';
import { quietLogger } from '../../helpers/flow-parts';
import { HS_SECRET, REFRESH_SECRET } from '../../helpers/keys';
import { PLATFORMS, startNest, type NestHarness } from './nest-fixture';

const ALLOWED = 'https://app.example.com';
const PASSWORD = 'correct horse battery staple';
const CAROL: AuthUser = {
  sub: randomUUID(),
  email: 'carol@example.com',
  role: 'user',
  is_active: true,
};

/** What an app's ConfigService does: named values from its own source. */
@Injectable()
class AppConfig {
  private readonly values: Record<string, string> = {
    ACCESS_TOKEN_ALGORITHM: 'HS256',
    ACCESS_SECRET_KEY: HS_SECRET,
    REFRESH_SECRET_KEY: REFRESH_SECRET,
    TOKEN_MODE: 'stateful',
    BACKEND_CORS_ORIGINS: ALLOWED,
  };

  get(name: string): string | undefined {
    return this.values[name];
  }
}

const SETTING_NAMES = [
  'ACCESS_TOKEN_ALGORITHM',
  'ACCESS_SECRET_KEY',
  'REFRESH_SECRET_KEY',
  'TOKEN_MODE',
  'BACKEND_CORS_ORIGINS',
];

@Module({ providers: [AppConfig], exports: [AppConfig] })
class AppConfigModule {}

@Controller()
class MeController {
  @Get('me')
  me(@Claims('sub') sub: string) {
    return { sub };
  }

  @Post('me')
  change(@Claims() claims: TokenUserData) {
    return { sub: claims.sub };
  }
}

function asyncModule() {
  @Module({
    imports: [
      AuthModule.forRootAsync({
        imports: [AppConfigModule],
        inject: [AppConfig],
        useFactory: (config: AppConfig) => {
          const env = Object.fromEntries(SETTING_NAMES.map((name) => [name, config.get(name)]));
          const settings = loadSettings({ env, envFile: false });
          return {
            settings,
            revocationStore: new MemoryRevocationStore(),
            issuer: TokenIssuer.fromSettings(settings),
            refreshPolicy: RefreshTokenPolicy.fromSettings(settings, {
              store: new MemoryRefreshTokenStore(),
              logger: quietLogger,
            }),
            sessions: new MemorySessionStore(),
            findUser: (id: string) => (id === CAROL.sub ? CAROL : undefined),
            verifyCredentials: async (email: string, password: string) =>
              email === CAROL.email && password === PASSWORD ? CAROL : null,
            cookies: { settings, accessInCookie: true, refreshPath: '/v1/auth/refresh' },
            logger: quietLogger,
          };
        },
        routes: { prefix: 'v1/auth' },
      }),
    ],
    controllers: [MeController],
    providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
  })
  class AsyncModule {}
  return AsyncModule;
}

const cookiesOf = (res: request.Response): string[] =>
  ([] as string[]).concat((res.headers['set-cookie'] as unknown as string[] | undefined) ?? []);
const cookieHeader = (setCookie: string[]): string =>
  setCookie.map((c) => c.split(';')[0]).join('; ');

describe.each(PLATFORMS)('AuthModule.forRootAsync in cookie mode (%s)', (platform) => {
  let nest: NestHarness;
  const http = () => request(nest.server as Parameters<typeof request>[0]);
  const loginCookies = async (): Promise<string[]> => {
    const res = await http()
      .post('/v1/auth/login')
      .set('content-type', 'application/json')
      .set('origin', ALLOWED)
      .send({ email: CAROL.email, password: PASSWORD });
    expect(res.status).toBe(200);
    return cookiesOf(res);
  };

  beforeAll(async () => {
    nest = await startNest(platform, asyncModule());
  });
  afterAll(() => nest.close());

  it('builds the policy from the factory’s settings and serves the routes under the prefix', async () => {
    const policy = nest.app.get<TokenPolicy>(AUTH_POLICY);
    expect(policy.tokenMode).toBe('stateful');
    expect((await http().post('/auth/login').send({})).status).toBe(404);
  });

  it('logs in with HttpOnly cookies and no token readable in the body', async () => {
    const res = await http()
      .post('/v1/auth/login')
      .set('content-type', 'application/json')
      .set('origin', ALLOWED)
      .send({ email: CAROL.email, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.access_token).toBeUndefined();
    expect(res.body.refresh_token).toBeUndefined();
    const set = cookiesOf(res);
    expect(set).toEqual([
      expect.stringMatching(
        /^access_token=.+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
      ),
      expect.stringMatching(
        /^refresh_token=.+; Max-Age=\d+; Path=\/v1\/auth\/refresh; HttpOnly; Secure; SameSite=Strict$/,
      ),
    ]);
  });

  it('refuses a cookie-mode login from a foreign origin: 403', async () => {
    const res = await http()
      .post('/v1/auth/login')
      .set('content-type', 'application/json')
      .set('origin', 'https://evil.example.net')
      .send({ email: CAROL.email, password: PASSWORD });
    expectAuthFailure(res, { status: 403, challenge: null, fromError: 'CsrfError' });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('authenticates by the access cookie (the guard shares the flows’ cookie mode)', async () => {
    const cookie = cookieHeader(await loginCookies());
    const res = await http().get('/me').set('cookie', cookie);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: CAROL.sub });
  });

  it('refuses a cookie-borne unsafe request from a foreign origin: 403; an allowed origin passes', async () => {
    const cookie = cookieHeader(await loginCookies());
    const foreign = await http()
      .post('/me')
      .set('cookie', cookie)
      .set('origin', 'https://evil.example.net');
    expectAuthFailure(foreign, {
      status: 403,
      challenge: null,
      body: {
        success: false,
        msg: 'CSRF check failed',
        from_error: 'CsrfError',
        errors: [{ table: null, field_name: null, error: 'invalid_request' }],
        status_code: 403,
      },
    });
    const allowed = await http().post('/me').set('cookie', cookie).set('origin', ALLOWED);
    expect(allowed.status).toBe(201);
  });

  it('refuses a token sent both as cookie and header: 400 invalid_request', async () => {
    const set = await loginCookies();
    const access = set[0]!.split(';')[0]!.slice('access_token='.length);
    const res = await http()
      .get('/me')
      .set('cookie', cookieHeader(set))
      .set('authorization', `Bearer ${access}`);
    expectAuthFailure(res, {
      status: 400,
      challenge: { includes: 'error="invalid_request"' },
      msg: 'More than one method used for authentication',
      fromError: 'InvalidRequestError',
    });
  });

  it('refreshes by the refresh cookie from an allowed origin only, and logout expires the cookies', async () => {
    const cookie = cookieHeader(await loginCookies());
    const foreign = await http()
      .post('/v1/auth/refresh')
      .set('cookie', cookie)
      .set('origin', 'https://evil.example.net');
    expect(foreign.status).toBe(403);
    const refreshed = await http()
      .post('/v1/auth/refresh')
      .set('cookie', cookie)
      .set('origin', ALLOWED);
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers['cache-control']).toBe('no-store');
    const rotated = cookieHeader(cookiesOf(refreshed));
    const out = await http().post('/v1/auth/logout').set('cookie', rotated).set('origin', ALLOWED);
    expect(out.status).toBe(200);
    expect(cookiesOf(out).every((c) => /Max-Age=0/.test(c))).toBe(true);
  });
});

describe.each(PLATFORMS)(
  'forRootAsync that cannot work, and the filter left out (%s)',
  (platform) => {
    const guardOnly = () => {
      @Module({
        imports: [
          AuthModule.forRootAsync({
            useFactory: () => ({ policy: policyFromSettings() }),
            exceptionFilter: false,
          }),
        ],
        controllers: [MeController],
        providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
      })
      class GuardOnly {}
      return GuardOnly;
    };

    it('refuses to start when routes are asked and the factory gives no flows', async () => {
      @Module({
        imports: [
          AuthModule.forRootAsync({
            useFactory: () => ({ policy: policyFromSettings() }),
            routes: {},
          }),
        ],
      })
      class Broken {}
      await expect(startNest(platform, Broken)).rejects.toThrow(
        "AuthModule's auth flows need issuer, refreshPolicy and findUser; missing: issuer, refreshPolicy, findUser.",
      );
    });

    it("without the filter a package error is Nest's 500; the filter by hand answers it", async () => {
      const bare = await startNest(platform, guardOnly());
      try {
        const res = await request(bare.server as Parameters<typeof request>[0]).get('/me');
        expect(res.status).toBe(500);
        expect(res.body).toEqual({ statusCode: 500, message: 'Internal server error' });
      } finally {
        await bare.close();
      }
      const byHand = await startNest(platform, guardOnly(), (app) => {
        const adapter = app.get(HttpAdapterHost).httpAdapter;
        app.useGlobalFilters(new AuthExceptionFilter({ realm: 'shop' }, adapter));
      });
      try {
        const res = await request(byHand.server as Parameters<typeof request>[0]).get('/me');
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="shop"');
        expect(res.body).toMatchObject({ success: false, msg: 'Access token missing' });
      } finally {
        await byHand.close();
      }
    });
  },
);

function policyFromSettings(): TokenPolicy {
  const settings = loadSettings({
    env: { ACCESS_TOKEN_ALGORITHM: 'HS256', ACCESS_SECRET_KEY: HS_SECRET, TOKEN_MODE: 'stateless' },
    envFile: false,
  });
  return TokenPolicy.fromSettings(settings);
}
