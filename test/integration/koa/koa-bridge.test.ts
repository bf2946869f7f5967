import http from 'node:http';
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
