/**
 * The flows with Redis hung (SIGSTOP) under them: every answer within 3 s, each control by
 * its failure mode — a session write at login is fail_closed (503), the refresh rate limiter
 * is fail_open (the refresh goes through).
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import {
  RefreshRateLimiter,
  StoreUnavailableError,
  createAuthFlows,
  type AuthUser,
  type DegradedEvent,
} from 'auth-sdk-m8';
import { MemorySessionStore } from 'auth-sdk-m8/stores/memory';
import { RedisRateLimitStore, RedisSessionStore } from 'auth-sdk-m8/stores/redis';
import { hsFlowParts } from '../../helpers/flow-parts';
import { PrivateRedis } from '../../helpers/redis-server';
import { describeWithService } from '../../helpers/services';

const quiet = { warn: () => undefined, error: () => undefined };
const USER: AuthUser = { sub: randomUUID(), email: 'u@example.com', is_active: true };

async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = Date.now();
  try {
    const value = await promise;
    return { ms: Date.now() - start, value };
  } catch (error) {
    return { ms: Date.now() - start, error };
  }
}

describeWithService('redis', 'auth flows with Redis hung (private redis-server)', () => {
  let redis: PrivateRedis;
  let client: ReturnType<typeof createClient>;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    client = createClient({ url: `redis://127.0.0.1:${redis.port}`, disableOfflineQueue: true });
    client.on('error', () => undefined);
    await client.connect();
  });
  afterAll(async () => {
    redis.resume();
    client.destroy();
    await redis.stop();
  });

  function flows(sessionsOnRedis: boolean, degraded: DegradedEvent[]) {
    const hooks = { onDegraded: (e: DegradedEvent) => degraded.push(e) };
    return createAuthFlows({
      ...hsFlowParts(),
      sessions: sessionsOnRedis
        ? new RedisSessionStore({ client, keyPrefix: 'fault-sess:' })
        : new MemorySessionStore(),
      sessionFailureMode: 'fail_closed',
      rateLimit: new RefreshRateLimiter({
        store: new RedisRateLimitStore({ client, keyPrefix: 'fault-rl:' }),
        failureMode: 'fail_open',
        timeoutMs: 500,
        hooks,
        logger: quiet,
      }),
      findUser: () => USER,
      verifyCredentials: async () => USER,
      timeoutMs: 500,
      hooks,
      logger: quiet,
    });
  }

  const body = { email: USER.email, password: 'x' };

  it('login: the session write is fail_closed, so a hung Redis answers 503 within 3 s', async () => {
    const degraded: DegradedEvent[] = [];
    const f = flows(true, degraded);
    const ok = await f.login({ method: 'POST', headers: {}, body });
    expect(ok.status).toBe(200);
    redis.pause();
    try {
      const answer = await timed(f.login({ method: 'POST', headers: {}, body }));
      expect(answer.error).toBeInstanceOf(StoreUnavailableError);
      expect((answer.error as StoreUnavailableError).status).toBe(503);
      expect(answer.ms).toBeLessThan(3000);
      expect(degraded).toContainEqual(
        expect.objectContaining({ control: 'session_write', mode: 'fail_closed' }),
      );
    } finally {
      redis.resume();
    }
  }, 20_000);

  it('refresh: the rate limiter is fail_open, so a hung Redis lets the refresh through within 3 s', async () => {
    const degraded: DegradedEvent[] = [];
    const f = flows(false, degraded);
    const session = await f.login({ method: 'POST', headers: {}, body });
    const token = (session.body as { refresh_token: string }).refresh_token;
    redis.pause();
    try {
      const answer = await timed(
        f.refresh({
          method: 'POST',
          headers: {},
          body: { refresh_token: token },
          ip: '198.51.100.9',
        }),
      );
      expect(answer.error).toBeUndefined();
      expect(answer.value?.status).toBe(200);
      expect(answer.ms).toBeLessThan(3000);
      expect(degraded).toContainEqual(
        expect.objectContaining({ control: 'rate_limit', mode: 'fail_open' }),
      );
    } finally {
      redis.resume();
    }
  }, 20_000);
});
