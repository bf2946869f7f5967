/**
 * RedisRateLimitStore on the wire: one `hitMany` (and one `undo`) is one round trip on a
 * single node, however many keys: one script per key, pipelined (MONITOR on the server for
 * the commands, a TCP relay for the round trips). The Cluster's count is in
 * `test/contract/redis-cluster.test.ts`.
 */
import { LoginRateLimiter } from '../../../lib/security/flows/login-limiter';
import { RedisRateLimitStore } from '../../../stores/redis/rate-limit-store';
import {
  commandsOf,
  connectRedis,
  CountingRelay,
  dropRedisPrefix,
  type TestRedisClient,
} from '../../helpers/redis-client';
import { describeWithService, services, uniquePrefix } from '../../helpers/services';

describeWithService('redis', 'RedisRateLimitStore on the wire', () => {
  let relay: CountingRelay;
  let client: TestRedisClient;
  const keyPrefix = uniquePrefix('rlwire');

  beforeAll(async () => {
    relay = await CountingRelay.start(services.redis);
    client = await connectRedis(relay.url);
  });

  afterAll(async () => {
    await dropRedisPrefix(client, keyPrefix);
    await client.quit();
    await relay.close();
  });

  it('hitMany and undo are one round trip each, one script per key', async () => {
    const store = new RedisRateLimitStore({ client, keyPrefix });
    await store.hitMany([{ key: 'warm', windowSeconds: 60 }]); // scripts loaded
    await store.undo([{ key: 'warm', hits: 1 }]);
    const keys = ['a', 'b', 'a', 'c'];
    const hit = await commandsOf(client, relay, services.redis.url, async () => {
      const hits = await store.hitMany(keys.map((key) => ({ key, windowSeconds: 60 })));
      expect(hits.map((h) => h.count)).toEqual([1, 1, 2, 1]);
    });
    expect(hit).toEqual({ commands: keys.map(() => 'EVALSHA'), roundTrips: 1 });
    const undone = await commandsOf(client, relay, services.redis.url, () =>
      store.undo([
        { key: 'a', hits: 'all' },
        { key: 'b', hits: 1 },
      ]),
    );
    expect(undone).toEqual({ commands: ['EVALSHA', 'EVALSHA'], roundTrips: 1 });
  });

  it('costs a login one round trip: a first success adds none, a success after failures one', async () => {
    const quiet = { warn: () => undefined, error: () => undefined };
    const limiter = new LoginRateLimiter({
      store: new RedisRateLimitStore({ client, keyPrefix }),
      logger: quiet,
    });
    await (await limiter.attempt('warm@example.com', '192.0.2.1')).succeeded();
    const first = await commandsOf(client, relay, services.redis.url, async () => {
      const attempt = await limiter.attempt('ann@example.com', '192.0.2.2');
      await attempt.succeeded();
    });
    expect(first).toEqual({ commands: ['EVALSHA', 'EVALSHA'], roundTrips: 1 });
    await limiter.attempt('bob@example.com', '192.0.2.3'); // a failure: counted, not forgiven
    const after = await commandsOf(client, relay, services.redis.url, async () => {
      const attempt = await limiter.attempt('bob@example.com', '192.0.2.3');
      await attempt.succeeded();
    });
    expect(after).toEqual({
      commands: ['EVALSHA', 'EVALSHA', 'EVALSHA', 'EVALSHA'],
      roundTrips: 2,
    });
  });
});
