/**
 * The spans of an Express service on Redis stores, as an app's SDK (in-memory exporter)
 * receives them, every request over a real HTTP server inside the app's own HTTP span: an
 * authenticated request, a login, a refresh (rotated, replayed inside the grace, then reused:
 * the family revoked), a JWKS fetch, and a store outage (Redis hung: fail_closed, then the
 * breaker open). Each test also checks that no span carries a token, a secret, the password
 * or a claim value, and that the span attributes tell what the metrics count.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  LoginRateLimiter,
  RefreshRateLimiter,
  RefreshTokenPolicy,
  TokenIssuer,
  TokenPolicy,
  TokenValidator,
  createValidationConfig,
  type AuthUser,
} from 'auth-sdk-m8';
import { authenticate, authRoutes, errorHandler } from 'auth-sdk-m8/express';
import { metricsHooks, setupMetrics, type Metrics } from 'auth-sdk-m8/metrics';
import {
  createRedisClient,
  RedisRateLimitStore,
  RedisRefreshTokenStore,
  RedisRevocationStore,
  RedisSessionStore,
} from 'auth-sdk-m8/stores/redis';
import { JwksKeyResolver } from '../../../lib/security/key-resolvers/jwks';
import { JwksServer } from '../../helpers/jwks-server';
import { HS_SECRET, REFRESH_SECRET, rsaKeys } from '../../helpers/keys';
import { connectRedis, dropRedisPrefix, type TestRedisClient } from '../../helpers/redis-client';
import { PrivateRedis } from '../../helpers/redis-server';
import { describeWithService, services, uniquePrefix } from '../../helpers/services';
import {
  appHttpSpan,
  childrenOf,
  only,
  secretsIn,
  spanId,
  startTracing,
  type TestTracing,
} from '../../helpers/tracing';

const quiet = { warn: () => undefined, error: () => undefined };
const PASSWORD = 'Tracing-Password-never-in-a-span';
const USER: AuthUser = {
  sub: randomUUID(),
  email: 'tracing.user@example.com',
  role: 'user',
  is_active: true,
};

/** Every value no span may carry, gathered as the test sees them. */
class Secrets {
  readonly values = [HS_SECRET, REFRESH_SECRET, PASSWORD, USER.email, USER.sub];
  readonly tokens: string[] = [];

  /** Records a token and the values of its claims. */
  token(token: string): string {
    this.tokens.push(token);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    for (const key of ['sub', 'jti', 'sid', 'fid', 'email']) {
      if (typeof claims[key] === 'string') this.values.push(claims[key]);
    }
    return token;
  }

  expectNoneIn(spans: ReadableSpan[]): void {
    expect(spans.length).toBeGreaterThan(0);
    expect(secretsIn(spans, this.values, this.tokens)).toEqual([]);
  }
}

async function listen(app: Express): Promise<{ base: string; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The spans once the app's HTTP span of the last request has ended (it ends after the answer). */
async function spansOfRequest(tracing: TestTracing, count = 1): Promise<ReadableSpan[]> {
  for (let i = 0; i < 100; i++) {
    if (tracing.spans().filter((s) => s.kind === SpanKind.SERVER).length >= count) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return tracing.spans();
}

/** Label values → counts of one counter, as `/metrics` would show them. */
async function counted(counter: {
  get(): Promise<{ values: Array<{ labels: object; value: number }> }>;
}): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { labels, value } of (await counter.get()).values) {
    if (value > 0) out[Object.values(labels).join('/')] = value;
  }
  return out;
}

/** How many spans carry each value of `attribute` (or of the joined `attributes`). */
function tally(spans: ReadableSpan[], ...attributes: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const span of spans) {
    const values = attributes.map((a) => span.attributes[a]);
    if (values.some((v) => v === undefined)) continue;
    const key = values.join('/');
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

describeWithService('redis', 'tracing: the spans of an Express service on Redis', () => {
  const prefix = uniquePrefix('tracing');
  let tracing: TestTracing;
  let client: TestRedisClient;
  let server: { base: string; close(): Promise<void> };
  let metrics: Metrics;
  let offset = 0;
  const clock = () => Date.now() + offset;
  const secrets = new Secrets();

  beforeAll(async () => {
    tracing = await startTracing();
    client = await connectRedis();
    metrics = setupMetrics({ enabled: true, groups: 'all' });
    const hooks = metricsHooks(metrics);
    const sessions = new RedisSessionStore({ client, keyPrefix: `${prefix}sess:` });
    const issuer = new TokenIssuer({
      accessKeys: { key: HS_SECRET, algorithm: 'HS256' },
      refreshSecret: REFRESH_SECRET,
      clock,
    });
    const policy = new TokenPolicy({
      validator: new TokenValidator({
        secret: { key: HS_SECRET, algorithm: 'HS256' },
        config: createValidationConfig({ allowedAlgorithms: ['HS256'] }),
        clock,
        hooks,
      }),
      revocationStore: new RedisRevocationStore({ client, keyPrefix: `${prefix}bl:` }),
      hooks,
      logger: quiet,
    });
    const refreshPolicy = new RefreshTokenPolicy({
      secret: REFRESH_SECRET,
      store: new RedisRefreshTokenStore({ client, sessions, keyPrefix: `${prefix}rt:` }),
      graceSeconds: 10,
      clock,
      hooks,
      logger: quiet,
    });
    const app = express();
    app.use(appHttpSpan);
    app.use(express.json());
    app.use(
      authRoutes({
        issuer,
        refreshPolicy,
        policy,
        sessions,
        findUser: (id) => (id === USER.sub ? USER : null),
        verifyCredentials: async (email, password) =>
          email === USER.email && password === PASSWORD ? USER : null,
        loginRateLimit: new LoginRateLimiter({
          store: new RedisRateLimitStore({ client, keyPrefix: `${prefix}login:` }),
          perAccount: { max: 3, windowSeconds: 60 },
          perIp: false,
          hooks,
          logger: quiet,
        }),
        rateLimit: new RefreshRateLimiter({
          store: new RedisRateLimitStore({ client, keyPrefix: `${prefix}rl:` }),
          hooks,
          logger: quiet,
        }),
        clock,
        hooks,
        logger: quiet,
      }),
    );
    app.get('/me', authenticate({ policy }), (req, res) => {
      res.json({ ok: req.auth !== undefined });
    });
    app.use(errorHandler({ logger: quiet }));
    server = await listen(app);
  });

  afterAll(async () => {
    await server.close();
    await dropRedisPrefix(client, prefix);
    client.destroy();
    await tracing.stop();
  });

  beforeEach(() => tracing.reset());

  async function post(path: string, body: unknown, bearer?: string) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
    const res = await fetch(`${server.base}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  }

  async function login(): Promise<{ access: string; refresh: string; session: string }> {
    const { status, body } = await post('/auth/login', { email: USER.email, password: PASSWORD });
    expect(status).toBe(200);
    secrets.values.push(body.session_id!);
    return {
      access: secrets.token(body.access_token!),
      refresh: secrets.token(body.refresh_token!),
      session: body.session_id!,
    };
  }

  it('an authenticated request: the pipeline, validation and the Redis check in the app span', async () => {
    const { access } = await login();
    tracing.reset();
    const res = await fetch(`${server.base}/me`, {
      headers: { authorization: `Bearer ${access}` },
    });
    expect(res.status).toBe(200);
    const spans = await spansOfRequest(tracing);
    const app = only(spans, 'GET');
    const pipeline = only(spans, 'auth.authenticate');
    expect(pipeline.parentSpanContext?.spanId).toBe(spanId(app));
    expect(pipeline.attributes).toEqual({
      'auth.result': 'authenticated',
      'auth.token.source': 'header',
    });
    expect(childrenOf(spans, pipeline)).toEqual(['auth.validate_token', 'auth.revocation_check']);
    expect(only(spans, 'auth.validate_token').attributes).toEqual({
      'auth.token.type': 'access',
      'auth.token.algorithm': 'HS256',
      'auth.token.verdict': 'valid',
    });
    const check = only(spans, 'auth.revocation_check');
    expect(check.attributes).toEqual({
      'auth.revocation.source': 'store',
      'auth.token.revoked': false,
    });
    expect(childrenOf(spans, check)).toEqual(['isRevoked']);
    const redis = only(spans, 'isRevoked');
    expect(redis.kind).toBe(SpanKind.CLIENT);
    expect(redis.attributes).toEqual({
      'db.system.name': 'redis',
      'db.system': 'redis',
      'db.operation.name': 'isRevoked',
      'auth.store.name': 'RedisRevocationStore',
      'auth.store.control': 'access_revocation',
      'auth.store.failure_mode': 'fail_closed',
      'auth.store.breaker.state': 'closed',
      'auth.store.timeout_ms': 1000,
    });
    // One trace: the app's span is its root.
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    secrets.expectNoneIn(spans);
  });

  it('the Redis revocation cache: the first check asks Redis, the next ones are local', async () => {
    const tracked = createRedisClient({
      url: services.redis.url,
      clientCache: { keyPrefix: `${prefix}bl:` },
    });
    await tracked.connect();
    try {
      const policy = new TokenPolicy({
        validator: new TokenValidator({
          secret: { key: HS_SECRET, algorithm: 'HS256' },
          config: createValidationConfig({ allowedAlgorithms: ['HS256'] }),
          clock,
        }),
        revocationStore: new RedisRevocationStore({ client: tracked, keyPrefix: `${prefix}bl:` }),
        logger: quiet,
      });
      const { access } = await login();
      tracing.reset();
      await policy.validate(access);
      await policy.validate(access);
      const spans = tracing.spans();
      const checks = spans.filter((s) => s.name === 'auth.revocation_check');
      expect(checks.map((s) => s.attributes['auth.revocation.source'])).toEqual(['store', 'local']);
      expect(childrenOf(spans, checks[0]!)).toEqual(['isRevoked']);
      expect(childrenOf(spans, checks[1]!)).toEqual([]);
      secrets.expectNoneIn(spans);
    } finally {
      tracked.destroy();
    }
  });

  it('a bad token: refused with its reason, and no span in error (the client was wrong)', async () => {
    const { access } = await login();
    tracing.reset();
    const forged = `${access.slice(0, -4)}AAAA`;
    const res = await fetch(`${server.base}/me`, {
      headers: { authorization: `Bearer ${forged}` },
    });
    expect(res.status).toBe(401);
    const spans = await spansOfRequest(tracing);
    expect(only(spans, 'auth.authenticate').attributes).toEqual({
      'auth.result': 'refused',
      'auth.failure.reason': 'invalid',
      'auth.failure.detail': 'signature',
    });
    expect(only(spans, 'auth.validate_token').attributes).toMatchObject({
      'auth.token.verdict': 'invalid',
      'auth.failure.reason': 'invalid',
    });
    expect(spans.filter((s) => s.name.startsWith('auth.'))).not.toContainEqual(
      expect.objectContaining({ status: { code: SpanStatusCode.ERROR } }),
    );
    secrets.tokens.push(forged);
    secrets.expectNoneIn(spans);
  });

  it('a login: the flow span in the app span, its result and its store calls', async () => {
    await login();
    const wrong = await post('/auth/login', { email: USER.email, password: `${PASSWORD}!` });
    expect(wrong.status).toBe(400);
    const spans = await spansOfRequest(tracing, 2);
    const [ok, refused] = spans.filter((s) => s.name === 'auth.login');
    expect(ok!.parentSpanContext?.spanId).toBe(
      spanId(spans.find((s) => s.kind === SpanKind.SERVER)!),
    );
    expect(ok!.attributes).toEqual({ 'auth.login.result': 'success' });
    // The login limit: counted before the password is checked, forgiven once it is right.
    expect(childrenOf(spans, ok!)).toEqual(['hitMany', 'undo', 'register', 'create']);
    expect(spans.find((s) => s.name === 'register')!.attributes).toMatchObject({
      'db.system.name': 'redis',
      'auth.store.name': 'RedisRefreshTokenStore',
      'auth.store.control': 'refresh_validation',
    });
    expect(spans.find((s) => s.name === 'create')!.attributes).toMatchObject({
      'auth.store.name': 'RedisSessionStore',
      'auth.store.control': 'session_write',
    });
    expect(refused!.attributes).toEqual({
      'auth.login.result': 'wrong_credentials',
      'auth.failure.reason': 'invalid_request',
    });
    expect(refused!.status.code).toBe(SpanStatusCode.UNSET);
    secrets.values.push(`${PASSWORD}!`);
    secrets.expectNoneIn(spans);
  });

  it('a throttled login: the result and the limit, as the metrics count them', async () => {
    const auth = metrics.auth!;
    const before = await counted(auth.loginAttempts);
    const guess = { email: 'someone.else@example.com', password: 'guess' };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post('/auth/login', guess)).status);
    expect(statuses).toEqual([400, 400, 400, 429]);
    const spans = await spansOfRequest(tracing, 4);
    const logins = spans.filter((s) => s.name === 'auth.login');
    expect(logins[3]!.attributes).toEqual({
      'auth.login.result': 'rate_limited',
      'auth.rate_limit.scope': 'account',
      'auth.failure.reason': 'rate_limited',
    });
    expect(logins[3]!.status.code).toBe(SpanStatusCode.UNSET);
    const after = await counted(auth.loginAttempts);
    expect((after.rate_limited ?? 0) - (before.rate_limited ?? 0)).toBe(1);
    expect(tally(logins, 'auth.login.result')).toEqual({ wrong_credentials: 3, rate_limited: 1 });
    secrets.values.push(guess.email, guess.password + '-');
    secrets.expectNoneIn(spans);
  });

  it('a refresh: rotated, replayed inside the grace, then reused (the family revoked)', async () => {
    const first = await login();
    tracing.reset();
    const rotated = await post('/auth/refresh', { refresh_token: first.refresh });
    expect(rotated.status).toBe(200);
    secrets.token(rotated.body.access_token!);
    secrets.token(rotated.body.refresh_token!);
    const replayed = await post('/auth/refresh', { refresh_token: first.refresh });
    expect(replayed.status).toBe(200);
    secrets.token(replayed.body.access_token!);
    offset += 11_000; // past the grace: presenting the first token again is theft
    const reused = await post('/auth/refresh', { refresh_token: first.refresh });
    expect(reused.status).toBe(401);
    const spans = await spansOfRequest(tracing, 3);
    const flows = spans.filter((s) => s.name === 'auth.refresh');
    expect(flows.map((s) => s.attributes)).toEqual([
      { 'auth.refresh.result': 'success', 'auth.refresh.rotation': 'rotated' },
      { 'auth.refresh.result': 'success', 'auth.refresh.rotation': 'replayed' },
      {
        'auth.refresh.result': 'reused',
        'auth.refresh.rotation': 'reused',
        'auth.failure.reason': 'reused',
      },
    ]);
    // The rate limits (per IP, per family), the one rotation script; on reuse the family,
    // the access tokens it issued (blacklisted) and its session end.
    expect(childrenOf(spans, flows[0]!)).toEqual(['hit', 'hit', 'rotate']);
    const reuse = childrenOf(spans, flows[2]!);
    expect(reuse.slice(0, 4)).toEqual(['hit', 'hit', 'rotate', 'revokeFamily']);
    expect(reuse.slice(4).sort()).toEqual(['revoke', 'revoke', 'revokeByFamily']);
    const blacklisted = spans.filter((s) => s.name === 'revoke');
    expect(blacklisted.map((s) => s.attributes['auth.store.name'])).toEqual([
      'RedisRevocationStore',
      'RedisRevocationStore',
    ]);
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER).map(spanId);
    expect(flows.map((s) => s.parentSpanContext?.spanId)).toEqual(servers);
    secrets.expectNoneIn(spans);
  });

  it('sessions, logout and logout everywhere: one flow span each, under the app span', async () => {
    const first = await login();
    const second = await login();
    const third = await login();
    tracing.reset();
    const bearer = { authorization: `Bearer ${first.access}` };
    expect((await fetch(`${server.base}/auth/sessions`, { headers: bearer })).status).toBe(200);
    const ended = await fetch(`${server.base}/auth/sessions/${second.session}`, {
      method: 'DELETE',
      headers: bearer,
    });
    expect(ended.status).toBe(200);
    // The ended session's access token is revoked with it.
    expect((await post('/auth/logout', {}, second.access)).status).toBe(401);
    expect((await post('/auth/logout', {}, third.access)).status).toBe(200);
    expect((await post('/auth/logout-all', {}, first.access)).status).toBe(200);
    const spans = await spansOfRequest(tracing, 5);
    const flows = spans.filter((s) => /^auth\.(sessions|logout)/.test(s.name));
    expect(flows.map((s) => [s.name, s.attributes])).toEqual([
      ['auth.sessions.list', {}],
      ['auth.sessions.revoke', {}],
      ['auth.logout', { 'auth.failure.reason': 'revoked' }],
      ['auth.logout', { 'auth.logout.sessions': 1 }],
      ['auth.logout_all', { 'auth.logout.sessions': expect.any(Number) }],
    ]);
    // Each flow authenticates its caller through the pipeline, inside its own span.
    for (const flow of flows) expect(childrenOf(spans, flow)[0]).toBe('auth.authenticate');
    expect(childrenOf(spans, flows[0]!)).toEqual(['auth.authenticate', 'list']);
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER).map(spanId);
    expect(flows.map((s) => s.parentSpanContext?.spanId)).toEqual(servers);
    secrets.expectNoneIn(spans);
  });

  it('the span attributes count what the metrics count', async () => {
    const auth = metrics.auth!;
    const before = {
      logins: await counted(auth.loginAttempts),
      refreshes: await counted(auth.tokenRefresh),
    };
    const { refresh } = await login();
    await post('/auth/login', { email: USER.email, password: 'wrong' });
    const again = await post('/auth/refresh', { refresh_token: refresh });
    secrets.token(again.body.refresh_token!);
    await post('/auth/refresh', { refresh_token: 'not-a-token' });
    offset += 11_000;
    await post('/auth/refresh', { refresh_token: refresh });
    const spans = await spansOfRequest(tracing, 5);
    const grown = (after: Record<string, number>, was: Record<string, number>) =>
      Object.fromEntries(
        Object.entries(after)
          .map(([k, v]) => [k, v - (was[k] ?? 0)])
          .filter(([, v]) => v !== 0),
      );
    const logins = grown(await counted(auth.loginAttempts), before.logins);
    const refreshes = grown(await counted(auth.tokenRefresh), before.refreshes);
    expect(logins).toEqual({ success: 1, wrong_credentials: 1 });
    expect(refreshes).toEqual({ success: 1, invalid: 1, reused: 1 });
    expect(tally(spans, 'auth.login.result')).toEqual(logins);
    expect(tally(spans, 'auth.refresh.result')).toEqual(refreshes);
    secrets.expectNoneIn(spans);
  });
});

describeWithService('redis', 'tracing: a Redis outage (private redis-server, hung)', () => {
  let tracing: TestTracing;
  let redis: PrivateRedis;
  let client: TestRedisClient;
  let server: { base: string; close(): Promise<void> };
  let metrics: Metrics;
  const issuer = new TokenIssuer({
    accessKeys: { key: HS_SECRET, algorithm: 'HS256' },
    refreshSecret: REFRESH_SECRET,
  });

  beforeAll(async () => {
    tracing = await startTracing();
    redis = await PrivateRedis.start();
    client = await connectRedis(redis.url);
    metrics = setupMetrics({ enabled: true, groups: 'all' });
    const hooks = metricsHooks(metrics);
    const policy = new TokenPolicy({
      validator: new TokenValidator({
        secret: { key: HS_SECRET, algorithm: 'HS256' },
        config: createValidationConfig({ allowedAlgorithms: ['HS256'] }),
      }),
      revocationStore: new RedisRevocationStore({ client }),
      failureMode: 'fail_closed',
      timeoutMs: 200,
      hooks,
      logger: quiet,
    });
    const app = express();
    app.use(appHttpSpan);
    app.get('/me', authenticate({ policy }), (_req, res) => {
      res.json({ ok: true });
    });
    app.use(errorHandler({ logger: quiet }));
    server = await listen(app);
  });

  afterAll(async () => {
    redis.resume();
    await server.close();
    client.destroy();
    await redis.stop();
    await tracing.stop();
  });

  it('fail_closed: the Redis span in error with the guard attributes, then the breaker open', async () => {
    const { token } = issuer.issueAccessToken({
      sub: randomUUID(),
      email: 'outage@example.com',
      role: 'user',
    });
    redis.pause();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${server.base}/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([503, 503, 503, 503, 503, 503]);
    const spans = await spansOfRequest(tracing, 6);
    // The first request: the timeout, as the store span and up the chain.
    const [first] = spans.filter((s) => s.name === 'isRevoked');
    expect(first!.kind).toBe(SpanKind.CLIENT);
    expect(first!.status.code).toBe(SpanStatusCode.ERROR);
    expect(first!.attributes).toEqual({
      'db.system.name': 'redis',
      'db.system': 'redis',
      'db.operation.name': 'isRevoked',
      'auth.store.name': 'RedisRevocationStore',
      'auth.store.control': 'access_revocation',
      'auth.store.failure_mode': 'fail_closed',
      'auth.store.breaker.state': 'closed',
      'auth.store.timeout_ms': 200,
      'error.type': 'timeout',
    });
    expect(first!.events.map((e) => [e.name, e.attributes])).toEqual([
      [
        'auth.degraded',
        {
          'auth.degraded.control': 'access_revocation',
          'auth.degraded.mode': 'fail_closed',
          'auth.degraded.reason': 'timeout',
          'auth.store.name': 'RedisRevocationStore',
        },
      ],
    ]);
    const pipelines = spans.filter((s) => s.name === 'auth.authenticate');
    expect(pipelines.every((s) => s.status.code === SpanStatusCode.ERROR)).toBe(true);
    expect(pipelines.map((s) => s.attributes['error.type'])).toEqual([
      ...Array<string>(5).fill('timeout'),
      'circuit_open',
    ]);
    // The fifth failure opens the breaker; the sixth request never reaches Redis.
    const stores = spans.filter((s) => s.attributes['db.system.name'] === 'redis');
    expect(stores[4]!.events.map((e) => e.name)).toEqual([
      'auth.breaker.state_change',
      'auth.degraded',
    ]);
    const open = stores[5]!;
    expect(open.name).toBe('redis'); // no method was called: named after the database
    expect(open.attributes).toMatchObject({
      'auth.store.breaker.state': 'open',
      'error.type': 'circuit_open',
    });
    expect(open.attributes['db.operation.name']).toBeUndefined();
    // The same story as the metrics: one degraded decision per store span, same labels.
    const events = spans.flatMap((s) => s.events.filter((e) => e.name === 'auth.degraded'));
    const fromSpans: Record<string, number> = {};
    for (const e of events) {
      const a = e.attributes!;
      const key = `${a['auth.degraded.control']}/${a['auth.degraded.mode']}/${a['auth.degraded.reason']}`;
      fromSpans[key] = (fromSpans[key] ?? 0) + 1;
    }
    expect(fromSpans).toEqual(await counted(metrics.auth!.degradedDecisions));
    expect(fromSpans).toEqual({
      'access_revocation/fail_closed/timeout': 5,
      'access_revocation/fail_closed/circuit_open': 1,
    });
    expect(secretsIn(spans, [HS_SECRET, 'outage@example.com'], [token])).toEqual([]);
  });
});

describe('tracing: a JWKS fetch', () => {
  let tracing: TestTracing;
  let jwks: JwksServer;

  beforeAll(async () => {
    tracing = await startTracing();
    jwks = await JwksServer.start();
  });
  afterAll(async () => {
    await jwks.close();
    await tracing.stop();
  });

  it('the fetch, its URL without credentials or query, and its result as the metric names it', async () => {
    const key = { ...rsaKeys().publicKey.export({ format: 'jwk' }), use: 'sig', kid: 'k1' };
    jwks.document = { keys: [key] };
    const withQuery = new JwksKeyResolver({
      uri: `${jwks.uri}?sig=abcdef123`,
      algorithm: 'RS256',
      cooldownSeconds: 0,
    });
    await withQuery.refresh();
    jwks.behaviour = { kind: 'status', status: 500 };
    await withQuery.refresh();
    // fetch() refuses a URL with credentials: a failure, and no keys cached.
    const withCredentials = new JwksKeyResolver({
      uri: jwks.uri.replace('http://', 'http://reader:s3cret-pass@'),
      algorithm: 'RS256',
    });
    await withCredentials.refresh();
    const spans = tracing.spans();
    expect(spans.map((s) => [s.name, s.attributes['auth.jwks.result'], s.status.code])).toEqual([
      ['auth.jwks.fetch', 'success', SpanStatusCode.UNSET],
      ['auth.jwks.fetch', 'stale', SpanStatusCode.ERROR],
      ['auth.jwks.fetch', 'failure', SpanStatusCode.ERROR],
    ]);
    const port = Number(new URL(jwks.uri).port);
    expect(spans[0]!.attributes).toEqual({
      'http.request.method': 'GET',
      'url.full': `http://127.0.0.1:${port}/.well-known/jwks.json`,
      'server.address': '127.0.0.1',
      'server.port': port,
      'auth.jwks.result': 'success',
    });
    expect(spans.slice(1).map((s) => s.attributes['error.type'])).toEqual(['stale', 'failure']);
    expect(spans[2]!.attributes['url.full']).toBe(spans[0]!.attributes['url.full']);
    expect(secretsIn(spans, ['reader', 's3cret-pass', 'abcdef123'], [])).toEqual([]);
  });
});
