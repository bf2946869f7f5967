/**
 * The tracing module on the SDK's in-memory exporter: off until the app registers a tracer
 * provider (and off again once it is removed), the validation span and its verdicts, the
 * revocation check and its store span, the attribute hook for stores, and a span processor
 * that throws changing no verdict.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { InvalidTokenError } from '../../../lib/core/errors';
import type { RevocationStore } from '../../../lib/security/store-contracts';
import { TokenPolicy } from '../../../lib/security/token-policy';
import { TokenValidator } from '../../../lib/security/token-validator';
import {
  activeTracer,
  dbSystemOf,
  setTraceAttributes,
  tracingApiLoaded,
} from '../../../lib/security/tracing';
import { createValidationConfig } from '../../../lib/security/validation-config';
import { createAuthFlows } from '../../../lib/security/flows/auth-flows';
import { MemoryRevocationStore, MemorySessionStore } from '../../../stores/memory';
import { hsFlowParts } from '../../helpers/flow-parts';
import { accessClaims, mint } from '../../helpers/mint-token';
import { childrenOf, only, secretsIn, startTracing, type TestTracing } from '../../helpers/tracing';

const SECRET = 'Tracing-Unit_Secret-0123456789-abcdefghijkl';
const quiet = { warn: () => undefined, error: () => undefined };

function validator(): TokenValidator {
  return new TokenValidator({
    secret: { key: SECRET, algorithm: 'HS256' },
    config: createValidationConfig({ allowedAlgorithms: ['HS256'] }),
    cache: false,
  });
}

describe('tracing on and off', () => {
  it('is off until a tracer provider is registered, and off again once it is removed', async () => {
    expect(await tracingApiLoaded).toBe(true);
    expect(activeTracer()).toBeUndefined();
    const tracing = await startTracing();
    try {
      expect(activeTracer()).toBeDefined();
      await validator().validateAccessToken(mint(accessClaims(), { key: SECRET }));
      expect(tracing.spans().map((s) => s.name)).toEqual(['auth.validate_token']);
    } finally {
      await tracing.stop();
    }
    expect(activeTracer()).toBeUndefined();
  });
});

describe('spans', () => {
  let tracing: TestTracing;
  beforeAll(async () => {
    tracing = await startTracing();
  });
  afterAll(() => tracing.stop());
  beforeEach(() => tracing.reset());

  it('a valid token: the algorithm and the verdict, in the scope auth-sdk-m8', async () => {
    await validator().validateAccessToken(mint(accessClaims(), { key: SECRET }));
    const span = only(tracing.spans(), 'auth.validate_token');
    expect(span.instrumentationScope.name).toBe('auth-sdk-m8');
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.attributes).toEqual({
      'auth.token.type': 'access',
      'auth.token.algorithm': 'HS256',
      'auth.token.verdict': 'valid',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a refused token: the reason and detail, no error status (the client was refused)', async () => {
    const expired = mint(accessClaims({ exp: Math.floor(Date.now() / 1000) - 600 }), {
      key: SECRET,
    });
    await expect(validator().validateAccessToken(expired)).rejects.toThrow(InvalidTokenError);
    const span = only(tracing.spans(), 'auth.validate_token');
    expect(span.attributes).toMatchObject({
      'auth.token.verdict': 'invalid',
      'auth.failure.reason': 'expired',
      'auth.failure.detail': 'expired',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it('a detail that quotes the token (a role, an algorithm) keeps only its kind', async () => {
    const role = mint(accessClaims({ role: 'overlord-7' }), { key: SECRET });
    const alg = mint(accessClaims(), { key: SECRET, header: { alg: 'HS512' } });
    await expect(validator().validateAccessToken(role)).rejects.toThrow(InvalidTokenError);
    await expect(validator().validateAccessToken(alg)).rejects.toThrow(InvalidTokenError);
    const details = tracing.spans().map((s) => s.attributes['auth.failure.detail']);
    expect(details).toEqual(['role_unknown', 'alg_not_allowed']);
    expect(secretsIn(tracing.spans(), ['overlord-7', 'HS512'], [role, alg])).toEqual([]);
  });

  it('the revocation check asks its store: a memory store span named after the method', async () => {
    const policy = new TokenPolicy({
      validator: validator(),
      revocationStore: new MemoryRevocationStore(),
      logger: quiet,
    });
    await policy.validate(mint(accessClaims(), { key: SECRET }));
    const spans = tracing.spans();
    const check = only(spans, 'auth.revocation_check');
    expect(check.attributes).toEqual({
      'auth.revocation.source': 'store',
      'auth.token.revoked': false,
    });
    expect(childrenOf(spans, check)).toEqual(['isRevoked']);
    const store = only(spans, 'isRevoked');
    expect(store.kind).toBe(SpanKind.INTERNAL); // in-process: semconv allows INTERNAL
    expect(store.attributes).toEqual({
      'db.system.name': 'memory',
      'db.system': 'memory',
      'db.operation.name': 'isRevoked',
      'auth.store.name': 'MemoryRevocationStore',
      'auth.store.control': 'access_revocation',
      'auth.store.failure_mode': 'fail_closed',
      'auth.store.breaker.state': 'closed',
      'auth.store.timeout_ms': 1000,
    });
  });

  it('an answer the store knew without a call is local; a store may describe its call', async () => {
    // A store with an answer of its own for one jti, saying what it did through the hook.
    class LocalAnswers extends MemoryRevocationStore implements RevocationStore {
      known = '';
      isRevokedLocally(jti: string): boolean | undefined {
        return jti === this.known ? false : undefined;
      }
      override async isRevoked(jti: string): Promise<boolean> {
        setTraceAttributes({ 'auth.revocation.cache': 'miss' });
        return super.isRevoked(jti);
      }
    }
    const store = new LocalAnswers();
    const policy = new TokenPolicy({
      validator: validator(),
      revocationStore: store,
      storeName: 'redis',
      logger: quiet,
    });
    const claims = accessClaims();
    store.known = claims.jti as string;
    await policy.validate(mint(claims, { key: SECRET }));
    await policy.validate(mint(accessClaims(), { key: SECRET }));
    const spans = tracing.spans();
    const checks = spans.filter((s) => s.name === 'auth.revocation_check');
    expect(checks.map((s) => s.attributes)).toEqual([
      { 'auth.revocation.source': 'local', 'auth.token.revoked': false },
      { 'auth.revocation.source': 'store', 'auth.token.revoked': false },
    ]);
    expect(childrenOf(spans, checks[0]!)).toEqual([]);
    expect(childrenOf(spans, checks[1]!)).toEqual(['isRevoked']);
    const call = only(spans, 'isRevoked');
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.attributes).toMatchObject({
      'db.system.name': 'redis',
      'auth.revocation.cache': 'miss',
    });
  });

  it('ending every session of a user without a request (endUserSessions): one flow span', async () => {
    const user = { sub: '0b9f3f4e-6f5e-4b5e-9a47-3f3d2c1b0a99', email: 'end@example.com' };
    const flows = createAuthFlows({
      ...hsFlowParts(),
      sessions: new MemorySessionStore(),
      findUser: () => user,
      verifyCredentials: async () => user,
      loginRateLimit: false,
      logger: quiet,
    });
    await flows.login({ method: 'POST', headers: {}, body: { email: user.email, password: 'x' } });
    tracing.reset();
    expect(await flows.endUserSessions(user.sub)).toBe(1);
    const spans = tracing.spans();
    const flow = only(spans, 'auth.sessions.end_user');
    expect(childrenOf(spans, flow)).toEqual(['revokeUser', 'revoke', 'revokeAll']);
    expect(secretsIn(spans, [user.sub, user.email], [])).toEqual([]);
  });

  it('db.system.name from the guard store name', () => {
    expect(
      [
        'RedisRevocationStore',
        'PostgresSessionStore',
        'pg',
        'MysqlRefreshTokenStore',
        'mariadb',
        'MemoryRateLimitStore',
        'DynamoStore',
      ].map(dbSystemOf),
    ).toEqual(['redis', 'postgresql', 'postgresql', 'mysql', 'mariadb', 'memory', 'dynamostore']);
  });
});

describe('a span processor that throws', () => {
  it('changes no verdict', async () => {
    await tracingApiLoaded;
    const throwing: SpanProcessor = {
      onStart: () => undefined,
      onEnd: () => {
        throw new Error('exporter bug');
      },
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [throwing] }));
    try {
      const claims = await validator().validateAccessToken(mint(accessClaims(), { key: SECRET }));
      expect(claims.sub).toBe('user-123');
    } finally {
      trace.disable();
    }
  });
});
