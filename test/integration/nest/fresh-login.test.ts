/**
 * `@RequireFreshLogin()` on both platforms, on the module's clock (the test advances it): a
 * token whose login is recent enough passes, an older one or one without `auth_time` answers
 * RFC 9470's 401 `insufficient_user_authentication` with `max_age`, as Express's
 * `requireFreshLogin()` does.
 */
import { randomUUID } from 'node:crypto';
import { Controller, Module, Post } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import request from 'supertest';
import type { AuthUser } from 'auth-sdk-m8';
import { AuthGuard, AuthModule, Public, RequireFreshLogin } from 'auth-sdk-m8/nest';
import { MemorySessionStore } from 'auth-sdk-m8/stores/memory';
import { expectAuthFailure, missingTokenBody } from '../../helpers/auth-failure';
import { hsFlowParts, quietLogger } from '../../helpers/flow-parts';
import { HS_SECRET } from '../../helpers/keys';
import { accessClaims, mint } from '../../helpers/mint-token';
import { PLATFORMS, startNest, type NestHarness } from './nest-fixture';

const ERIN: AuthUser = {
  sub: randomUUID(),
  email: 'erin@example.com',
  role: 'user',
  is_active: true,
};
const PASSWORD = 'correct horse battery staple';
const STALE =
  'Bearer realm="api", error="insufficient_user_authentication", error_description="A more recent login is required", max_age="300"';

@Controller('account')
class AccountController {
  @Post('password')
  @RequireFreshLogin({ maxAgeSeconds: 300 })
  changePassword() {
    return { changed: true };
  }

  @Public()
  @Post('public-step-up')
  @RequireFreshLogin({ maxAgeSeconds: 300 })
  publicStepUp() {
    return { reached: true };
  }
}

describe.each(PLATFORMS)('@RequireFreshLogin() (%s)', (platform) => {
  let nest: NestHarness;
  let offset = 0;
  const clock = () => Date.now() + offset;
  const http = () => request(nest.server as Parameters<typeof request>[0]);

  beforeAll(async () => {
    const { issuer, policy, refreshPolicy } = hsFlowParts();
    @Module({
      imports: [
        AuthModule.forRoot({
          policy,
          issuer,
          refreshPolicy,
          sessions: new MemorySessionStore(),
          findUser: (id) => (id === ERIN.sub ? ERIN : undefined),
          verifyCredentials: async (email, password) =>
            email === ERIN.email && password === PASSWORD ? ERIN : null,
          clock,
          logger: quietLogger,
        }),
      ],
      controllers: [AccountController],
      providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
    })
    class FreshModule {}
    nest = await startNest(platform, FreshModule);
  });
  afterAll(() => nest.close());

  it('passes a recent login, refuses it once the clock passed max_age', async () => {
    offset = 0;
    const login = await http()
      .post('/auth/login')
      .set('content-type', 'application/json')
      .send({ email: ERIN.email, password: PASSWORD });
    const bearer = `Bearer ${login.body.access_token}`;
    expect((await http().post('/account/password').set('authorization', bearer)).status).toBe(201);
    offset = 301_000;
    const stale = await http().post('/account/password').set('authorization', bearer);
    expectAuthFailure(stale, {
      status: 401,
      challenge: STALE,
      msg: 'A more recent login is required',
      fromError: 'InsufficientUserAuthenticationError',
    });
  });

  it('refuses a token without auth_time, and a @Public() route without a token', async () => {
    offset = 0;
    const noLoginTime = mint(accessClaims({ sub: ERIN.sub }), { key: HS_SECRET });
    const res = await http()
      .post('/account/password')
      .set('authorization', `Bearer ${noLoginTime}`);
    expectAuthFailure(res, { status: 401, challenge: STALE });
    const anonymous = await http().post('/account/public-step-up');
    expectAuthFailure(anonymous, {
      status: 401,
      challenge: 'Bearer realm="api"',
      body: missingTokenBody,
    });
  });

  it('refuses a bad maxAgeSeconds where the decorator is written', () => {
    expect(() => RequireFreshLogin({ maxAgeSeconds: -1 })).toThrow(/maxAgeSeconds/);
  });
});
