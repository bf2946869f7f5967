import express from 'express';
import request from 'supertest';
import { Registry } from 'prom-client';
import {
  metricsHooks,
  metricsMiddleware,
  metricsRouter,
  normalizePrefix,
  recordLogout,
  resolveGroups,
  setupMetrics,
} from '../../../lib/metrics';
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

describe('metric groups and prefix (Python semantics)', () => {
  it.each([
    ['all', 5],
    ['ALL', 5],
    ['Traffic', 1],
    ['traffic, performance', 2],
    ['nope', 0],
    ['traffic,nope', 1],
    ['', 0],
  ])('resolveGroups(%j) has %i groups', (value, size) => {
    expect(resolveGroups(value).size).toBe(size);
  });

  it.each([
    ['/user', 'user_'],
    ['/api/v1', 'api_v1_'],
    ['/my-service', 'my_service_'],
    ['', ''],
    ['/', ''],
    ['/v1.2~x', 'v1_2_x_'],
  ])('normalizePrefix(%j) is %j', (prefix, expected) => {
    expect(normalizePrefix(prefix)).toBe(expected);
  });
});

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

  it('disabled: the middleware passes through and the endpoint shows no http series', async () => {
    const metrics = setupMetrics({ enabled: false, groups: 'all', apiPrefix: '' });
    const app = appWith(metrics);
    await request(app).get('/items/1').expect(200);
    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).not.toContain('http_requests_total');
  });

  it('protects the scrape with a bearer token compared in constant time, or denies without one', async () => {
    const metrics = setupMetrics({ enabled: true, groups: 'all', apiPrefix: '' });
    const app = appWith(metrics, { scrapeToken: 'scrape-secret' });
    const denied = await request(app).get('/metrics').expect(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    await request(app).get('/metrics').set('Authorization', 'Bearer wrong').expect(401);
    await request(app).get('/metrics').set('Authorization', 'Bearer scrape-secret').expect(200);
    await request(appWith(metrics, { denyWithoutToken: true }))
      .get('/metrics')
      .expect(403);
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
    expect(text).toContain('svc_auth_redis_circuit_breaker_open 1');
    expect(text).toContain('svc_auth_jwks_fetch_total{result="stale"} 1');
    expect(text).toContain('svc_auth_logout_total 1');
  });

  it('is a no-op without the auth group', () => {
    expect(metricsHooks(setupMetrics({ enabled: true, groups: 'traffic' }))).toEqual({});
  });
});
