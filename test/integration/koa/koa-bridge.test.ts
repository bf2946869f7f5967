import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createAuthFlows } from 'auth-sdk-m8';
import { hsFlowParts } from '../../helpers/flow-parts';
import request from 'supertest';
import { createApp } from '../../../examples/koa-bridge/app';
import { expectAuthFailure, missingTokenBody } from '../../helpers/auth-failure';
import { createAuthFixture, foreignKey, quietLogger, signEs256 } from '../express/auth-fixture';
import type { AuthFixture } from '../express/auth-fixture';

describe('the Koa bridge (TokenPolicy + toErrorResponse, no fake req/res)', () => {
  let fx: AuthFixture;
  let server: http.Server;

  beforeAll(() => {
    fx = createAuthFixture();
    server = http.createServer(createApp({ policy: fx.policy, logger: quietLogger }).callback());
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers a valid token with 200', async () => {
    const res = await request(server).get('/me').set('Authorization', `Bearer ${fx.token()}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: '3f1c1f8e-8a55-4c39-9f0e-2b7f8d5e9a10',
      email: 'user@example.com',
      role: 'user',
    });
  });

  it('answers a missing token with 401, the bare challenge and the shared JSON body', async () => {
    const res = await request(server).get('/me');
    expectAuthFailure(res, {
      status: 401,
      challenge: 'Bearer realm="api"',
      body: missingTokenBody,
    });
  });

  it('answers a forged token with 401 invalid_token', async () => {
    const res = await request(server)
      .get('/me')
      .set('Authorization', `Bearer ${signEs256(fx.claims(), foreignKey())}`);
    expectAuthFailure(res, { status: 401, challenge: { includes: 'error="invalid_token"' } });
  });

  it('answers a store outage with 503 and Retry-After', async () => {
    fx.store.fault = 'throw';
    const res = await request(server).get('/me').set('Authorization', `Bearer ${fx.token()}`);
    fx.store.fault = 'none';
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('answers malformed credentials with 401 invalid_token', async () => {
    const res = await request(server).get('/me').set('Authorization', 'Bearer');
    expectAuthFailure(res, { status: 401, challenge: { includes: 'error="invalid_token"' } });
  });

  it('leaves public routes alone', async () => {
    expect((await request(server).get('/healthz')).body).toEqual({ status: 'ok' });
  });
});

describe('the Koa bridge serves the auth flows (createAuthFlows, no Express)', () => {
  it('refreshes, detects reuse, and logs out with the same answers as the Express routes', async () => {
    const quiet = { warn: () => undefined, error: () => undefined };
    const user = { sub: randomUUID(), email: 'koa@example.com', is_active: true };
    const { issuer, policy, refreshPolicy } = hsFlowParts({ refresh: { graceSeconds: 0 } });
    const flows = createAuthFlows({
      issuer,
      policy,
      refreshPolicy,
      findUser: () => user,
      verifyCredentials: async () => user,
      logger: quiet,
    });
    const server = http.createServer(createApp({ policy, flows, logger: quiet }).callback());
    try {
      const login = (
        await flows.login({
          method: 'POST',
          headers: {},
          body: { email: user.email, password: 'x' },
        })
      ).body as {
        refresh_token: string;
      };
      const refreshed = await request(server)
        .post('/auth/refresh')
        .send({ refresh_token: login.refresh_token });
      expect(refreshed.status).toBe(200);
      expect(refreshed.headers['cache-control']).toBe('no-store');
      expect(refreshed.body).toMatchObject({
        token_type: 'bearer',
        refresh_token: expect.any(String),
      });
      const reused = await request(server)
        .post('/auth/refresh')
        .send({ refresh_token: login.refresh_token });
      expect(reused.status).toBe(401);
      expect(reused.body.msg).toBe('Refresh token already used or revoked');
      const malformed = await request(server)
        .post('/auth/refresh')
        .set('content-type', 'application/json')
        .send('{not json');
      expect(malformed.status).toBe(400);
      // The reuse ended the session: its access tokens are refused, the newest one too.
      const stolen = await request(server)
        .get('/me')
        .set('Authorization', `Bearer ${refreshed.body.access_token}`);
      expect(stolen.status).toBe(401);
      const again = (
        await request(server).post('/auth/login').send({ email: user.email, password: 'x' })
      ).body as { access_token: string };
      const out = await request(server)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${again.access_token}`)
        .send({});
      expect(out.status).toBe(200);
      const me = await request(server)
        .get('/me')
        .set('Authorization', `Bearer ${again.access_token}`);
      expect(me.status).toBe(401);
    } finally {
      server.close();
    }
  });
});
