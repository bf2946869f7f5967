/**
 * `fastify.authenticate` and `fastify.requireRole` of the Fastify plugin, driven with
 * `fastify.inject()` (as Fastify's own plugins are tested): every verdict of the pipeline with
 * the Python body and its headers, the plugin's encapsulation, and `authErrorHandler` on an
 * app's own routes.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { authErrorHandler, authPlugin, type AuthPluginOptions } from 'auth-sdk-m8/fastify';
import { ConfigurationError } from '../../../lib/core/errors';
import { expectAuthFailure, missingTokenBody } from '../../helpers/auth-failure';
import { hsFlowParts } from '../../helpers/flow-parts';
import { createAuthFixture, foreignKey, quietLogger, signEs256 } from '../express/auth-fixture';
import type { AuthFixture } from '../express/auth-fixture';

const ALLOWED = 'https://app.example.com';

/** An app protecting its routes with the plugin, every error through `authErrorHandler`. */
async function appWith(options: AuthPluginOptions): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(authPlugin, options);
  app.setErrorHandler(authErrorHandler({ logger: quietLogger }));
  const me = { preHandler: app.authenticate };
  app.get('/me', me, async (request) => ({ auth: request.auth, user: request.user }));
  app.post('/me', me, async (request) => ({ sub: request.auth!.sub }));
  app.get('/admin', { preHandler: [app.authenticate, app.requireRole('admin')] }, async () => ({
    ok: true,
  }));
  app.get('/role-only', { preHandler: app.requireRole('user') }, async () => ({ ok: true }));
  return app;
}

describe('fastify.authenticate', () => {
  let fx: AuthFixture;
  let app: FastifyInstance;

  beforeAll(async () => {
    fx = createAuthFixture();
    app = await appWith({ policy: fx.policy, cookie: {}, csrf: { allowedOrigins: [ALLOWED] } });
  });
  afterAll(() => app.close());
  beforeEach(() => {
    fx.store.fault = 'none';
  });

  const get = (headers: Record<string, string> = {}) => app.inject({ url: '/me', headers });

  it('sets request.auth (the claims) and request.user (the UserModel) for a valid token', async () => {
    const res = await get({ authorization: `Bearer ${fx.token()}` });
    expect(res.statusCode).toBe(200);
    const { auth, user } = res.json();
    expect(auth).toMatchObject({ sub: fx.claims().sub, role: 'user', type: 'access' });
    expect(user).toEqual({
      id: fx.claims().sub,
      email: 'user@example.com',
      full_name: 'Test User',
      avatar: null,
      is_active: true,
      email_verified: true,
      is_superuser: false,
      role: 'user',
    });
  });

  it('answers no token with 401, the bare challenge and the Python body', async () => {
    const res = await get();
    expectAuthFailure(
      { status: res.statusCode, headers: res.headers, body: res.json() },
      { status: 401, challenge: 'Bearer realm="api"', body: missingTokenBody },
    );
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it.each([
    ['forged', () => signEs256(fx.claims(), foreignKey()), 'Invalid access token', 'invalid'],
    [
      'expired',
      () => fx.token({ exp: Math.floor(Date.now() / 1000) - 60, iat: 1 }),
      'Access token expired',
      'expired',
    ],
    ['malformed', () => 'not.a.jwt', 'Invalid access token', 'invalid'],
  ])('answers a %s token with 401 invalid_token', async (_name, token, msg, reason) => {
    const res = await get({ authorization: `Bearer ${token()}` });
    expectAuthFailure(
      { status: res.statusCode, headers: res.headers, body: res.json() },
      {
        status: 401,
        challenge: { includes: ['realm="api"', 'error="invalid_token"'] },
        msg,
        fromError: 'InvalidTokenError',
        reason,
      },
    );
  });

  it('answers a revoked token with 401 "Token revoked"', async () => {
    const claims = fx.claims();
    await fx.store.inner.revoke(claims.jti as string, 600);
    const res = await get({ authorization: `Bearer ${fx.token({ jti: claims.jti })}` });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ msg: 'Token revoked', errors: [{ error: 'revoked' }] });
  });

  it('answers a token sent two ways with 400 invalid_request', async () => {
    const token = fx.token();
    const res = await get({ authorization: `Bearer ${token}`, cookie: `access_token=${token}` });
    expectAuthFailure(
      { status: res.statusCode, headers: res.headers, body: res.json() },
      {
        status: 400,
        challenge: { includes: 'error="invalid_request"' },
        fromError: 'InvalidRequestError',
      },
    );
  });

  it('takes the token from the cookie, and CSRF-checks unsafe cookie requests (403)', async () => {
    const cookie = `access_token=${fx.token()}`;
    expect((await get({ cookie })).statusCode).toBe(200);
    const foreign = await app.inject({
      method: 'POST',
      url: '/me',
      headers: { cookie, origin: 'https://evil.example.net' },
    });
    expectAuthFailure(
      { status: foreign.statusCode, headers: foreign.headers, body: foreign.json() },
      {
        status: 403,
        challenge: null,
        bodyMatches: { msg: 'CSRF check failed', from_error: 'CsrfError', status_code: 403 },
      },
    );
    const allowed = await app.inject({
      method: 'POST',
      url: '/me',
      headers: { cookie, origin: ALLOWED },
    });
    expect(allowed.statusCode).toBe(200);
  });

  it('answers 503 with Retry-After when the revocation store is down (fail_closed)', async () => {
    fx.store.fault = 'throw';
    const res = await get({ authorization: `Bearer ${fx.token()}` });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.json()).toMatchObject({
      success: false,
      msg: 'Service temporarily unavailable. Retry later.',
      status_code: 503,
    });
    expect(res.body).not.toContain('ECONNRESET');
  });

  it('lets a request without a token through with optional, still refusing a bad one', async () => {
    const optional = await appWith({ policy: fx.policy, optional: true });
    try {
      const none = await optional.inject({ url: '/me' });
      expect(none.statusCode).toBe(200);
      expect(none.json()).toEqual({});
      const bad = await optional.inject({ url: '/me', headers: { authorization: 'Bearer x.y' } });
      expect(bad.statusCode).toBe(401);
    } finally {
      await optional.close();
    }
  });

  it('puts its realm in every challenge', async () => {
    const shop = await appWith({ policy: fx.policy, realm: 'shop' });
    try {
      const none = await shop.inject({ url: '/me' });
      expect(none.headers['www-authenticate']).toBe('Bearer realm="shop"');
      const low = await shop.inject({
        url: '/admin',
        headers: { authorization: `Bearer ${fx.token()}` },
      });
      expect(low.headers['www-authenticate']).toContain('realm="shop"');
    } finally {
      await shop.close();
    }
  });
});

describe('fastify.requireRole', () => {
  let fx: AuthFixture;
  let app: FastifyInstance;

  beforeAll(async () => {
    fx = createAuthFixture();
    app = await appWith({ policy: fx.policy });
  });
  afterAll(() => app.close());

  it('allows a role at least as high as asked', async () => {
    for (const role of ['admin', 'superadmin']) {
      const res = await app.inject({
        url: '/admin',
        headers: { authorization: `Bearer ${fx.tokenFor(role as 'admin')}` },
      });
      expect([role, res.statusCode]).toEqual([role, 200]);
    }
  });

  it('answers a lower role with 403 insufficient_scope', async () => {
    const res = await app.inject({
      url: '/admin',
      headers: { authorization: `Bearer ${fx.tokenFor('writer')}` },
    });
    expectAuthFailure(
      { status: res.statusCode, headers: res.headers, body: res.json() },
      {
        status: 403,
        challenge: { includes: ['error="insufficient_scope"', 'The admin role is required'] },
        fromError: 'InsufficientScopeError',
        reason: 'insufficient_scope',
      },
    );
  });

  it('answers 401 when no authentication ran before it', async () => {
    const res = await app.inject({ url: '/role-only' });
    expectAuthFailure(
      { status: res.statusCode, headers: res.headers, body: res.json() },
      { status: 401, challenge: 'Bearer realm="api"', body: missingTokenBody },
    );
  });

  it('refuses an unknown role when the route is declared, not at the first request', async () => {
    expect(() => app.requireRole('god' as 'admin')).toThrow(ConfigurationError);
  });
});

describe('the plugin respects encapsulation', () => {
  let fx: AuthFixture;

  beforeAll(() => {
    fx = createAuthFixture();
  });

  it('decorates only the scope that registers it; other routes are left alone', async () => {
    const app = Fastify();
    const seen: Record<string, boolean> = {};
    await app.register(async (api) => {
      await api.register(authPlugin, { policy: fx.policy });
      api.setErrorHandler(authErrorHandler());
      api.get('/inside', { preHandler: api.authenticate }, async (request) => ({
        sub: request.auth!.sub,
      }));
      api.get('/inside-open', async (request) => ({ auth: request.auth ?? null }));
      seen.inside = api.hasDecorator('authenticate') && api.hasRequestDecorator('auth');
    });
    app.get('/outside', async (request) => ({ decorated: 'auth' in request }));
    await app.ready();
    try {
      expect(seen.inside).toBe(true);
      expect(app.hasDecorator('authenticate')).toBe(false);
      expect(app.hasDecorator('requireRole')).toBe(false);
      expect(app.hasRequestDecorator('auth')).toBe(false);
      expect(app.hasRequestDecorator('user')).toBe(false);
      expect((await app.inject({ url: '/outside' })).json()).toEqual({ decorated: false });
      // Inside the scope, only the routes that ask for it are authenticated.
      expect((await app.inject({ url: '/inside-open' })).json()).toEqual({ auth: null });
      expect((await app.inject({ url: '/inside' })).statusCode).toBe(401);
      const token = `Bearer ${fx.token()}`;
      const inside = await app.inject({ url: '/inside', headers: { authorization: token } });
      expect(inside.json()).toEqual({ sub: fx.claims().sub });
    } finally {
      await app.close();
    }
  });

  it('keeps no state between registrations: two scopes, two policies', async () => {
    const other = createAuthFixture();
    const app = Fastify();
    for (const [prefix, policy] of [
      ['/a', fx.policy],
      ['/b', other.policy],
    ] as const) {
      await app.register(
        async (scope) => {
          await scope.register(authPlugin, { policy });
          scope.get('/me', { preHandler: scope.authenticate }, async () => ({ ok: true }));
        },
        { prefix },
      );
    }
    try {
      const token = { authorization: `Bearer ${fx.token()}` };
      expect((await app.inject({ url: '/a/me', headers: token })).statusCode).toBe(200);
      expect((await app.inject({ url: '/b/me', headers: token })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it("leaves the app's body parsers and error handler alone", async () => {
    const app = Fastify();
    const { issuer, policy, refreshPolicy } = hsFlowParts();
    await app.register(authPlugin, {
      policy: fx.policy,
      routes: { issuer, policy, refreshPolicy, findUser: () => undefined, logger: quietLogger },
    });
    app.post('/echo', async (request) => ({ body: request.body }));
    app.get('/me', { preHandler: app.authenticate }, async () => ({ ok: true }));
    try {
      // Fastify's own text/plain parser still runs here (the plugin's routes would say 415).
      const text = await app.inject({
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': 'text/plain' },
        payload: 'hello',
      });
      expect(text.json()).toEqual({ body: 'hello' });
      const refused = await app.inject({
        method: 'POST',
        url: '/auth/refresh',
        headers: { 'content-type': 'text/plain' },
        payload: 'hello',
      });
      expect(refused.statusCode).toBe(415);
      expect(refused.json()).toMatchObject({ success: false, status_code: 415 });
      // Without authErrorHandler the app keeps Fastify's error body; status and challenge
      // come from the error itself.
      const none = await app.inject({ url: '/me' });
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(none.json()).toMatchObject({ statusCode: 401, code: 'invalid_token' });
    } finally {
      await app.close();
    }
  });
});

describe('authErrorHandler on an app route', () => {
  const logged: string[] = [];
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify({ bodyLimit: 1024 });
    app.setErrorHandler(
      authErrorHandler({ logger: { warn: () => undefined, error: (m) => logged.push(m) } }),
    );
    app.post(
      '/items',
      {
        schema: {
          body: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string' }, tags: { type: 'array', maxItems: 1 } },
          },
        },
      },
      async () => ({ ok: true }),
    );
    app.get('/boom', async () => {
      throw new Error('database password is hunter2 at /srv/app/db.ts:12');
    });
  });
  afterAll(() => app.close());

  const post = (payload: string, type = 'application/json') =>
    app.inject({ method: 'POST', url: '/items', headers: { 'content-type': type }, payload });

  it("answers the route schema's findings as the Python validation error, naming the fields", async () => {
    const missing = await post('{"tags":[1,2]}');
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({
      success: false,
      msg: 'Validation error.',
      from_error: 'ValidationError',
      errors: [{ table: null, field_name: 'name', error: "must have required property 'name'" }],
      status_code: 400,
    });
  });

  it.each([
    ['malformed JSON', '{"name":', 'application/json', 400, 'Malformed request body.'],
    ['an empty JSON body', '', 'application/json', 400, 'Malformed request body.'],
    [
      'a body past bodyLimit',
      JSON.stringify({ name: 'x'.repeat(2000) }),
      'application/json',
      413,
      'Request body too large.',
    ],
    [
      'an unknown content type',
      'name=x',
      'application/x-www-form-urlencoded',
      415,
      'Unsupported Media Type.',
    ],
  ])('answers %s with the shared body errors', async (_name, payload, type, status, msg) => {
    const res = await post(payload, type);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ success: false, msg, status_code: status });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers an unexpected error with 500, logs it and echoes nothing of it', async () => {
    const res = await app.inject({ url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      success: false,
      msg: 'An unexpected error occurred.',
      from_error: 'Exception',
      errors: [],
      status_code: 500,
    });
    expect(res.body).not.toContain('hunter2');
    expect(logged.join('\n')).toContain('hunter2');
  });
});
