import express from 'express';
import express4 from 'express4';
import http from 'node:http';
import { Passport } from 'passport';
import request from 'supertest';
import { InsufficientScopeError } from '../../../lib/core/errors';
import { errorHandler, requireRole } from '../../../lib/express';
import { createJwtStrategy } from '../../../lib/passport';
import { expectAuthFailure, missingTokenBody } from '../../helpers/auth-failure';
import { createAuthFixture, foreignKey, quietLogger, signEs256 } from '../express/auth-fixture';
import type { AuthFixture } from '../express/auth-fixture';

function buildApp(makeApp: () => any, fx: AuthFixture): any {
  const passport = new Passport();
  passport.use(createJwtStrategy({ policy: fx.policy }));
  passport.use('jwt-shop', createJwtStrategy({ policy: fx.policy, realm: 'shop', cookie: {} }));
  const app = makeApp();
  app.use(passport.initialize());
  const strict = passport.authenticate('jwt', { session: false, failWithError: true });
  app.get('/me', strict, (req: any, res: any) => {
    res.json({ user: req.user, sub: req.auth.sub, infoJti: req.authInfo.jti });
  });
  app.get('/admin', strict, requireRole('admin'), (_req: any, res: any) => res.json({ ok: true }));
  app.get('/plain', passport.authenticate('jwt', { session: false }), (_req: any, res: any) =>
    res.json({ ok: true }),
  );
  app.get(
    '/shop',
    passport.authenticate('jwt-shop', { session: false, failWithError: true }),
    (_req: any, res: any) => res.json({ ok: true }),
  );
  app.use(errorHandler({ logger: quietLogger }));
  return app;
}

describe.each([
  ['Express 5', () => express()],
  ['Express 4', () => express4()],
] as Array<[string, () => any]>)('createJwtStrategy() on %s', (_name, makeApp) => {
  let fx: AuthFixture;
  let server: http.Server;

  beforeAll(() => {
    fx = createAuthFixture();
    server = http.createServer(buildApp(makeApp, fx));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    fx.store.fault = 'none';
  });

  it('succeeds with a valid token: req.user is the UserModel, authInfo the claims', async () => {
    const claims = fx.claims();
    const res = await request(server)
      .get('/me')
      .set('Authorization', `Bearer ${signEs256(claims, fx.privateKey)}`);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: claims.sub, email: 'user@example.com' });
    expect(res.body.infoJti).toBe(claims.jti);
  });

  it('fails a missing token with 401, a bare challenge and the same JSON as authenticate()', async () => {
    const res = await request(server).get('/me');
    expectAuthFailure(res, {
      status: 401,
      challenge: 'Bearer realm="api"',
      body: missingTokenBody,
    });
  });

  it('fails an expired token with 401 invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await request(server)
      .get('/me')
      .set('Authorization', `Bearer ${fx.token({ iat: now - 900, exp: now - 300 })}`);
    expectAuthFailure(res, {
      status: 401,
      challenge:
        'Bearer realm="api", error="invalid_token", error_description="Access token expired"',
      reason: 'expired',
    });
  });

  it('fails a token signed with another key with 401', async () => {
    const res = await request(server)
      .get('/me')
      .set('Authorization', `Bearer ${signEs256(fx.claims(), foreignKey())}`);
    expect(res.status).toBe(401);
    expect(res.body.msg).toBe('Invalid access token');
  });

  it('reports a store outage as an error (503 + Retry-After), never as a 401', async () => {
    fx.store.fault = 'throw';
    const res = await request(server).get('/me').set('Authorization', `Bearer ${fx.token()}`);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('fails a revoked token with 401 "Token revoked"', async () => {
    const claims = fx.claims();
    await fx.store.inner.revoke(claims.jti as string, 600);
    const res = await request(server)
      .get('/me')
      .set('Authorization', `Bearer ${signEs256(claims, fx.privateKey)}`);
    expect(res.status).toBe(401);
    expect(res.body.msg).toBe('Token revoked');
  });

  it('sets req.auth so requireRole works after the strategy (403 / 200)', async () => {
    const low = await request(server).get('/admin').set('Authorization', `Bearer ${fx.token()}`);
    expect(low.status).toBe(403);
    const admin = await request(server)
      .get('/admin')
      .set('Authorization', `Bearer ${fx.tokenFor('admin')}`);
    expect(admin.status).toBe(200);
  });

  it("without failWithError, Passport's own answer still carries the RFC 6750 challenge", async () => {
    const res = await request(server).get('/plain').set('Authorization', 'Bearer a.b.c');
    expectAuthFailure(res, { status: 401, challenge: { includes: 'error="invalid_token"' } });
  });

  it('answers malformed credentials with 401 and a token sent two ways with 400', async () => {
    const malformed = await request(server).get('/me').set('Authorization', 'Bearer a b');
    expectAuthFailure(malformed, {
      status: 401,
      challenge: { includes: 'error="invalid_token"' },
    });
    const token = fx.token();
    const twice = await request(server)
      .get('/shop')
      .set('Authorization', `Bearer ${token}`)
      .set('Cookie', `access_token=${token}`);
    expect(twice.status).toBe(400);
    expect(twice.body.from_error).toBe('InvalidRequestError');
  });

  it('honours realm and cookie options', async () => {
    const missing = await request(server).get('/shop');
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="shop"');
    const viaCookie = await request(server)
      .get('/shop')
      .set('Cookie', `access_token=${fx.token()}`);
    expect(viaCookie.status).toBe(200);
  });
});

describe("createJwtStrategy() with a verify callback (passport-jwt's convention)", () => {
  let fx: AuthFixture;
  let server: http.Server;
  const seen: Array<{ email: unknown; fromRequest?: unknown }> = [];

  beforeAll(() => {
    fx = createAuthFixture();
    const passport = new Passport();
    passport.use(
      createJwtStrategy({ policy: fx.policy, realm: 'shop' }, (claims, done) => {
        seen.push({ email: claims.email });
        if (claims.email === 'banned@example.com') return done(null, false);
        if (claims.email === 'broken@example.com') return done(new Error('directory down'));
        if (claims.email === 'scoped@example.com') {
          return done(new InsufficientScopeError('Account suspended'));
        }
        return done(null, { account: claims.sub }, { plan: 'pro' });
      }),
    );
    passport.use(
      'with-req',
      createJwtStrategy(
        { policy: fx.policy, name: 'with-req', passReqToCallback: true },
        (req, claims, done) => {
          seen.push({ email: claims.email, fromRequest: req.headers['x-tenant'] });
          done(null, { account: claims.sub });
        },
      ),
    );
    passport.use(
      'async',
      createJwtStrategy({ policy: fx.policy, name: 'async' }, async () => {
        throw new Error('rejected without calling done');
      }),
    );
    const app = express();
    app.use(passport.initialize());
    for (const name of ['jwt', 'with-req', 'async']) {
      app.get(
        `/${name}`,
        passport.authenticate(name, { session: false, failWithError: true }),
        (req: any, res: any) => res.json({ user: req.user, info: req.authInfo, sub: req.auth.sub }),
      );
    }
    app.use(errorHandler({ logger: quietLogger }));
    server = http.createServer(app);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
  });

  it('makes the user and authInfo what done() gives, req.auth the claims', async () => {
    const claims = fx.claims();
    const res = await request(server)
      .get('/jwt')
      .set('Authorization', `Bearer ${signEs256(claims, fx.privateKey)}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: { account: claims.sub },
      info: { plan: 'pro' },
      sub: claims.sub,
    });
    expect(seen).toEqual([{ email: 'user@example.com' }]);
  });

  it('is not called for a refused token', async () => {
    const res = await request(server).get('/jwt').set('Authorization', 'Bearer a.b.c');
    expect(res.status).toBe(401);
    expect(seen).toEqual([]);
  });

  it("answers a falsy user 401 invalid_token in the strategy's realm", async () => {
    const res = await request(server)
      .get('/jwt')
      .set('Authorization', `Bearer ${fx.token({ email: 'banned@example.com' })}`);
    expectAuthFailure(res, {
      status: 401,
      challenge:
        'Bearer realm="shop", error="invalid_token", error_description="Invalid access token"',
      msg: 'Invalid access token',
      reason: 'invalid',
    });
  });

  it('answers an AuthError its own status, another error as an error (500, nothing echoed)', async () => {
    const scoped = await request(server)
      .get('/jwt')
      .set('Authorization', `Bearer ${fx.token({ email: 'scoped@example.com' })}`);
    expectAuthFailure(scoped, {
      status: 403,
      challenge: { includes: ['realm="shop"', 'error="insufficient_scope"'] },
      msg: 'Account suspended',
    });
    const broken = await request(server)
      .get('/jwt')
      .set('Authorization', `Bearer ${fx.token({ email: 'broken@example.com' })}`);
    expect(broken.status).toBe(500);
    expect(broken.body.msg).toBe('An unexpected error occurred.');
  });

  it('passes the request first with passReqToCallback', async () => {
    const res = await request(server)
      .get('/with-req')
      .set('x-tenant', 'acme')
      .set('Authorization', `Bearer ${fx.token()}`);
    expect(res.status).toBe(200);
    expect(seen).toEqual([{ email: 'user@example.com', fromRequest: 'acme' }]);
  });

  it('answers a verify that rejects without calling done', async () => {
    const res = await request(server).get('/async').set('Authorization', `Bearer ${fx.token()}`);
    expect(res.status).toBe(500);
  });
});
