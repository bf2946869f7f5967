import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import request from 'supertest';
import { PrivateRedis, waitFor } from '../../helpers/redis-server';
import { describeWithService } from '../../helpers/services';
import { EXAMPLE_SERVICES, runExpectingExit, startService } from './run-service';
import type { RunningService } from './run-service';

jest.setTimeout(60_000);

async function login(url: string, email: string, password = 'demo-password') {
  const res = await request(url).post('/auth/login').send({ email, password });
  expect(res.status).toBe(200);
  return res.body as { access_token: string; refresh_token: string; token_type: string };
}

// Every example service answers the same black-box checks: one framework, the same service.
describe.each(EXAMPLE_SERVICES)('the example service examples/%s', (example) => {
  describe('as a real process', () => {
    let service: RunningService | undefined;

    afterEach(async () => {
      if (service && service.child.exitCode === null) await service.stop();
      service = undefined;
    });

    it('walks login → me → admin → refresh → reuse → logout over real HTTP, then exits 0 on SIGTERM', async () => {
      service = await startService({}, example);
      const { url } = service;
      expect(service.output()).toMatch(/algorithm ES256, token mode stateful, stores memory/);
      expect(service.output()).toContain('generated a dev ES256 key pair');

      const user = await login(url, 'user@example.com');
      expect(user.token_type).toBe('bearer');
      const admin = await login(url, 'admin@example.com');

      const me = await request(url)
        .get('/auth/me')
        .set('Authorization', `Bearer ${user.access_token}`);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ email: 'user@example.com', role: 'user' });

      const forbidden = await request(url)
        .get('/admin')
        .set('Authorization', `Bearer ${user.access_token}`);
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers['www-authenticate']).toContain('error="insufficient_scope"');
      const allowed = await request(url)
        .get('/admin')
        .set('Authorization', `Bearer ${admin.access_token}`);
      expect(allowed.status).toBe(200);

      const missing = await request(url).get('/auth/me');
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="api"');

      const refreshed = await request(url)
        .post('/auth/refresh')
        .send({ refresh_token: user.refresh_token });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.refresh_token).not.toBe(user.refresh_token);
      const newMe = await request(url)
        .get('/auth/me')
        .set('Authorization', `Bearer ${refreshed.body.access_token}`);
      expect(newMe.status).toBe(200);

      // Inside REFRESH_GRACE_SECONDS an unused successor would be handed out again (two tabs):
      // once the successor was itself used, the rotated token is a theft signal.
      const moved = await request(url)
        .post('/auth/refresh')
        .send({ refresh_token: refreshed.body.refresh_token });
      expect(moved.status).toBe(200);
      // Reusing the rotated token is a theft signal: 401, and the whole family dies.
      const reuse = await request(url)
        .post('/auth/refresh')
        .send({ refresh_token: user.refresh_token });
      expect(reuse.status).toBe(401);
      expect(reuse.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(reuse.body.msg).toBe('Refresh token already used or revoked');
      const familyGone = await request(url)
        .post('/auth/refresh')
        .send({ refresh_token: moved.body.refresh_token });
      expect(familyGone.status).toBe(401);

      const logout = await request(url)
        .post('/auth/logout')
        .set('Authorization', `Bearer ${admin.access_token}`)
        .send({ refresh_token: admin.refresh_token });
      expect(logout.status).toBe(200);
      const afterLogout = await request(url)
        .get('/auth/me')
        .set('Authorization', `Bearer ${admin.access_token}`);
      expect(afterLogout.status).toBe(401);
      expect(afterLogout.body.msg).toBe('Token revoked');
      const refreshAfterLogout = await request(url)
        .post('/auth/refresh')
        .send({ refresh_token: admin.refresh_token });
      expect(refreshAfterLogout.status).toBe(401);

      const jwks = await request(url).get('/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      expect(jwks.headers['cache-control']).toBe('public, max-age=300');
      expect(jwks.body.keys).toHaveLength(1);
      expect(jwks.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      expect(jwks.body.keys[0].d).toBeUndefined();

      expect((await request(url).get('/healthz')).body).toEqual({ status: 'ok' });

      expect(await service.stop()).toBe(0);
    });

    it('lists and ends sessions, logs out everywhere, and listens on 127.0.0.1 unless HOST says otherwise', async () => {
      service = await startService({}, example);
      expect(service.output()).toContain('listening on http://127.0.0.1:');
      const url = service.url;
      const laptop = (await login(url, 'user@example.com')) as {
        access_token: string;
        session_id?: string;
      };
      const phone = (await login(url, 'user@example.com')) as {
        access_token: string;
        session_id?: string;
      };
      const admin = (await login(url, 'admin@example.com')) as {
        access_token: string;
        session_id?: string;
      };
      const listed = await request(url)
        .get('/auth/sessions')
        .set('Authorization', `Bearer ${laptop.access_token}`);
      expect(listed.status).toBe(200);
      expect(listed.body.map((s: { id: string }) => s.id).sort()).toEqual(
        [laptop.session_id, phone.session_id].sort(),
      );
      const foreign = await request(url)
        .delete(`/auth/sessions/${admin.session_id}`)
        .set('Authorization', `Bearer ${laptop.access_token}`);
      expect(foreign.status).toBe(404);
      const ended = await request(url)
        .delete(`/auth/sessions/${phone.session_id}`)
        .set('Authorization', `Bearer ${laptop.access_token}`);
      expect(ended.status).toBe(200);
      expect(
        (await request(url).get('/auth/me').set('Authorization', `Bearer ${phone.access_token}`))
          .status,
      ).toBe(401);
      const all = await request(url)
        .post('/auth/logout-all')
        .set('Authorization', `Bearer ${laptop.access_token}`);
      expect(all.status).toBe(200);
      expect(
        (await request(url).get('/auth/me').set('Authorization', `Bearer ${laptop.access_token}`))
          .status,
      ).toBe(401);
      expect(
        (await request(url).get('/auth/me').set('Authorization', `Bearer ${admin.access_token}`))
          .status,
      ).toBe(200);
    });

    it('answers client mistakes with 4xx, never 500', async () => {
      service = await startService({}, example);
      const { url } = service;
      const badJson = await request(url)
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"email": ');
      expect(badJson.status).toBe(400);
      const missingField = await request(url)
        .post('/auth/login')
        .send({ email: 'user@example.com' });
      expect(missingField.status).toBe(400);
      expect(missingField.body.msg).toBe('Validation error.');
      const wrong = await request(url)
        .post('/auth/login')
        .send({ email: 'user@example.com', password: 'nope' });
      expect(wrong.status).toBe(400);
      expect(wrong.body.msg).toBe('Incorrect email or password');
      const garbageRefresh = await request(url).post('/auth/refresh').send({ refresh_token: 'x' });
      expect(garbageRefresh.status).toBe(401);
      const wrongType = await request(url).post('/auth/refresh').send({ refresh_token: 42 });
      expect(wrongType.status).toBe(400);
      const notFound = await request(url).get('/nope');
      expect(notFound.status).toBe(404);
      const huge = await request(url)
        .post('/auth/login')
        .send({ email: 'a@example.com', password: 'x'.repeat(40_000) });
      expect(huge.status).toBe(413);
    });
  });

  describe('refuses a bad configuration', () => {
    let dir: string;

    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'example-bad-'));
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      writeFileSync(
        path.join(dir, 'priv.pem'),
        privateKey.export({ type: 'pkcs8', format: 'pem' }),
      );
      writeFileSync(path.join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    function expectPlainRefusal(result: { code: number | null; stdout: string; stderr: string }) {
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expect(result.stderr).toContain('refused to start');
      // Plain words: no stack trace, no source paths.
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stderr).not.toMatch(/\.ts:\d+/);
    }

    it('exits non-zero with a plain message for an ES256 setting with a P-384 key', async () => {
      const result = await runExpectingExit(
        {
          ACCESS_TOKEN_ALGORITHM: 'ES256',
          ACCESS_PRIVATE_KEY_FILE: path.join(dir, 'priv.pem'),
          ACCESS_PUBLIC_KEY_FILE: path.join(dir, 'pub.pem'),
        },
        example,
      );
      expectPlainRefusal(result);
      expect(result.stderr).toMatch(/P-256/);
    });

    it('exits non-zero for REFRESH_SECRET_KEY=changethis without echoing the secret', async () => {
      const result = await runExpectingExit({ REFRESH_SECRET_KEY: 'changethis' }, example);
      expectPlainRefusal(result);
      expect(result.stderr).toMatch(/REFRESH_SECRET_KEY/);
    });

    it('exits non-zero, without hanging, when AUTH_STORE=redis cannot reach Redis', async () => {
      const result = await runExpectingExit({ AUTH_STORE: 'redis', REDIS_PORT: '1' }, example);
      expectPlainRefusal(result);
      expect(result.stderr).toContain('Redis at 127.0.0.1:1 cannot be reached');
    });

    it('exits non-zero for an unknown AUTH_STORE', async () => {
      const result = await runExpectingExit({ AUTH_STORE: 'floppy' }, example);
      expectPlainRefusal(result);
      expect(result.stderr).toContain('AUTH_STORE must be one of memory, redis, postgres, mysql');
    });

    it('exits non-zero for a REDIS_CLIENT_CACHE that is not true or false', async () => {
      const result = await runExpectingExit(
        { AUTH_STORE: 'redis', REDIS_CLIENT_CACHE: 'sometimes' },
        example,
      );
      expectPlainRefusal(result);
      expect(result.stderr).toContain('REDIS_CLIENT_CACHE must be true or false (got "sometimes")');
    });
  });

  describeWithService('redis', 'with AUTH_STORE=redis', () => {
    let dir: string;
    let env: Record<string, string>;

    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'example-redis-'));
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(
        path.join(dir, 'priv.pem'),
        privateKey.export({ type: 'pkcs8', format: 'pem' }),
      );
      writeFileSync(path.join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
      env = {
        AUTH_STORE: 'redis',
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: '6379',
        ACCESS_TOKEN_ALGORITHM: 'ES256',
        ACCESS_PRIVATE_KEY_FILE: path.join(dir, 'priv.pem'),
        ACCESS_PUBLIC_KEY_FILE: path.join(dir, 'pub.pem'),
        ACCESS_KEY_ID: 'restart-test',
        REFRESH_SECRET_KEY: 'Restart-Test_secret-0123456789-abcdefXYZ',
      };
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('loses nothing across a restart: refresh still rotates, a revoked token stays revoked', async () => {
      const first = await startService(env, example);
      let pair: { access_token: string; refresh_token: string };
      let other: { access_token: string; refresh_token: string };
      try {
        expect(first.output()).toMatch(/stores redis 127\.0\.0\.1:6379/);
        pair = await login(first.url, 'user@example.com');
        other = await login(first.url, 'admin@example.com');
        const logout = await request(first.url)
          .post('/auth/logout')
          .set('Authorization', `Bearer ${other.access_token}`);
        expect(logout.status).toBe(200);
      } finally {
        expect(await first.stop()).toBe(0);
      }

      const second = await startService(env, example);
      try {
        const revoked = await request(second.url)
          .get('/auth/me')
          .set('Authorization', `Bearer ${other!.access_token}`);
        expect(revoked.status).toBe(401);
        expect(revoked.body.msg).toBe('Token revoked');
        const stillValid = await request(second.url)
          .get('/auth/me')
          .set('Authorization', `Bearer ${pair!.access_token}`);
        expect(stillValid.status).toBe(200);
        const rotated = await request(second.url)
          .post('/auth/refresh')
          .send({ refresh_token: pair!.refresh_token });
        expect(rotated.status).toBe(200);
        const moved = await request(second.url)
          .post('/auth/refresh')
          .send({ refresh_token: rotated.body.refresh_token });
        expect(moved.status).toBe(200);
        const reuse = await request(second.url)
          .post('/auth/refresh')
          .send({ refresh_token: pair!.refresh_token });
        expect(reuse.status).toBe(401);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    });
  });

  describe('with AUTH_STORE=redis and REDIS_CLIENT_CACHE (private redis-server)', () => {
    let redis: PrivateRedis;
    let writer: ReturnType<typeof createClient>;

    beforeAll(async () => {
      redis = await PrivateRedis.start();
      writer = createClient({ url: redis.url });
      await writer.connect();
    });
    afterAll(async () => {
      await writer.quit();
      await redis.stop();
    });

    /** EXISTS calls the server has answered so far (only the service and INFO talk to it). */
    async function existsCalls(): Promise<number> {
      const info = await writer.info('commandstats');
      return Number(/cmdstat_exists:calls=(\d+)/.exec(info)?.[1] ?? 0);
    }

    async function twentyRequests(url: string, token: string): Promise<number> {
      const before = await existsCalls();
      for (let i = 0; i < 20; i++) {
        const me = await request(url).get('/auth/me').set('Authorization', `Bearer ${token}`);
        expect(me.status).toBe(200);
      }
      return (await existsCalls()) - before;
    }

    it('REDIS_CLIENT_CACHE=true: one EXISTS for twenty requests, and a key the Python issuer writes is refused; logout at once', async () => {
      const service = await startService(
        {
          AUTH_STORE: 'redis',
          REDIS_PORT: String(redis.port),
          REDIS_CLIENT_CACHE: 'true',
        },
        example,
      );
      try {
        expect(service.output()).toMatch(
          /stores redis 127\.0\.0\.1:\d+ \(revocation checks cached/,
        );
        const user = await login(service.url, 'user@example.com');
        expect(await twentyRequests(service.url, user.access_token)).toBe(1);
        const { jti } = JSON.parse(
          Buffer.from(user.access_token.split('.')[1]!, 'base64url').toString(),
        ) as { jti: string };
        await writer.sendCommand(['SET', `jwt:blacklist:${jti}`, '1', 'EX', '60']);
        const me = () =>
          request(service.url).get('/auth/me').set('Authorization', `Bearer ${user.access_token}`);
        await waitFor(async () => (await me()).status === 401, 2000, 'a 401');
        expect((await me()).body.msg).toBe('Token revoked');

        const admin = await login(service.url, 'admin@example.com');
        const asAdmin = () =>
          request(service.url).get('/auth/me').set('Authorization', `Bearer ${admin.access_token}`);
        expect((await asAdmin()).status).toBe(200);
        const logout = await request(service.url)
          .post('/auth/logout')
          .set('Authorization', `Bearer ${admin.access_token}`);
        expect(logout.status).toBe(200);
        expect((await asAdmin()).status).toBe(401);
      } finally {
        expect(await service.stop()).toBe(0);
      }
    });

    it('REDIS_CLIENT_CACHE unset: every request asks Redis, as before', async () => {
      const service = await startService(
        { AUTH_STORE: 'redis', REDIS_PORT: String(redis.port) },
        example,
      );
      try {
        expect(service.output()).not.toContain('revocation checks cached');
        const user = await login(service.url, 'user@example.com');
        expect(await twentyRequests(service.url, user.access_token)).toBe(20);
      } finally {
        expect(await service.stop()).toBe(0);
      }
    });
  });

  describe('with METRICS_ENABLED=true', () => {
    it('serves GET /metrics with HTTP and auth counters', async () => {
      const service = await startService(
        { METRICS_ENABLED: 'true', METRICS_GROUPS: 'all' },
        example,
      );
      try {
        expect(service.output()).toContain('metrics on');
        await login(service.url, 'user@example.com');
        await request(service.url)
          .post('/auth/login')
          .send({ email: 'user@example.com', password: 'wrong' });
        const res = await request(service.url).get('/metrics');
        expect(res.status).toBe(200);
        expect(res.text).toMatch(/login_attempts_total\{[^}]*result="success"[^}]*\} 1/);
        expect(res.text).toMatch(/login_attempts_total\{[^}]*result="wrong_credentials"[^}]*\} 1/);
        expect(res.text).toMatch(/http_requests_total/);
      } finally {
        expect(await service.stop()).toBe(0);
      }
    });
  });

  for (const kind of ['postgres', 'mysql'] as const) {
    describeWithService(kind, `with AUTH_STORE=${kind}`, () => {
      it('logs in, rotates, detects reuse and revokes on logout through the SQL stores', async () => {
        const service = await startService({ AUTH_STORE: kind }, example);
        try {
          expect(service.output()).toContain(`stores ${kind} 127.0.0.1`);
          const pair = await login(service.url, 'user@example.com');
          const rotated = await request(service.url)
            .post('/auth/refresh')
            .send({ refresh_token: pair.refresh_token });
          expect(rotated.status).toBe(200);
          const moved = await request(service.url)
            .post('/auth/refresh')
            .send({ refresh_token: rotated.body.refresh_token });
          expect(moved.status).toBe(200);
          const reuse = await request(service.url)
            .post('/auth/refresh')
            .send({ refresh_token: pair.refresh_token });
          expect(reuse.status).toBe(401);
          // The theft ended the session: every access token it issued is refused.
          for (const token of [rotated.body.access_token, moved.body.access_token]) {
            const me = await request(service.url)
              .get('/auth/me')
              .set('Authorization', `Bearer ${token}`);
            expect([me.status, me.body.msg]).toEqual([401, 'Token revoked']);
          }
          const fresh = await login(service.url, 'user@example.com');
          const logout = await request(service.url)
            .post('/auth/logout')
            .set('Authorization', `Bearer ${fresh.access_token}`);
          expect(logout.status).toBe(200);
          const after = await request(service.url)
            .get('/auth/me')
            .set('Authorization', `Bearer ${fresh.access_token}`);
          expect(after.status).toBe(401);
        } finally {
          expect(await service.stop()).toBe(0);
        }
      });
    });
  }
});
