/**
 * Redis failures mid-traffic, on a private redis-server: stopped (connection refused) and hung
 * (SIGSTOP, connections open but silent). The policy must answer within bounded time — 503
 * under fail_closed, allow under fail_open — and recover when Redis comes back.
 */
import { createClient } from 'redis';
import { StoreUnavailableError } from '../../../lib/core/errors';
import { CircuitBreaker } from '../../../lib/security/circuit-breaker';
import { TokenPolicy } from '../../../lib/security/token-policy';
import { TokenValidator } from '../../../lib/security/token-validator';
import type { DegradedEvent } from '../../../lib/security/types';
import { createValidationConfig } from '../../../lib/security/validation-config';
import { RedisRefreshTokenStore } from '../../../stores/redis/refresh-token-store';
import { RedisRevocationStore } from '../../../stores/redis/revocation-store';
import { createRedisClient } from '../../../stores/redis/connect';
import { HS_SECRET } from '../../helpers/keys';
import { accessClaims, mint } from '../../helpers/mint-token';
import { PrivateRedis } from '../../helpers/redis-server';

const quiet = { warn: () => undefined, error: () => undefined };

async function timed<T>(
  work: Promise<T>,
): Promise<{ ms: number; outcome: T | unknown; ok: boolean }> {
  const start = Date.now();
  try {
    const outcome = await work;
    return { ms: Date.now() - start, outcome, ok: true };
  } catch (err) {
    return { ms: Date.now() - start, outcome: err, ok: false };
  }
}

describe('Redis outages through TokenPolicy (private redis-server)', () => {
  let redis: PrivateRedis;
  let client: ReturnType<typeof createRedisClient>;
  const validator = new TokenValidator({
    secret: { key: HS_SECRET, algorithm: 'HS256' },
    config: createValidationConfig(),
  });
  const token = mint(accessClaims({ jti: 'fault-jti' }), { key: HS_SECRET });
  const revokedToken = mint(accessClaims({ jti: 'fault-revoked' }), { key: HS_SECRET });

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    client = createRedisClient({ url: redis.url, connectTimeoutMs: 500 });
    await client.connect();
  });
  afterAll(async () => {
    redis.resume();
    client.destroy();
    await redis.stop();
  });

  function policies(): { closed: TokenPolicy; open: TokenPolicy; degraded: DegradedEvent[] } {
    const degraded: DegradedEvent[] = [];
    const store = new RedisRevocationStore({ client });
    const common = {
      validator,
      revocationStore: store,
      timeoutMs: 300,
      logger: quiet,
      hooks: { onDegraded: (e: DegradedEvent) => degraded.push(e) },
    };
    return {
      closed: new TokenPolicy({
        ...common,
        failureMode: 'fail_closed',
        breaker: new CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 500 }),
      }),
      open: new TokenPolicy({
        ...common,
        failureMode: 'fail_open',
        breaker: new CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 500 }),
      }),
      degraded,
    };
  }

  it('answers correctly while Redis is up (revoked token refused)', async () => {
    const { closed } = policies();
    await new RedisRevocationStore({ client }).revoke('fault-revoked', 600);
    await expect(closed.validate(token)).resolves.toMatchObject({ jti: 'fault-jti' });
    await expect(closed.validate(revokedToken)).rejects.toMatchObject({
      reason: 'revoked',
      status: 401,
    });
  });

  it('stopped Redis: fail_closed answers 503, fail_open allows, every answer within 3 s; then recovers', async () => {
    const { closed, open, degraded } = policies();
    await redis.stop();
    for (let i = 0; i < 10; i++) {
      const c = await timed(closed.validate(token));
      expect(c.ok).toBe(false);
      expect(c.outcome).toBeInstanceOf(StoreUnavailableError);
      expect((c.outcome as StoreUnavailableError).status).toBe(503);
      expect(c.ms).toBeLessThan(3000);
      const o = await timed(open.validate(token));
      expect(o.ok).toBe(true);
      expect(o.ms).toBeLessThan(3000);
    }
    expect(
      degraded.some((e) => e.mode === 'fail_closed' && e.control === 'access_revocation'),
    ).toBe(true);
    expect(degraded.some((e) => e.mode === 'fail_open')).toBe(true);
    await redis.start();
    // Recovery: the client reconnects and the breaker half-opens; a revoked token is refused again.
    const deadline = Date.now() + 10_000;
    let recovered = false;
    while (!recovered && Date.now() < deadline) {
      await new RedisRevocationStore({ client })
        .revoke('fault-revoked', 600)
        .catch(() => undefined);
      recovered = await closed.validate(revokedToken).then(
        () => false,
        (err: { reason?: string }) => err.reason === 'revoked',
      );
      if (!recovered) await new Promise((r) => setTimeout(r, 200));
    }
    expect(recovered).toBe(true);
    await expect(closed.validate(token)).resolves.toBeDefined();
  }, 30_000);

  it('hung Redis (SIGSTOP): answers stay under 3 s, the breaker then answers at once; SIGCONT recovers', async () => {
    const { closed, open } = policies();
    await expect(closed.validate(token)).resolves.toBeDefined();
    redis.pause();
    try {
      const times: number[] = [];
      for (let i = 0; i < 8; i++) {
        const c = await timed(closed.validate(token));
        expect(c.ok).toBe(false);
        expect(c.outcome).toBeInstanceOf(StoreUnavailableError);
        times.push(c.ms);
        const o = await timed(open.validate(token));
        expect(o.ok).toBe(true);
        expect(o.ms).toBeLessThan(3000);
      }
      expect(Math.max(...times)).toBeLessThan(3000);
      // After the breaker opened, refusals do not wait for a timeout.
      expect(times[times.length - 1]).toBeLessThan(100);
    } finally {
      redis.resume();
    }
    const deadline = Date.now() + 10_000;
    let ok = false;
    while (!ok && Date.now() < deadline) {
      ok = await closed.validate(token).then(
        () => true,
        () => false,
      );
      if (!ok) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ok).toBe(true);
  }, 30_000);

  it('refresh rotation survives a flushed script cache (NOSCRIPT) after the restarts', async () => {
    const store = new RedisRefreshTokenStore({ client });
    await store.register('r1', { userId: 'u', familyId: 'f', ttlSeconds: 60 });
    await expect(store.rotate('r1', 'r2', 60, { userId: 'u' })).resolves.toMatchObject({
      status: 'rotated',
    });
    const raw = createClient({ url: redis.url });
    await raw.connect();
    await raw.scriptFlush();
    await raw.quit();
    await expect(store.rotate('r2', 'r3', 60, { userId: 'u' })).resolves.toMatchObject({
      status: 'rotated',
    });
  });
});
