/**
 * The revocation cache when Redis cannot tell it about writes: a hung server (SIGSTOP of a
 * private redis-server) and a partition (a relay that stops forwarding while a writer revokes
 * behind it). A local answer is trusted only while its connection was heard from within
 * `maxSilenceMs`; after that the policy's failure mode decides, as without the cache. A
 * FLUSHALL on that private server (Redis reports every key gone) drops every answer. Then a
 * private 3-master Redis Cluster, its commands counted on the servers (INFO commandstats).
 */
import { createClient, createCluster } from 'redis';
import { InvalidTokenError, StoreUnavailableError } from '../../../lib/core/errors';
import { CircuitBreaker } from '../../../lib/security/circuit-breaker';
import { TokenPolicy } from '../../../lib/security/token-policy';
import { TokenValidator } from '../../../lib/security/token-validator';
import { createValidationConfig } from '../../../lib/security/validation-config';
import { createRedisClient, type RedisTrackingClient } from '../../../stores/redis/connect';
import { RedisRevocationCache } from '../../../stores/redis/revocation-cache';
import { RedisRevocationStore } from '../../../stores/redis/revocation-store';
import { HS_SECRET } from '../../helpers/keys';
import { accessClaims, mint } from '../../helpers/mint-token';
import { CountingRelay } from '../../helpers/redis-client';
import { LocalRedisCluster } from '../../helpers/redis-cluster';
import { PrivateRedis, waitFor } from '../../helpers/redis-server';

jest.setTimeout(60_000);

const quiet = { warn: () => undefined, error: () => undefined };
const validator = new TokenValidator({
  secret: { key: HS_SECRET, algorithm: 'HS256' },
  config: createValidationConfig(),
});
const tokenFor = (jti: string): string => mint(accessClaims({ jti }), { key: HS_SECRET });
const PING_MS = 100;
const SILENCE_MS = 500;
const TIMEOUT_MS = 300;

/** 'ok', the refusal's reason, or 'unavailable' (a 503): what one request gets. */
function verdict(policy: TokenPolicy, token: string): Promise<string> {
  return policy.validate(token).then(
    () => 'ok',
    (err: unknown) => {
      if (err instanceof InvalidTokenError) return String(err.reason);
      return err instanceof StoreUnavailableError ? 'unavailable' : String(err);
    },
  );
}

function policyOn(store: RedisRevocationStore, failureMode: 'fail_open' | 'fail_closed') {
  return new TokenPolicy({
    validator,
    revocationStore: store,
    failureMode,
    timeoutMs: TIMEOUT_MS,
    logger: quiet,
    breaker: new CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 500 }),
  });
}

describe('the revocation cache when Redis goes silent (private redis-server)', () => {
  let redis: PrivateRedis;
  const clients: RedisTrackingClient[] = [];

  beforeAll(async () => {
    redis = await PrivateRedis.start();
  });

  afterAll(async () => {
    redis.resume();
    for (const client of clients) client.destroy();
    await redis.stop();
  });

  async function tracking(url: string) {
    const client = createRedisClient({
      url,
      connectTimeoutMs: 500,
      clientCache: { pingIntervalMs: PING_MS, maxSilenceMs: SILENCE_MS },
    });
    await client.connect();
    clients.push(client);
    let pings = 0;
    client.on('ping-interval', () => (pings += 1));
    return { client, store: new RedisRevocationStore({ client }), pings: () => pings };
  }

  it('hung (SIGSTOP): answers locally while PINGs come back, then fail_closed answers 503 within maxSilenceMs + timeoutMs, fail_open allows; SIGCONT restores the local answers', async () => {
    const { store, pings } = await tracking(redis.url);
    const closed = policyOn(store, 'fail_closed');
    const open = policyOn(store, 'fail_open');
    const jti = 'hang-jti';
    const token = tokenFor(jti);
    await expect(verdict(closed, token)).resolves.toBe('ok');
    // Longer than maxSilenceMs: the PINGs alone keep the connection trusted.
    const seen = pings();
    await waitFor(async () => pings() >= seen + 8, 5000, '8 PING replies');
    expect(store.isRevokedLocally(jti)).toBe(false);
    redis.pause();
    const hungAt = Date.now();
    try {
      await waitFor(async () => (await verdict(closed, token)) === 'unavailable', 5000, 'a 503');
      expect(Date.now() - hungAt).toBeLessThan(SILENCE_MS + TIMEOUT_MS + 1000);
      await expect(closed.validate(token)).rejects.toMatchObject({ status: 503 });
      expect(store.isRevokedLocally(jti)).toBeUndefined();
      await expect(verdict(open, token)).resolves.toBe('ok');
    } finally {
      redis.resume();
    }
    await waitFor(
      async () => (await verdict(closed, token)) === 'ok' && store.isRevokedLocally(jti) === false,
      10_000,
      'local answers again',
    );
  });

  it('drops every answer when Redis reports all keys gone (FLUSHALL on the private server: a null invalidation)', async () => {
    const { client, store } = await tracking(redis.url);
    const closed = policyOn(store, 'fail_closed');
    const tokens = ['flush-a', 'flush-b'].map((jti) => [jti, tokenFor(jti)] as const);
    for (const [, token] of tokens) await expect(verdict(closed, token)).resolves.toBe('ok');
    const cache = client.clientSideCache as RedisRevocationCache;
    expect(cache.size()).toBe(2);
    const flushed = new Promise((resolve) => cache.once('invalidate', resolve));
    const admin = createClient({ url: redis.url });
    await admin.connect();
    await admin.flushAll();
    await admin.quit();
    await expect(flushed).resolves.toBeNull();
    expect(cache.size()).toBe(0);
    for (const [jti] of tokens) expect(store.isRevokedLocally(jti)).toBeUndefined();
  });

  it('partitioned (a relay that stops forwarding): a revocation written behind it is trusted away at most maxSilenceMs, then 503, then refused once the partition heals', async () => {
    const relay = await CountingRelay.start({ host: '127.0.0.1', port: redis.port });
    const writer = createClient({ url: redis.url });
    await writer.connect();
    try {
      const { store } = await tracking(relay.url);
      const closed = policyOn(store, 'fail_closed');
      const jti = 'partition-jti';
      const token = tokenFor(jti);
      await expect(verdict(closed, token)).resolves.toBe('ok');
      relay.relay.pause();
      const cutAt = Date.now();
      await writer.set(`jwt:blacklist:${jti}`, '1', { EX: 60 }); // the consumer cannot hear it
      let lastAccepted = cutAt;
      await waitFor(
        async () => {
          const answer = await verdict(closed, token);
          if (answer === 'ok') lastAccepted = Date.now();
          return answer === 'unavailable';
        },
        5000,
        'a 503',
      );
      // The last local answer came from a connection heard at most maxSilenceMs before the cut.
      expect(lastAccepted - cutAt).toBeLessThanOrEqual(SILENCE_MS + 50);
      relay.relay.resume();
      await waitFor(async () => (await verdict(closed, token)) === 'revoked', 5000, 'refusal');
    } finally {
      relay.relay.resume();
      await writer.quit();
      await relay.close();
    }
  });
});

describe('the revocation cache on a Redis Cluster (3 masters, private)', () => {
  let cluster: LocalRedisCluster;

  beforeAll(async () => {
    cluster = await LocalRedisCluster.start(3);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  /** EXISTS calls per master, as the servers count them. */
  async function existsCalls(): Promise<number[]> {
    return Promise.all(
      cluster.ports.map(async (port) => {
        const node = createClient({ url: `redis://127.0.0.1:${port}` });
        await node.connect();
        try {
          const info = await node.info('commandstats');
          return Number(/cmdstat_exists:calls=(\d+)/.exec(info)?.[1] ?? 0);
        } finally {
          await node.quit();
        }
      }),
    );
  }

  it('asks the owning master once per token, and hears every master’s invalidations', async () => {
    const cache = new RedisRevocationCache({ pingIntervalMs: 60_000, maxSilenceMs: 120_000 });
    const consumer = createCluster({
      rootNodes: cluster.rootNodes,
      RESP: 3,
      clientSideCache: cache,
      defaults: { disableOfflineQueue: true, pingInterval: cache.pingIntervalMs },
    });
    const writer = createCluster({ rootNodes: cluster.rootNodes });
    for (const c of [consumer, writer]) c.on('error', () => undefined);
    await consumer.connect();
    await writer.connect();
    try {
      const policy = new TokenPolicy({
        validator,
        revocationStore: new RedisRevocationStore({ client: consumer as never }),
      });
      const jtis = Array.from({ length: 30 }, (_, i) => `cluster-jti-${i}`);
      const before = await existsCalls();
      for (let round = 0; round < 10; round++) {
        for (const jti of jtis) await expect(verdict(policy, tokenFor(jti))).resolves.toBe('ok');
      }
      const perMaster = (await existsCalls()).map((n, i) => n - before[i]!);
      expect(perMaster.reduce((a, b) => a + b)).toBe(30);
      expect(perMaster.every((n) => n > 0)).toBe(true); // every master answered some

      const revoked = jtis.slice(0, 6);
      for (const jti of revoked) await writer.set(`jwt:blacklist:${jti}`, '1', { EX: 60 });
      for (const jti of revoked) {
        const token = tokenFor(jti);
        await waitFor(async () => (await verdict(policy, token)) === 'revoked', 2000, jti);
      }
      const mark = await existsCalls();
      for (const jti of jtis.slice(6))
        await expect(verdict(policy, tokenFor(jti))).resolves.toBe('ok');
      expect((await existsCalls()).map((n, i) => n - mark[i]!)).toEqual([0, 0, 0]);
    } finally {
      await consumer.close();
      await writer.close();
    }
  });
});
