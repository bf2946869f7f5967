import connect from 'connect';
import express from 'express';
import express4 from 'express4';
import http from 'node:http';
import request from 'supertest';
import { ConfigurationError } from '../../../lib/core/errors';
import { loadSettings } from '../../../lib/core/settings/load';
import { authenticate, errorHandler, requireRole } from '../../../lib/express';
import { MemoryRevocationStore } from '../../../stores/memory';
import { expectAuthFailure, missingTokenBody } from '../../helpers/auth-failure';
import { HS_SECRET } from '../../helpers/keys';
import { accessClaims, mint } from '../../helpers/mint-token';
import { createAuthFixture, foreignKey, signEs256, quietLogger } from './auth-fixture';
import type { AuthFixture } from './auth-fixture';

type AnyApp = any;

function mountRoutes(app: AnyApp, fx: AuthFixture): AnyApp {
  const auth = authenticate({ policy: fx.policy });
  app.get('/me', auth, (req: any, res: any) => {
    res.json({ sub: req.auth.sub, role: req.auth.role, user: req.user });
  });
  app.get('/admin', auth, requireRole('admin'), (_req: any, res: any) => res.json({ ok: true }));
  app.get('/role-only', requireRole('user'), (_req: any, res: any) => res.json({ ok: true }));
  app.get('/optional', authenticate({ policy: fx.policy, optional: true }), (req: any, res: any) =>
    res.json({ authenticated: req.auth !== undefined }),
  );
  app.get('/realm', authenticate({ policy: fx.policy, realm: 'shop' }), (_req: any, res: any) =>
    res.json({ ok: true }),
  );
  const cookieAuth = authenticate({
    policy: fx.policy,
    cookie: {},
    csrf: { allowedOrigins: ['https://app.example.com'] },
  });
  app.get('/cookie', cookieAuth, (req: any, res: any) => res.json({ sub: req.auth.sub }));
  app.post('/cookie', cookieAuth, (req: any, res: any) => res.json({ sub: req.auth.sub }));
  app.post('/json', auth, (req: any, res: any) => res.json({ got: req.body }));
  app.get('/boom', auth, () => {
    throw new Error('database password is hunter2 at /srv/app/db.ts:12');
  });
  app.use(errorHandler({ logger: quietLogger }));
  return app;
}

const frameworks: Array<[string, () => AnyApp]> = [
  [
    'Express 5',
    () => {
      const app = express();
      app.use(express.json({ limit: '1kb' }));
      return app;
    },
  ],
  [
    'Express 4',
    () => {
      const app = express4();
      app.use(express4.json({ limit: '1kb' }));
      return app;
    },
  ],
];

describe.each(frameworks)('authenticate() on %s', (_name, makeApp) => {
  let fx: AuthFixture;
  let server: http.Server;

  beforeAll(() => {
    fx = createAuthFixture();
    server = http.createServer(mountRoutes(makeApp(), fx));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    fx.store.fault = 'none';
  });

  it('answers a request without a token with 401 and a bare Bearer challenge', async () => {
    const res = await request(server).get('/me');
    expectAuthFailure(res, {
      status: 401,
      challenge: 'Bearer realm="api"',
      body: missingTokenBody,
    });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('accepts a valid Bearer token and sets req.auth and req.user', async () => {
    const res = await request(server).get('/me').set('Authorization', `Bearer ${fx.token()}`);
    expect(res.status).toBe(200);
    expect(res.body.sub).toBe('3f1c1f8e-8a55-4c39-9f0e-2b7f8d5e9a10');
    expect(res.body.user).toMatchObject({
      id: '3f1c1f8e-8a55-4c39-9f0e-2b7f8d5e9a10',
      email: 'user@example.com',
      role: 'user',
    });
  });

  it('rejects an expired token with 401 invalid_token "Access token expired"', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = fx.token({ iat: now - 3600, exp: now - 600 });
    const res = await request(server).get('/me').set('Authorization', `Bearer ${token}`);
    expectAuthFailure(res, {
      status: 401,
      challenge:
        'Bearer realm="api", error="invalid_token", error_description="Access token expired"',
      reason: 'expired',
    });
  });

  it('rejects a token signed by another key with 401 invalid_token', async () => {
    const token = signEs256(fx.claims(), foreignKey());
    const res = await request(server).get('/me').set('Authorization', `Bearer ${token}`);
    expectAuthFailure(res, {
      status: 401,
      challenge: { includes: 'error="invalid_token"' },
      msg: 'Invalid access token',
    });
  });

  it('rejects a revoked token with 401 "Token revoked"', async () => {
    const claims = fx.claims();
    const token = signEs256(claims, fx.privateKey);
    await fx.store.inner.revoke(claims.jti as string, 600);
    const res = await request(server).get('/me').set('Authorization', `Bearer ${token}`);
    expectAuthFailure(res, {
      status: 401,
      challenge: { includes: 'error_description="Token revoked"' },
      reason: 'revoked',
    });
  });

  it('answers 503 with Retry-After when the revocation store is down (fail_closed)', async () => {
    fx.store.fault = 'throw';
    const res = await request(server).get('/me').set('Authorization', `Bearer ${fx.token()}`);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.body.from_error).toBe('StoreUnavailableError');
    expect(JSON.stringify(res.body)).not.toContain('ECONNRESET');
  });

  it('answers malformed credentials (Bearer with no token, two values) with 401 invalid_token', async () => {
    for (const value of ['Bearer', 'Bearer a b', 'Bearer tök']) {
      const res = await request(server).get('/me').set('Authorization', value);
      expectAuthFailure(res, { status: 401, challenge: { includes: 'error="invalid_token"' } });
    }
  });

  it('treats a non-Bearer scheme as no token (401, bare challenge)', async () => {
    const res = await request(server).get('/me').set('Authorization', 'Basic dXNlcjpwYXNz');
    expectAuthFailure(res, { status: 401, challenge: 'Bearer realm="api"' });
  });

  it('answers a role too low with 403 insufficient_scope and lets an admin in', async () => {
    const low = await request(server)
      .get('/admin')
      .set('Authorization', `Bearer ${fx.tokenFor('user')}`);
    expectAuthFailure(low, {
      status: 403,
      challenge: { includes: 'error="insufficient_scope"' },
      bodyMatches: { status_code: 403 },
    });
    const admin = await request(server)
      .get('/admin')
      .set('Authorization', `Bearer ${fx.tokenFor('admin')}`);
    expect(admin.status).toBe(200);
    const superadmin = await request(server)
      .get('/admin')
      .set('Authorization', `Bearer ${fx.tokenFor('superadmin')}`);
    expect(superadmin.status).toBe(200);
  });

  it('answers requireRole without authenticate with 401', async () => {
    const res = await request(server).get('/role-only');
    expectAuthFailure(res, { status: 401, challenge: 'Bearer realm="api"' });
  });

  it('lets an optional route through without a token but still rejects a bad one', async () => {
    const anonymous = await request(server).get('/optional');
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.authenticated).toBe(false);
    const bad = await request(server).get('/optional').set('Authorization', 'Bearer abc.def.ghi');
    expect(bad.status).toBe(401);
    const good = await request(server)
      .get('/optional')
      .set('Authorization', `Bearer ${fx.token()}`);
    expect(good.body.authenticated).toBe(true);
  });

  it('puts the configured realm in the challenge', async () => {
    const res = await request(server).get('/realm').set('Authorization', 'Bearer x.y.z');
    expectAuthFailure(res, {
      status: 401,
      challenge: /^Bearer realm="shop", error="invalid_token"/,
    });
  });

  describe('cookie tokens', () => {
    it('accepts the access_token cookie', async () => {
      const res = await request(server).get('/cookie').set('Cookie', `access_token=${fx.token()}`);
      expect(res.status).toBe(200);
    });

    it('rejects a token sent as header AND cookie with 400', async () => {
      const token = fx.token();
      const res = await request(server)
        .get('/cookie')
        .set('Cookie', `access_token=${token}`)
        .set('Authorization', `Bearer ${token}`);
      expectAuthFailure(res, { status: 400, challenge: { includes: 'error="invalid_request"' } });
    });

    it('refuses an unsafe cookie request without a trusted Origin with 403', async () => {
      const res = await request(server)
        .post('/cookie')
        .set('Cookie', `access_token=${fx.token()}`)
        .set('Origin', 'https://evil.example');
      expect(res.status).toBe(403);
      expect(res.body.msg).toBe('CSRF check failed');
      const none = await request(server)
        .post('/cookie')
        .set('Cookie', `access_token=${fx.token()}`);
      expect(none.status).toBe(403);
    });

    it('accepts an unsafe cookie request from an allowed Origin or Referer', async () => {
      const origin = await request(server)
        .post('/cookie')
        .set('Cookie', `access_token=${fx.token()}`)
        .set('Origin', 'https://app.example.com');
      expect(origin.status).toBe(200);
      const referer = await request(server)
        .post('/cookie')
        .set('Cookie', `access_token=${fx.token()}`)
        .set('Referer', 'https://app.example.com/settings?tab=1');
      expect(referer.status).toBe(200);
    });

    it('accepts an unsafe cookie request with a matching double-submit header only', async () => {
      const ok = await request(server)
        .post('/cookie')
        .set('Cookie', `access_token=${fx.token()}; csrf_token=abc123`)
        .set('X-CSRF-Token', 'abc123');
      expect(ok.status).toBe(200);
      const mismatch = await request(server)
        .post('/cookie')
        .set('Cookie', `access_token=${fx.token()}; csrf_token=abc123`)
        .set('X-CSRF-Token', 'abc124');
      expect(mismatch.status).toBe(403);
    });

    it('never applies the CSRF check to a Bearer header token', async () => {
      const res = await request(server)
        .post('/cookie')
        .set('Authorization', `Bearer ${fx.token()}`)
        .set('Origin', 'https://evil.example');
      expect(res.status).toBe(200);
    });
  });

  it('answers a malformed JSON body with 400, an oversized one with 413', async () => {
    const bad = await request(server)
      .post('/json')
      .set('Authorization', `Bearer ${fx.token()}`)
      .set('Content-Type', 'application/json')
      .send('{"a": tok');
    expect(bad.status).toBe(400);
    expect(bad.body.msg).toBe('Malformed request body.');
    const big = await request(server)
      .post('/json')
      .set('Authorization', `Bearer ${fx.token()}`)
      .send({ a: 'x'.repeat(4096) });
    expect(big.status).toBe(413);
  });

  it('answers an unexpected route error with a bare 500 (no message, no path)', async () => {
    const res = await request(server).get('/boom').set('Authorization', `Bearer ${fx.token()}`);
    expect(res.status).toBe(500);
    expect(res.body.msg).toBe('An unexpected error occurred.');
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toContain('/srv/app');
  });
});

describe('authenticate() without errorHandler', () => {
  it("gets the right status and challenge from Express's own final handler", async () => {
    const fx = createAuthFixture();
    const app = express();
    app.get('/me', authenticate({ policy: fx.policy }), (_req, res) => {
      res.json({ ok: true });
    });
    const missing = await request(app).get('/me');
    expectAuthFailure(missing, { status: 401, challenge: 'Bearer realm="api"' });
    const invalid = await request(app).get('/me').set('Authorization', 'Bearer a.b.c');
    expectAuthFailure(invalid, { status: 401, challenge: { includes: 'error="invalid_token"' } });
  });
});

describe('authenticate() on plain Connect', () => {
  let fx: AuthFixture;
  let server: http.Server;

  beforeAll(() => {
    fx = createAuthFixture();
    const app = connect();
    app.use('/me', authenticate({ policy: fx.policy }) as any);
    app.use('/me', ((req: any, res: any) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ sub: req.auth.sub, email: req.user.email }));
    }) as any);
    app.use(errorHandler({ logger: quietLogger }) as any);
    server = http.createServer(app);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('authenticates a valid token', async () => {
    const res = await request(server).get('/me').set('Authorization', `Bearer ${fx.token()}`);
    expect(res.status).toBe(200);
    expect(res.body.email).toBe('user@example.com');
  });

  it('answers a missing token with 401 and the JSON body', async () => {
    const res = await request(server).get('/me');
    expectAuthFailure(res, {
      status: 401,
      challenge: 'Bearer realm="api"',
      fromError: 'InvalidTokenError',
    });
  });

  it('answers an outage with 503 and Retry-After', async () => {
    fx.store.fault = 'throw';
    const res = await request(server).get('/me').set('Authorization', `Bearer ${fx.token()}`);
    fx.store.fault = 'none';
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
  });
});

describe('authenticate() options', () => {
  it('refuses two verdict sources at construction', () => {
    const fx = createAuthFixture();
    expect(() => authenticate({ policy: fx.policy, validator: fx.validator } as any)).toThrow(
      /only one of 'policy', 'validator' or 'settings'/,
    );
  });

  it('accepts a bare validator (no revocation check)', async () => {
    const fx = createAuthFixture();
    const app = express();
    app.get('/me', authenticate({ validator: fx.validator }), (req, res) => {
      res.json({ sub: req.auth!.sub });
    });
    const claims = fx.claims();
    await fx.store.inner.revoke(claims.jti as string, 600);
    const res = await request(app)
      .get('/me')
      .set('Authorization', `Bearer ${signEs256(claims, fx.privateKey)}`);
    expect(res.status).toBe(200);
  });
});

describe('authenticate() built from settings', () => {
  const env = {
    ACCESS_TOKEN_ALGORITHM: 'HS256',
    ACCESS_SECRET_KEY: HS_SECRET,
    TOKEN_MODE: 'stateful',
  };

  it('builds a TokenPolicy from settings + revocationStore once, and enforces revocation', async () => {
    const store = new MemoryRevocationStore();
    const app = express();
    app.get(
      '/me',
      authenticate({ settings: loadSettings({ env }), revocationStore: store }),
      (req, res) => {
        res.json({ sub: req.auth!.sub });
      },
    );
    app.use(errorHandler());
    const claims = accessClaims();
    const token = mint(claims, { alg: 'HS256', key: HS_SECRET });
    expect((await request(app).get('/me').set('Authorization', `Bearer ${token}`)).status).toBe(
      200,
    );
    await store.revoke(claims.jti as string, 600);
    const revoked = await request(app).get('/me').set('Authorization', `Bearer ${token}`);
    expect(revoked.status).toBe(401);
    expect(revoked.body.msg).toBe('Token revoked');
  });

  it('refuses TOKEN_MODE=stateful without a revocation store at construction', () => {
    expect(() => authenticate({ settings: loadSettings({ env }) })).toThrow(ConfigurationError);
  });

  it('loads the settings from the environment when given nothing', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { ...env, TOKEN_MODE: 'stateless' });
    let middleware;
    try {
      middleware = authenticate();
    } finally {
      process.env = saved;
    }
    const app = express();
    app.get('/me', middleware, (_req, res) => {
      res.json({ ok: true });
    });
    const token = mint(accessClaims(), { alg: 'HS256', key: HS_SECRET });
    expect((await request(app).get('/me').set('Authorization', `Bearer ${token}`)).status).toBe(
      200,
    );
    expect((await request(app).get('/me')).status).toBe(401);
  });
});
