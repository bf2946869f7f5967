/**
 * The NestJS example service (`npm run example:nest`) as a real process, black-box: the same
 * walk as the Express example's (login → me → admin → refresh → reuse → logout, sessions, JWKS,
 * client mistakes, metrics, SIGTERM), and a plain refusal of a bad configuration.
 */
import { spawn } from 'node:child_process';
import request from 'supertest';
import { describeWithService } from '../../helpers/services';
import { root } from './run-service';

jest.setTimeout(60_000);

interface Running {
  url: string;
  output(): string;
  stop(): Promise<number | null>;
}

function run(env: Record<string, string>): {
  started: Promise<Running>;
  exited: Promise<{ code: number | null; stderr: string }>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/nest/server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stderr })),
  );
  const started = new Promise<Running>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start:\n${stdout}\n${stderr}`)), 30_000);
    child.stdout!.on('data', () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1]!,
        output: () => stdout + stderr,
        stop: () => {
          child.kill('SIGTERM');
          return exited.then((e) => e.code);
        },
      });
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before listening:\n${stdout}\n${stderr}`));
    });
  });
  started.catch(() => undefined);
  return { started, exited };
}

async function login(url: string, email: string) {
  const res = await request(url).post('/auth/login').send({ email, password: 'demo-password' });
  expect(res.status).toBe(200);
  return res.body as { access_token: string; refresh_token: string; session_id: string };
}

describe('the NestJS example service (npm run example:nest)', () => {
  it('walks login → me → admin → refresh → reuse → sessions → logout, JWKS, then exits 0', async () => {
    const service = await run({ METRICS_ENABLED: 'true', METRICS_GROUPS: 'all' }).started;
    const { url } = service;
    try {
      expect(service.output()).toMatch(/algorithm ES256, token mode stateful, stores memory/);
      const user = await login(url, 'user@example.com');
      const admin = await login(url, 'admin@example.com');
      const me = await request(url)
        .get('/auth/me')
        .set('authorization', `Bearer ${user.access_token}`);
      expect(me.status).toBe(200);
      expect(me.headers['cache-control']).toBe('no-store');
      expect(me.body).toMatchObject({ email: 'user@example.com', role: 'user' });
      const forbidden = await request(url)
        .get('/admin')
        .set('authorization', `Bearer ${user.access_token}`);
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers['www-authenticate']).toContain('error="insufficient_scope"');
      const allowed = await request(url)
        .get('/admin')
        .set('authorization', `Bearer ${admin.access_token}`);
      expect(allowed.body).toEqual({
        success: true,
        msg: 'Welcome, admin@example.com',
        role: 'admin',
      });
      const missing = await request(url).get('/auth/me');
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(missing.body).toMatchObject({ success: false, msg: 'Access token missing' });

      const refreshed = await request(url)
        .post('/auth/refresh')
        .send({ refresh_token: user.refresh_token });
      expect(refreshed.status).toBe(200);
      const moved = await request(url)
        .post('/auth/refresh')
        .send({ refresh_token: refreshed.body.refresh_token });
      expect(moved.status).toBe(200);
      const reuse = await request(url)
        .post('/auth/refresh')
        .send({ refresh_token: user.refresh_token });
      expect(reuse.status).toBe(401);
      expect(reuse.body.msg).toBe('Refresh token already used or revoked');

      const sessions = await request(url)
        .get('/auth/sessions')
        .set('authorization', `Bearer ${admin.access_token}`);
      expect(sessions.body.map((s: { id: string }) => s.id)).toEqual([admin.session_id]);
      const foreign = await request(url)
        .delete(`/auth/sessions/${user.session_id}`)
        .set('authorization', `Bearer ${admin.access_token}`);
      expect(foreign.status).toBe(404);
      const out = await request(url)
        .post('/auth/logout')
        .set('authorization', `Bearer ${admin.access_token}`);
      expect(out.status).toBe(200);
      const after = await request(url)
        .get('/auth/me')
        .set('authorization', `Bearer ${admin.access_token}`);
      expect(after.body.msg).toBe('Token revoked');

      const jwks = await request(url).get('/.well-known/jwks.json');
      expect(jwks.headers['cache-control']).toBe('public, max-age=300');
      expect(jwks.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      expect(jwks.body.keys[0].d).toBeUndefined();
      expect((await request(url).get('/healthz')).body).toEqual({ status: 'ok' });
      expect((await request(url).get('/healthz')).headers['x-powered-by']).toBeUndefined();

      const badJson = await request(url)
        .post('/auth/login')
        .set('content-type', 'application/json')
        .send('{"email": ');
      expect(badJson.status).toBe(400);
      const huge = await request(url)
        .post('/auth/login')
        .send({ email: 'a@example.com', password: 'x'.repeat(40_000) });
      expect(huge.status).toBe(413);
      const form = await request(url)
        .post('/auth/login')
        .type('form')
        .send({ email: 'user@example.com', password: 'demo-password' });
      expect(form.status).toBe(415);
      expect((await request(url).get('/nope')).status).toBe(404);

      const metrics = await request(url).get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toMatch(/login_attempts_total\{[^}]*result="success"[^}]*\} 2/);
      expect(metrics.text).toMatch(/http_requests_total/);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });

  it('refuses a bad configuration in plain words, exit 1', async () => {
    const { exited } = run({ REFRESH_SECRET_KEY: 'changethis' });
    const { code, stderr } = await exited;
    expect(code).toBe(1);
    expect(stderr).toContain('refused to start');
    expect(stderr).toMatch(/REFRESH_SECRET_KEY/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describeWithService('redis', 'the NestJS example service with AUTH_STORE=redis', () => {
  it('logs in, rotates and revokes through Redis', async () => {
    const service = await run({
      AUTH_STORE: 'redis',
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: '6379',
      REFRESH_SECRET_KEY: 'Nest-Example_secret-0123456789-abcdefXYZ',
    }).started;
    try {
      expect(service.output()).toMatch(/stores redis 127\.0\.0\.1:6379/);
      const pair = await login(service.url, 'user@example.com');
      const rotated = await request(service.url)
        .post('/auth/refresh')
        .send({ refresh_token: pair.refresh_token });
      expect(rotated.status).toBe(200);
      const out = await request(service.url)
        .post('/auth/logout')
        .set('authorization', `Bearer ${rotated.body.access_token}`);
      expect(out.status).toBe(200);
      const after = await request(service.url)
        .get('/auth/me')
        .set('authorization', `Bearer ${rotated.body.access_token}`);
      expect(after.status).toBe(401);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});
