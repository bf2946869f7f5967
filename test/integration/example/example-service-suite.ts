/**
 * The black-box checks every example service answers (one framework, the same service), as a
 * function of the example: `example-service.<name>.test.ts` runs it for one example, so Jest
 * can run the examples side by side. Each check that is about the process or a configuration
 * runs a REAL child process; the checks that only need a running default service share one
 * process (they use their own logins, and the one ending in SIGTERM runs last).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from 'redis';
import request from 'supertest';
import type { Logger } from 'auth-sdk-m8';
import { bootstrap } from '../../../examples/common/bootstrap';
import { refusalMessage } from '../../../examples/common/run-server';
import { PrivateRedis, waitFor } from '../../helpers/redis-server';
import { describeWithService } from '../../helpers/services';
import { runExpectingExit, startService } from './run-service';
import type { ExampleService, RunningService } from './run-service';

async function login(url: string, email: string, password = 'demo-password') {
  const res = await request(url).post('/auth/login').send({ email, password });
  expect(res.status).toBe(200);
  return res.body as { access_token: string; refresh_token: string; token_type: string };
}

/** A start refused in the shared bootstrap, as the runner prints it (or how it did not refuse). */
type Refusal =
  | { refused: true; message: string }
  | { refused: false; why: 'started' | 'hung' | 'threw while printing' };

/**
 * Builds the example's services in this process, as `examples/common/run-server.ts` does from
 * the environment the child process would get, and resolves the refusal it prints. A start
 * that succeeds is closed again; one that takes longer than `timeoutMs` counts as hung.
 */
async function refusalInProcess(
  extra: Record<string, string>,
  timeoutMs = 20_000,
): Promise<Refusal> {
  const env = { NODE_ENV: 'test', PORT: '0', ...extra };
  const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Refusal>((resolve) => {
    timer = setTimeout(() => resolve({ refused: false, why: 'hung' }), timeoutMs);
  });
  const attempt = bootstrap(env, silent).then(
    async (booted): Promise<Refusal> => {
      await booted.close();
      return { refused: false, why: 'started' };
    },
    (err: unknown): Refusal => {
      try {
        return { refused: true, message: refusalMessage(err, env) };
      } catch {
        return { refused: false, why: 'threw while printing' };
      }
    },
  );
  try {
    return await Promise.race([attempt, hung]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeExampleService(example: ExampleService): void {
  let dir: string; // keys the ES256 setting does not accept (P-384)
  const keyFiles = () => ({
    ACCESS_PRIVATE_KEY_FILE: path.join(dir, 'priv.pem'),
    ACCESS_PUBLIC_KEY_FILE: path.join(dir, 'pub.pem'),
  });
  /**
   * The bad configurations of 'refuses a bad configuration', each refused in this process by
   * the shared bootstrap, all at once and first: the Redis case's 3 s connect deadline passes
   * while the other checks run.
   */
  let refusals: Promise<Record<string, Refusal>>;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'example-bad-'));
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    writeFileSync(path.join(dir, 'priv.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(path.join(dir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const cases: Record<string, Record<string, string>> = {
      p384: { ACCESS_TOKEN_ALGORITHM: 'ES256', ...keyFiles() },
      changethis: { REFRESH_SECRET_KEY: 'changethis' },
      unreachableRedis: { AUTH_STORE: 'redis', REDIS_PORT: '1' },
      unknownStore: { AUTH_STORE: 'floppy' },
      clientCache: { AUTH_STORE: 'redis', REDIS_CLIENT_CACHE: 'sometimes' },
    };
    refusals = Promise.all(
      Object.entries(cases).map(async ([name, env]) => [name, await refusalInProcess(env)]),
    ).then((entries) => Object.fromEntries(entries) as Record<string, Refusal>);
  });
  afterAll(async () => {
    await refusals.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('as a real process', () => {
    let service: RunningService | undefined;

    /** The shared default service; started again should a check have stopped it (run order). */
    async function shared(): Promise<RunningService> {
      if (service === undefined || service.child.exitCode !== null)
        service = await startService({}, example);
      return service;
    }

    beforeAll(async () => {
      await shared();
    });

    afterAll(async () => {
      if (service && service.child.exitCode === null) await service.stop();
    });

    it('lists and ends sessions, logs out everywhere, and listens on 127.0.0.1 unless HOST says otherwise', async () => {
      const service = await shared();
      expect(service.output()).toContain('listening on http://127.0.0.1:');
      const url = service.url;
      // The service is shared: end whatever sessions user@example.com holds from other checks.
      const earlier = await login(url, 'user@example.com');
      const cleared = await request(url)
        .post('/auth/logout-all')
        .set('Authorization', `Bearer ${earlier.access_token}`);
      expect(cleared.status).toBe(200);
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
      const { url } = await shared();
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

    it('throttles password guessing (ASVS 5 V6.3.1): 429 with Retry-After past 5 failures, no start-up warning', async () => {
      const running = await shared();
      // An unknown account: counted exactly as a known one, and no other check logs in as it.
      const guess = () =>
        request(running.url)
          .post('/auth/login')
          .send({ email: `nobody-${example}@example.com`, password: 'guess' });
      for (let i = 0; i < 5; i++) expect((await guess()).status).toBe(400);
      const refused = await guess();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(running.output()).not.toContain('no brute-force protection');
    });

    // Last: it ends the shared service.
    it('walks login → me → admin → refresh → reuse → logout over real HTTP, then exits 0 on SIGTERM', async () => {
      const service = await shared();
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

  // Last: the in-process refusals began with the suite, so the Redis case's deadline has passed.
  describe('refuses a bad configuration', () => {
    function expectPlainRefusal(result: { code: number | null; stdout: string; stderr: string }) {
      expect(result.code).not.toBe(0);
      expect(result.code).not.toBeNull();
      expectPlainWords(result.stderr);
    }

    function expectPlainWords(text: string) {
      expect(text).toContain('refused to start');
      // Plain words: no stack trace, no source paths.
      expect(text).not.toMatch(/\n\s+at /);
      expect(text).not.toMatch(/\.ts:\d+/);
    }

    /** The refusal the runner prints for case `name` (fails when the bootstrap did not refuse). */
    async function refused(name: string): Promise<string> {
      const refusal = (await refusals)[name];
      expect(refusal).toMatchObject({ refused: true });
      const message = (refusal as { message: string }).message;
      expectPlainWords(message);
      return message;
    }

    it('as a real process: exits non-zero for REFRESH_SECRET_KEY=changethis, in plain words, without echoing the secret', async () => {
      const result = await runExpectingExit({ REFRESH_SECRET_KEY: 'changethis' }, example);
      expectPlainRefusal(result);
      expect(result.stderr).toMatch(/REFRESH_SECRET_KEY/);
      expect(result.stderr).not.toContain('changethis');
    });

    it('prints no secret value from its environment, even one a message repeats', () => {
      const env = { REFRESH_SECRET_KEY: 'Leaky-secret-0123456789', DB_PASSWORD: 'pw-123456' };
      const message = refusalMessage(
        new Error('got Leaky-secret-0123456789 and pw-123456, user admin'),
        env,
      );
      expectPlainWords(message);
      expect(message).not.toContain('Leaky-secret-0123456789');
      expect(message).not.toContain('pw-123456');
      expect(message).toContain('got *** and ***, user admin');
    });

    it('exits non-zero with a plain message for an ES256 setting with a P-384 key', async () => {
      expect(await refused('p384')).toMatch(/P-256/);
    });

    it('exits non-zero for REFRESH_SECRET_KEY=changethis without echoing the secret', async () => {
      const message = await refused('changethis');
      expect(message).toMatch(/REFRESH_SECRET_KEY/);
      expect(message).not.toContain('changethis');
    });

    it('exits non-zero, without hanging, when AUTH_STORE=redis cannot reach Redis', async () => {
      expect(await refused('unreachableRedis')).toContain('Redis at 127.0.0.1:1 cannot be reached');
    });

    it('exits non-zero for an unknown AUTH_STORE', async () => {
      expect(await refused('unknownStore')).toContain(
        'AUTH_STORE must be one of memory, redis, postgres, mysql',
      );
    });

    it('exits non-zero for a REDIS_CLIENT_CACHE that is not true or false', async () => {
      expect(await refused('clientCache')).toContain(
        'REDIS_CLIENT_CACHE must be true or false (got "sometimes")',
      );
    });
  });
}
