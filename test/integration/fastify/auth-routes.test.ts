/**
 * The Fastify plugin's auth routes and JWKS route: every route and error status through
 * `fastify.inject()`, cookie mode, and a real listening server that must answer a whole
 * script of requests exactly as the Express `authRoutes()` answers it.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { RefreshRateLimiter, TokenIssuer, type AuthUser } from 'auth-sdk-m8';
import { authRoutes, errorHandler } from 'auth-sdk-m8/express';
import {
  authErrorHandler,
  authPlugin,
  type AuthPluginOptions,
  type FlowRoutesOptions,
} from 'auth-sdk-m8/fastify';
import {
  MemoryRateLimitStore,
  MemoryRevocationStore,
  MemorySessionStore,
} from 'auth-sdk-m8/stores/memory';
import { FaultyRevocationStore } from '../../helpers/faulty-stores';
import { hsFlowParts, quietLogger } from '../../helpers/flow-parts';
import { ecKeys, REFRESH_SECRET } from '../../helpers/keys';

const ALLOWED = 'https://app.example.com';
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
  role: 'admin',
  is_active: true,
};

/** The flows' options over fresh memory stores (each app gets its own). */
function routesOptions(extra: Partial<FlowRoutesOptions> = {}): FlowRoutesOptions {
  const { issuer, policy, refreshPolicy } = hsFlowParts({ refresh: { graceSeconds: 0 } });
  const users = [ALICE, BOB];
  return {
    issuer,
    policy,
    refreshPolicy,
    sessions: new MemorySessionStore(),
    findUser: (id) => users.find((u) => u.sub === id),
    verifyCredentials: async (email, password) =>
      password === PASSWORD ? (users.find((u) => u.email === email) ?? null) : null,
    logger: quietLogger,
    ...extra,
  };
}

async function fastifyApp(options: AuthPluginOptions): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(authPlugin, options);
  app.setErrorHandler(authErrorHandler({ logger: quietLogger }));
  app.get('/me', { preHandler: app.authenticate }, async (request) => ({ sub: request.auth!.sub }));
  return app;
}

const json = { 'content-type': 'application/json' };

describe('the auth routes of the Fastify plugin (inject)', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = await fastifyApp({ routes: routesOptions() });
  });
  afterAll(() => app.close());

  const login = async (user: AuthUser) => {
    const res = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: user.email, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    return res.json<{ access_token: string; refresh_token: string; session_id: string }>();
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('logs in: a pair, a session, no-store; fastify.authenticate takes the routes policy', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: ALICE.email, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'bearer',
      expires_in: expect.any(Number),
      session_id: expect.any(String),
    });
    const me = await app.inject({ url: '/me', headers: bearer(res.json().access_token) });
    expect(me.json()).toEqual({ sub: ALICE.sub });
  });

  it.each([
    ['wrong credentials', { email: ALICE.email, password: 'nope' }, 'Incorrect email or password'],
    ['a missing password', { email: ALICE.email }, 'Validation error.'],
  ])('refuses %s with 400', async (_name, payload, msg) => {
    const res = await app.inject({ method: 'POST', url: '/auth/login', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ success: false, msg, status_code: 400 });
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['no content type', undefined],
  ])('refuses a JSON-looking login sent as %s with 415 (login CSRF)', async (_name, type) => {
    const res = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: type === undefined ? {} : { 'content-type': type },
      payload: JSON.stringify({ email: ALICE.email, password: PASSWORD }),
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({
      success: false,
      msg: 'Unsupported Media Type.',
      from_error: 'RequestError',
      errors: [],
      status_code: 415,
    });
  });

  it('reads +json bodies, and answers malformed JSON 400 and an oversized body 413', async () => {
    const vendor = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/vnd.api+json' },
      payload: JSON.stringify({ email: ALICE.email, password: PASSWORD }),
    });
    expect(vendor.statusCode).toBe(200);
    const malformed = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: json,
      payload: '{"email": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().msg).toBe('Malformed request body.');
    const huge = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: ALICE.email, password: 'x'.repeat(40_000) },
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().msg).toBe('Request body too large.');
  });

  it('refreshes, then answers reuse of the rotated token with 401 and a wrong type with 400', async () => {
    const pair = await login(ALICE);
    const next = await app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: pair.refresh_token },
    });
    expect(next.statusCode).toBe(200);
    expect(next.json().refresh_token).not.toBe(pair.refresh_token);
    const reuse = await app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: pair.refresh_token },
    });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(reuse.json().msg).toBe('Refresh token already used or revoked');
    // Ajv would have coerced 42 to "42"; the flows' own validation answers.
    const wrongType = await app.inject({
      method: 'POST',
      url: '/auth/refresh',
      payload: { refresh_token: 42 },
    });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json()).toMatchObject({
      msg: 'Validation error.',
      errors: [{ field_name: 'refresh_token' }],
    });
    const none = await app.inject({ method: 'POST', url: '/auth/refresh' });
    expect(none.statusCode).toBe(401);
    expect(none.json().msg).toBe('Refresh token missing');
  });

  it('lists sessions, ends one (404 for another user’s), logs out and out everywhere', async () => {
    const laptop = await login(ALICE);
    const phone = await login(ALICE);
    const bob = await login(BOB);
    const listed = await app.inject({
      url: '/auth/sessions',
      headers: bearer(laptop.access_token),
    });
    expect(listed.statusCode).toBe(200);
    const ids = listed.json<Array<{ id: string; current: boolean }>>().map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining([laptop.session_id, phone.session_id]));
    expect(ids).not.toContain(bob.session_id);
    const foreign = await app.inject({
      method: 'DELETE',
      url: `/auth/sessions/${bob.session_id}`,
      headers: bearer(laptop.access_token),
    });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ msg: 'Session not found', status_code: 404 });
    const textBody = await app.inject({
      method: 'DELETE',
      url: `/auth/sessions/${phone.session_id}`,
      headers: { ...bearer(laptop.access_token), 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect(textBody.statusCode).toBe(415);
    const ended = await app.inject({
      method: 'DELETE',
      url: `/auth/sessions/${phone.session_id}`,
      headers: bearer(laptop.access_token),
    });
    expect(ended.json()).toEqual({ success: true, msg: 'Session revoked' });
    expect((await app.inject({ url: '/me', headers: bearer(phone.access_token) })).statusCode).toBe(
      401,
    );
    // A JSON content type with no body at all is a logout without a refresh token.
    const out = await app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { ...bearer(bob.access_token), ...json },
    });
    expect(out.json()).toEqual({ success: true, msg: 'Logged out' });
    expect((await app.inject({ url: '/me', headers: bearer(bob.access_token) })).statusCode).toBe(
      401,
    );
    const all = await app.inject({
      method: 'POST',
      url: '/auth/logout-all',
      headers: bearer(laptop.access_token),
    });
    expect(all.json()).toMatchObject({ success: true, msg: 'Logged out everywhere' });
    expect(all.json().sessions_revoked).toBeGreaterThanOrEqual(1);
    const after = await app.inject({ url: '/auth/sessions', headers: bearer(laptop.access_token) });
    expect(after.statusCode).toBe(401);
  });

  it('asks for a token on the authenticated routes (401) and has no HEAD twin of them', async () => {
    for (const [method, url] of [
      ['GET', '/auth/sessions'],
      ['POST', '/auth/logout'],
      ['POST', '/auth/logout-all'],
      ['DELETE', `/auth/sessions/${randomUUID()}`],
    ] as const) {
      const res = await app.inject({ method, url });
      expect([method, url, res.statusCode, res.headers['www-authenticate']]).toEqual([
        method,
        url,
        401,
        'Bearer realm="api"',
      ]);
    }
    expect((await app.inject({ method: 'HEAD', url: '/auth/sessions' })).statusCode).toBe(404);
  });
});

describe('the auth routes under failure and options', () => {
  it('answers 429 with Retry-After past the refresh rate limit', async () => {
    const app = await fastifyApp({
      routes: routesOptions({
        rateLimit: new RefreshRateLimiter({
          store: new MemoryRateLimitStore(),
          perFamily: { max: 1, windowSeconds: 60 },
          logger: quietLogger,
        }),
      }),
    });
    try {
      let token = (
        await app.inject({
          method: 'POST',
          url: '/auth/login',
          payload: { email: ALICE.email, password: PASSWORD },
        })
      ).json().refresh_token as string;
      const statuses: number[] = [];
      let limited;
      for (let i = 0; i < 2; i++) {
        const res = await app.inject({
          method: 'POST',
          url: '/auth/refresh',
          payload: { refresh_token: token },
        });
        statuses.push(res.statusCode);
        if (res.statusCode === 200) token = res.json().refresh_token;
        else limited = res;
      }
      expect(statuses).toEqual([200, 429]);
      expect(limited!.headers['retry-after']).toMatch(/^\d+$/);
      expect(limited!.json()).toMatchObject({ success: false, status_code: 429 });
    } finally {
      await app.close();
    }
  });

  it('answers 503 with Retry-After when the revocation store is down', async () => {
    const store = new FaultyRevocationStore(new MemoryRevocationStore());
    const { issuer, policy, refreshPolicy } = hsFlowParts({ revocationStore: store });
    const app = await fastifyApp({
      routes: { ...routesOptions(), issuer, policy, refreshPolicy },
    });
    try {
      const pair = (
        await app.inject({
          method: 'POST',
          url: '/auth/login',
          payload: { email: ALICE.email, password: PASSWORD },
        })
      ).json();
      store.fault = 'throw';
      const res = await app.inject({
        url: '/auth/sessions',
        headers: { authorization: `Bearer ${pair.access_token}` },
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.json()).toMatchObject({
        msg: 'Service temporarily unavailable. Retry later.',
        status_code: 503,
      });
    } finally {
      await app.close();
    }
  });

  it('serves the routes under their prefix, and no login without verifyCredentials', async () => {
    const app = await fastifyApp({
      routes: routesOptions({ prefix: '/api/auth', verifyCredentials: undefined }),
    });
    try {
      const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: {} });
      expect(login.statusCode).toBe(404);
      const refresh = await app.inject({ method: 'POST', url: '/api/auth/refresh', payload: {} });
      expect(refresh.statusCode).toBe(401);
      expect((await app.inject({ method: 'POST', url: '/auth/refresh' })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe('cookie mode', () => {
  const settings = {
    ACCESS_TOKEN_EXPIRE_MINUTES: 15,
    REFRESH_TOKEN_COOKIE_EXPIRE_SECONDS: 3600,
    SESSION_COOKIE_SECURE: true,
    ALLOWED_ORIGINS: [ALLOWED],
  };
  let app: FastifyInstance;

  beforeAll(async () => {
    app = await fastifyApp({
      routes: routesOptions({ cookies: { settings, accessInCookie: true } }),
      cookie: {},
      csrf: { allowedOrigins: [ALLOWED] },
    });
  });
  afterAll(() => app.close());

  const cookiesOf = (setCookie: string | string[] | undefined): Record<string, string> =>
    Object.fromEntries(
      ([] as string[]).concat(setCookie ?? []).map((c) => {
        const [pair, ...attributes] = c.split('; ');
        const [name, value] = pair!.split('=');
        return [name!, `${value}; ${attributes.join('; ')}`];
      }),
    );

  it('sets HttpOnly cookies at login, authenticates by cookie and CSRF-checks the refresh', async () => {
    const credentials = { email: ALICE.email, password: PASSWORD };
    const crossSite = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { origin: 'https://evil.example.net' },
      payload: credentials,
    });
    expect(crossSite.statusCode).toBe(403);
    const login = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { origin: ALLOWED },
      payload: credentials,
    });
    expect(login.statusCode).toBe(200);
    expect(login.json().access_token).toBeUndefined();
    expect(login.json().refresh_token).toBeUndefined();
    const jar = cookiesOf(login.headers['set-cookie']);
    expect(jar.access_token).toMatch(/Path=\/; HttpOnly; Secure; SameSite=Strict/);
    expect(jar.refresh_token).toMatch(/Path=\/auth\/refresh; HttpOnly; Secure; SameSite=Strict/);
    const access = `access_token=${jar.access_token!.split(';')[0]}`;
    const refresh = `refresh_token=${jar.refresh_token!.split(';')[0]}`;

    expect((await app.inject({ url: '/me', headers: { cookie: access } })).json()).toEqual({
      sub: ALICE.sub,
    });
    const foreign = await app.inject({
      method: 'POST',
      url: '/auth/refresh',
      headers: { cookie: refresh, origin: 'https://evil.example.net' },
    });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json()).toMatchObject({ from_error: 'CsrfError', status_code: 403 });
    const rotated = await app.inject({
      method: 'POST',
      url: '/auth/refresh',
      headers: { cookie: refresh, origin: ALLOWED },
    });
    expect(rotated.statusCode).toBe(200);
    expect(Object.keys(cookiesOf(rotated.headers['set-cookie']))).toEqual([
      'access_token',
      'refresh_token',
    ]);

    const newAccess = `access_token=${cookiesOf(rotated.headers['set-cookie']).access_token!.split(';')[0]}`;
    const out = await app.inject({
      method: 'POST',
      url: '/auth/logout',
      headers: { cookie: newAccess, origin: ALLOWED },
    });
    expect(out.statusCode).toBe(200);
    const cleared = cookiesOf(out.headers['set-cookie']);
    expect(cleared.access_token).toMatch(/Max-Age=0/);
    expect(cleared.refresh_token).toMatch(/Max-Age=0/);
  });
});

describe('the JWKS route', () => {
  const key = ecKeys();
  const issuer = new TokenIssuer({
    accessKeys: { key: key.privateKey, algorithm: 'ES256' },
    refreshSecret: REFRESH_SECRET,
  });

  it('serves the public keys with Cache-Control public, max-age=300, and HEAD without a body', async () => {
    const app = await fastifyApp({ policy: hsFlowParts().policy, jwks: issuer });
    try {
      const res = await app.inject({ url: '/.well-known/jwks.json' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.json()).toEqual(issuer.jwks());
      expect(res.json().keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      expect(res.json().keys[0].d).toBeUndefined();
      const head = await app.inject({ method: 'HEAD', url: '/.well-known/jwks.json' });
      expect(head.statusCode).toBe(200);
      expect(head.body).toBe('');
    } finally {
      await app.close();
    }
  });

  it('takes its max-age, and answers a failing publisher with the Python 500', async () => {
    const app = await fastifyApp({
      policy: hsFlowParts().policy,
      jwks: {
        jwks: () => Promise.reject(new Error('vault sealed at /srv/keys')),
      },
      jwksMaxAgeSeconds: 60,
      logger: quietLogger,
    });
    const ok = await fastifyApp({
      policy: hsFlowParts().policy,
      jwks: issuer,
      jwksMaxAgeSeconds: 60,
    });
    try {
      const res = await app.inject({ url: '/.well-known/jwks.json' });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toMatchObject({ msg: 'An unexpected error occurred.', status_code: 500 });
      expect(res.body).not.toContain('vault');
      const cached = await ok.inject({ url: '/.well-known/jwks.json' });
      expect(cached.headers['cache-control']).toBe('public, max-age=60');
    } finally {
      await app.close();
      await ok.close();
    }
  });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function call(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** What must be equal across adapters: tokens and ids differ by run, their presence must not. */
function comparable(label: string, answer: Answer): unknown {
  const VARYING = new Set([
    'access_token',
    'refresh_token',
    'session_id',
    'id',
    'created_at',
    'last_used_at',
    'expires_at',
  ]);
  const scrub = (value: unknown): unknown => {
    // Sessions made within one second list in either order.
    if (Array.isArray(value)) return value.map(scrub).sort(byJson);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, VARYING.has(k) ? typeof v : scrub(v)]),
    );
  };
  let body: unknown = answer.body;
  try {
    body = scrub(JSON.parse(answer.body));
  } catch {
    // not JSON: compared as text
  }
  return {
    label,
    status: answer.status,
    challenge: answer.headers['www-authenticate'],
    cacheControl: answer.headers['cache-control'],
    contentType: answer.headers['content-type'],
    retryAfter: answer.headers['retry-after'],
    body,
  };
}

const byJson = (a: unknown, b: unknown): number =>
  JSON.stringify(a).localeCompare(JSON.stringify(b));

/** One script of requests; each answer is recorded in comparable form. */
async function script(base: string): Promise<unknown[]> {
  const seen: unknown[] = [];
  const send = async (label: string, method: string, path: string, options = {}) => {
    const answer = await call(base, method, path, options);
    seen.push(comparable(label, answer));
    return answer.body ? (JSON.parse(answer.body) as Record<string, string>) : {};
  };
  const asJson = (value: unknown) => ({ headers: json, body: JSON.stringify(value) });
  const auth = (token: string, extra: Record<string, string> = {}) => ({
    headers: { authorization: `Bearer ${token}`, ...extra },
  });
  const credentials = { email: ALICE.email, password: PASSWORD };
  await send('wrong password', 'POST', '/auth/login', asJson({ ...credentials, password: 'x' }));
  await send('missing field', 'POST', '/auth/login', asJson({ email: ALICE.email }));
  await send('text/plain login', 'POST', '/auth/login', {
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify(credentials),
  });
  await send('untyped login', 'POST', '/auth/login', { body: JSON.stringify(credentials) });
  await send('malformed', 'POST', '/auth/login', { headers: json, body: '{"email":' });
  await send(
    'huge',
    'POST',
    '/auth/login',
    asJson({ ...credentials, password: 'x'.repeat(40_000) }),
  );
  const laptop = await send('login', 'POST', '/auth/login', asJson(credentials));
  const phone = await send('login again', 'POST', '/auth/login', asJson(credentials));
  const bob = await send(
    'bob',
    'POST',
    '/auth/login',
    asJson({ ...credentials, email: BOB.email }),
  );
  await send('sessions', 'GET', '/auth/sessions', auth(laptop.access_token!));
  await send('no token', 'GET', '/auth/sessions');
  await send(
    'foreign session',
    'DELETE',
    `/auth/sessions/${bob.session_id}`,
    auth(laptop.access_token!),
  );
  await send(
    'end phone',
    'DELETE',
    `/auth/sessions/${phone.session_id}`,
    auth(laptop.access_token!),
  );
  await send(
    'ended refresh',
    'POST',
    '/auth/refresh',
    asJson({ refresh_token: phone.refresh_token }),
  );
  const next = await send(
    'refresh',
    'POST',
    '/auth/refresh',
    asJson({ refresh_token: laptop.refresh_token }),
  );
  await send('reuse', 'POST', '/auth/refresh', asJson({ refresh_token: laptop.refresh_token }));
  await send('after reuse', 'POST', '/auth/refresh', asJson({ refresh_token: next.refresh_token }));
  await send('wrong type', 'POST', '/auth/refresh', asJson({ refresh_token: 42 }));
  await send('empty refresh', 'POST', '/auth/refresh', { headers: json });
  await send('logout, empty JSON', 'POST', '/auth/logout', auth(bob.access_token!, json));
  await send('logged out', 'GET', '/auth/sessions', auth(bob.access_token!));
  const again = await send('login 3', 'POST', '/auth/login', asJson(credentials));
  await send('logout-all', 'POST', '/auth/logout-all', auth(again.access_token!));
  return seen;
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('over a real listening server', () => {
  it('answers a whole script of requests exactly as Express authRoutes() does', async () => {
    const fastify = Fastify();
    await fastify.register(authPlugin, { routes: routesOptions() });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const expressApp = express();
    expressApp.use(express.json({ limit: '16kb' }));
    expressApp.use(authRoutes(routesOptions()));
    expressApp.use(errorHandler({ logger: quietLogger }));
    const expressServer = http.createServer(expressApp);
    try {
      const { port } = fastify.server.address() as AddressInfo;
      const fromFastify = await script(`http://127.0.0.1:${port}`);
      const fromExpress = await script(await listen(expressServer));
      expect(fromFastify).toEqual(fromExpress);
      expect(fromFastify.map((a) => (a as { status: number }).status)).toEqual([
        400, 400, 415, 415, 400, 413, 200, 200, 200, 200, 401, 404, 200, 401, 200, 401, 401, 400,
        401, 200, 401, 200, 200,
      ]);
    } finally {
      await fastify.close();
      expressServer.closeAllConnections();
      await new Promise<void>((resolve) => expressServer.close(() => resolve()));
    }
  });
});
