import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { Registry } from 'prom-client';
import {
  metricsHooks,
  metricsMiddleware,
  metricsRouter,
  recordLogout,
  setupMetrics,
} from '../../../lib/metrics';
import { CLIENT_CLOSED_STATUS } from '../../../lib/metrics/http-middleware';
import { TokenValidator } from '../../../lib/security/token-validator';
import { createValidationConfig } from '../../../lib/security/validation-config';
import { HS_SECRET } from '../../helpers/keys';
import { accessClaims, mint } from '../../helpers/mint-token';

function appWith(
  metrics: ReturnType<typeof setupMetrics>,
  options: Parameters<typeof metricsRouter>[1] = {},
) {
  const app = express();
  app.use(metricsMiddleware(metrics));
  app.use(metricsRouter(metrics, options));
  app.get('/items/:id', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  return app;
}

describe('metrics over real HTTP requests', () => {
  it('records requests, durations, error classes and statuses with route-pattern endpoints', async () => {
    const metrics = setupMetrics({ enabled: true, groups: 'all', apiPrefix: '/svc' });
    const app = appWith(metrics);
    await request(app).get('/items/42').expect(200);
    await request(app).get('/items/7').expect(200);
    await request(app).get('/boom').expect(500);
    await request(app).get('/nowhere/123').expect(404);
    const text = (await request(app).get('/svc/metrics').expect(200)).text;
    expect(text).toContain(
      'svc_http_requests_total{method="GET",endpoint="/items/:id",status_code="200"} 2',
    );
    expect(text).toContain(
      'svc_http_request_duration_seconds_count{method="GET",endpoint="/items/:id"} 2',
    );
    expect(text).toContain(
      'svc_http_errors_total{method="GET",endpoint="/boom",status_class="5xx"} 1',
    );
    expect(text).toContain(
      'svc_http_errors_total{method="GET",endpoint="__unmatched__",status_class="4xx"} 1',
    );
    expect(text).toContain('svc_http_status_total{status_code="404"} 1');
    expect(text).not.toContain('/nowhere');
  });

  it('keeps endpoint labels bounded under 1,000 random paths (a scanner cannot explode cardinality)', async () => {
    const metrics = setupMetrics({ enabled: true, groups: 'traffic', apiPrefix: '' });
    const app = express();
    app.use(metricsMiddleware(metrics, { maxPathLabels: 50 }));
    // A middleware answering every path itself (no route): the fallback labels must stay bounded.
    app.use((req, res, next) => (req.path.startsWith('/deny') ? res.status(401).end() : next()));
    for (let i = 0; i < 1000; i++) {
      const path =
        i % 2 === 0
          ? `/deny/${Math.random().toString(36).slice(2)}`
          : `/scan/${i}-${Math.random()}`;
      await request(app).get(path);
    }
    const text = await metrics.registry.metrics();
    const endpoints = new Set([...text.matchAll(/endpoint="([^"]*)"/g)].map((m) => m[1]));
    expect(endpoints.size).toBeLessThanOrEqual(52);
    expect(endpoints.has('__unmatched__')).toBe(true);
    expect(endpoints.has('__other__')).toBe(true);
  }, 60_000);

  it('can be set up twice in one process (private registries) and uses an injected one', async () => {
    const a = setupMetrics({ enabled: true, groups: 'all', apiPrefix: '/a' });
    const b = setupMetrics({ enabled: true, groups: 'all', apiPrefix: '/a' });
    expect(a.registry).not.toBe(b.registry);
    const registry = new Registry();
    const c = setupMetrics({ enabled: true, groups: 'health', registry });
    expect(c.registry).toBe(registry);
    expect(await registry.metrics()).toContain('http_status_total');
  });

  it('disabled: the middleware passes through and there is no endpoint (a scraper sees no live target)', async () => {
    const metrics = setupMetrics({ enabled: false, groups: 'all', apiPrefix: '' });
    const app = appWith(metrics);
    await request(app).get('/items/1').expect(200);
    // Not a 200 with an empty body: the route falls through to the app's 404.
    await request(app).get('/metrics').expect(404);
    // No work per request: the disabled middleware adds no response listeners.
    const count = (withMiddleware: boolean) => {
      const probe = express();
      if (withMiddleware) probe.use(metricsMiddleware(metrics));
      probe.get('/', (_req, r) => {
        r.json(r.listenerCount('finish') + r.listenerCount('close'));
      });
      return request(probe).get('/');
    };
    expect((await count(true)).body).toBe((await count(false)).body);
    const enabled = setupMetrics({ enabled: true, groups: 'all' });
    const probe = express();
    probe.use(metricsMiddleware(enabled));
    probe.get('/', (_req, r) => {
      r.json(r.listenerCount('finish') + r.listenerCount('close'));
    });
    expect((await request(probe).get('/')).body).toBe((await count(false)).body + 2);
  });

  it('protects the scrape with a bearer token compared in constant time, or denies without one', async () => {
    const metrics = setupMetrics({ enabled: true, groups: 'all', apiPrefix: '' });
    const app = appWith(metrics, { scrapeToken: 'scrape-secret' });
    const denied = await request(app).get('/metrics').expect(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    await request(app).get('/metrics').set('Authorization', 'Bearer wrong').expect(401);
    await request(app).get('/metrics').set('Authorization', 'Bearer scrape-secret').expect(200);
    await request(appWith(metrics, { scrapeToken: 'scrape-secret', environment: 'production' }))
      .get('/metrics')
      .set('Authorization', 'Bearer scrape-secret')
      .expect(200);
  });

  it('denies scrapes in production when no token is set, unless told not to', async () => {
    const metrics = setupMetrics({ enabled: true, groups: 'all', apiPrefix: '' });
    await request(appWith(metrics, { environment: 'production' }))
      .get('/metrics')
      .expect(403);
    await request(appWith(metrics, { environment: 'Production', denyInProduction: false }))
      .get('/metrics')
      .expect(200);
    await request(appWith(metrics, { environment: 'local' }))
      .get('/metrics')
      .expect(200);
  });

  it('exposes the Python names, help texts and buckets in the Prometheus text format', async () => {
    const metrics = setupMetrics({ enabled: true, groups: 'all', apiPrefix: '/svc' });
    const app = appWith(metrics);
    await request(app).get('/items/1').expect(200);
    const res = await request(app).get('/svc/metrics').expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toContain('# HELP svc_http_requests_total Total HTTP requests\n');
    expect(res.text).toContain('# TYPE svc_http_request_duration_seconds histogram\n');
    for (const le of [
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
    ]) {
      expect(res.text).toContain(
        `svc_http_request_duration_seconds_bucket{le="${le}",method="GET",endpoint="/items/:id"}`,
      );
    }
    expect(res.text).toContain('# HELP svc_http_errors_total Total 4xx and 5xx HTTP responses\n');
    expect(res.text).toContain(
      '# HELP svc_http_status_total HTTP responses by exact status code\n',
    );
    for (const name of [
      'auth_login_attempts_total',
      'auth_token_refresh_total',
      'auth_logout_total',
      'auth_token_validation_failures_total',
      'auth_oauth_attempts_total',
      'auth_revocation_failure_total',
      'auth_degraded_decision_total',
      'auth_redis_circuit_breaker_open',
      'auth_degradation_mode_active',
      'auth_session_integrity_denial_total',
      'auth_api_key_validations_total',
      'auth_api_key_rate_limit_checks_total',
      'auth_api_key_rate_limit_hits_total',
      'auth_api_key_lifecycle_total',
      'auth_api_key_flush_duration_seconds',
    ]) {
      expect(res.text).toContain(`# TYPE svc_${name} `);
    }
    const head = await request(app).head('/svc/metrics').expect(200);
    expect(head.text ?? '').toBe('');
  });

  it('records a request the client aborted once, as 499, under its route pattern', async () => {
    const metrics = setupMetrics({ enabled: true, groups: 'all', apiPrefix: '' });
    const app = express();
    app.use(metricsMiddleware(metrics));
    let reached!: () => void;
    const handlerReached = new Promise<void>((resolve) => (reached = resolve));
    app.get('/slow/:id', () => reached()); // never answers: the client gives up first
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const req = http.get(`http://127.0.0.1:${port}/slow/9`);
      req.on('error', () => undefined);
      await handlerReached;
      req.destroy();
      const deadline = Date.now() + 5000;
      let text = '';
      while (Date.now() < deadline) {
        text = await metrics.registry.metrics();
        if (text.includes(`status_code="${CLIENT_CLOSED_STATUS}"`)) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(text).toContain(
        'http_requests_total{method="GET",endpoint="/slow/:id",status_code="499"} 1',
      );
      expect(text).toContain('http_status_total{status_code="499"} 1');
      expect(text).not.toContain('status_code="200"');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('builds from settings with the Python defaults (METRICS_GROUPS all, API_PREFIX empty)', async () => {
    const fromEnv = setupMetrics({ settings: { METRICS_ENABLED: true } });
    expect(fromEnv.groups.size).toBe(5);
    expect(fromEnv.prefix).toBe('');
    const scoped = setupMetrics({
      settings: { METRICS_ENABLED: true, METRICS_GROUPS: 'health', API_PREFIX: '/api/v1' },
    });
    expect(await scoped.registry.metrics()).toContain('# TYPE api_v1_http_status_total counter');
    expect(await scoped.registry.metrics()).not.toContain('http_requests_total');
    expect(setupMetrics({ settings: { METRICS_ENABLED: false } }).groups.size).toBe(0);
  });
});

describe('metricsHooks', () => {
  it('feeds validation failures by reason, refresh results, reuse, degradation, breaker, JWKS and logouts', async () => {
    const metrics = setupMetrics({ enabled: true, groups: 'auth', apiPrefix: '/svc' });
    const hooks = metricsHooks(metrics);
    const validator = new TokenValidator({
      secret: { key: HS_SECRET, algorithm: 'HS256' },
      config: createValidationConfig(),
      hooks,
    });
    await validator
      .validateAccessToken(mint(accessClaims({ exp: 1 }), { key: HS_SECRET }))
      .catch(() => undefined);
    await validator.validateAccessToken('garbage').catch(() => undefined);
    hooks.onSuccess?.({ jti: 'n', sub: 'u', tokenType: 'refresh' });
    hooks.onFailure?.({ reason: 'reused', tokenType: 'refresh' });
    hooks.onDegraded?.({
      control: 'access_revocation',
      mode: 'fail_open',
      reason: 'timeout',
      store: 'redis',
    });
    hooks.onDegraded?.({
      control: 'refresh_validation',
      mode: 'fail_closed',
      reason: 'circuit_open',
      store: 'postgres',
    });
    hooks.onBreakerStateChange?.({ store: 'redis', open: true });
    hooks.onJwksFetch?.({ result: 'stale', uri: 'https://x' });
    recordLogout(metrics);
    const text = await metrics.registry.metrics();
    expect(text).toContain('svc_auth_token_validation_failures_total{reason="expired"} 1');
    expect(text).toContain('svc_auth_token_validation_failures_total{reason="invalid"} 1');
    expect(text).toContain('svc_auth_token_refresh_total{result="success"} 1');
    expect(text).toContain('svc_auth_token_refresh_total{result="reused"} 1');
    expect(text).toContain('svc_auth_session_integrity_denial_total{trigger="reuse_detected"} 1');
    expect(text).toContain(
      'svc_auth_degraded_decision_total{control="access_revocation",mode="fail_open",reason="timeout"} 1',
    );
    expect(text).toContain(
      'svc_auth_degradation_mode_active{control="access_revocation",mode="fail_open"} 1',
    );
    expect(text).toContain(
      'svc_auth_degradation_mode_active{control="access_revocation",mode="fail_closed"} 0',
    );
    expect(text).toContain(
      'svc_auth_degradation_mode_active{control="refresh_validation",mode="fail_closed"} 1',
    );
    // A store failure counts once per failed call; an open breaker skips the call (no failure).
    expect(text).toContain('svc_auth_revocation_failure_total{operation="access_blacklist"} 1');
    expect(text).not.toContain('operation="refresh_allowlist"');
    expect(text).toContain('svc_auth_redis_circuit_breaker_open 1');
    expect(text).toContain('svc_auth_store_circuit_breaker_open{store="redis"} 1');
    expect(text).toContain('svc_auth_jwks_fetch_total{result="stale"} 1');
    expect(text).toContain('svc_auth_logout_total 1');
  });

  it('is a no-op without the auth group', () => {
    expect(metricsHooks(setupMetrics({ enabled: true, groups: 'traffic' }))).toEqual({});
  });
});
