/** The shared store contracts on the machine's Redis (CI fails if it is unreachable). */
import { RedisRefreshTokenStore } from '../../stores/redis/refresh-token-store';
import { RedisRevocationStore } from '../../stores/redis/revocation-store';
import { RedisSessionStore } from '../../stores/redis/session-store';
import { RedisRateLimitStore } from '../../stores/redis/rate-limit-store';
import { createRedisClient } from '../../stores/redis/connect';
import { userTag } from '../../stores/redis/keys';
import { connectRedis as connect, dropRedisPrefix as dropPrefix } from '../helpers/redis-client';
import { describeWithService, services, uniquePrefix } from '../helpers/services';
import { describeRefreshTokenStore } from './refresh-token-store.contract';
import { describeRevocationStore } from './revocation-store.contract';
import { describeSessionStore } from './session-store.contract';
import { describeRateLimitStore } from './rate-limit-store.contract';
import { expiryFirst } from './contract-helpers';

type Client = Awaited<ReturnType<typeof connect>>;

/** A store on its own client under a fresh key prefix, expiring on the server's clock. */
async function onServer<S>(tag: string, make: (client: Client, keyPrefix: string) => S) {
  const client = await connect();
  const keyPrefix = uniquePrefix(tag);
  return {
    store: make(client, keyPrefix),
    time: 'server' as const,
    cleanup: async () => {
      await dropPrefix(client, keyPrefix);
      await client.quit();
    },
  };
}

describeWithService('redis', 'Redis stores', () => {
  // Redis TTLs run on the server's clock: every suite writes its expiring keys up front, so
  // their 1-2 s run out together while the other tests run. The refresh suites, the longest,
  // come first: by the revocation and rate-limit expiry checks, little of the TTLs is left.
  const expiry = expiryFirst();

  // The stores on a RESP3 tracking client (one client serves every store).
  describeRefreshTokenStore(
    'redis with sessions, RESP3 tracking client',
    async () => {
      const keyPrefix = uniquePrefix('rts3');
      const client = createRedisClient({ url: services.redis.url, clientCache: {} });
      await client.connect();
      const sessions = new RedisSessionStore({ client, keyPrefix: `${keyPrefix}sess:` });
      return {
        store: new RedisRefreshTokenStore({ client, keyPrefix: `${keyPrefix}rt:`, sessions }),
        time: 'server',
        cleanup: async () => {
          await dropPrefix(client as never, keyPrefix);
          client.destroy();
        },
      };
    },
    { expiryFirst: expiry },
  );

  describeSessionStore('redis, RESP3 tracking client', async (clock) => {
    const keyPrefix = uniquePrefix('sess3');
    const client = createRedisClient({ url: services.redis.url, clientCache: {} });
    await client.connect();
    return {
      store: new RedisSessionStore({ client, keyPrefix, clock: clock.now }),
      cleanup: async () => {
        await dropPrefix(client as never, keyPrefix);
        client.destroy();
      },
    };
  });

  describeRefreshTokenStore(
    'redis',
    () => onServer('rt', (client, keyPrefix) => new RedisRefreshTokenStore({ client, keyPrefix })),
    { expiryFirst: expiry },
  );

  // The same contract with sessions linked: the rotation script also advances sessions.
  describeRefreshTokenStore(
    'redis with sessions',
    () =>
      onServer('rts', (client, keyPrefix) => {
        const sessions = new RedisSessionStore({ client, keyPrefix: `${keyPrefix}sess:` });
        return new RedisRefreshTokenStore({ client, keyPrefix: `${keyPrefix}rt:`, sessions });
      }),
    { expiryFirst: expiry },
  );

  describeRevocationStore(
    'redis',
    () =>
      onServer('blacklist', (client, keyPrefix) => new RedisRevocationStore({ client, keyPrefix })),
    { expiryFirst: expiry },
  );

  // RESP3 with client tracking: unrevoked jtis answered in the process, kept exact by Redis.
  describeRevocationStore(
    'redis with the revocation cache',
    async () => {
      const keyPrefix = uniquePrefix('blacklist-cached');
      const client = createRedisClient({ url: services.redis.url, clientCache: { keyPrefix } });
      await client.connect();
      return {
        store: new RedisRevocationStore({ client, keyPrefix }),
        time: 'server',
        cleanup: async () => {
          await dropPrefix(client as never, keyPrefix);
          client.destroy();
        },
      };
    },
    { answersLocally: true, expiryFirst: expiry },
  );

  describeRateLimitStore(
    'redis, RESP3 tracking client',
    async () => {
      const keyPrefix = uniquePrefix('rl3');
      const client = createRedisClient({ url: services.redis.url, clientCache: {} });
      await client.connect();
      return {
        store: new RedisRateLimitStore({ client, keyPrefix }),
        time: 'server',
        cleanup: async () => {
          await dropPrefix(client as never, keyPrefix);
          client.destroy();
        },
      };
    },
    { expiryFirst: expiry },
  );

  describeRateLimitStore(
    'redis',
    () => onServer('rl', (client, keyPrefix) => new RedisRateLimitStore({ client, keyPrefix })),
    { expiryFirst: expiry },
  );

  describeSessionStore('redis', async (clock) => {
    const client = await connect();
    const keyPrefix = uniquePrefix('sess');
    return {
      store: new RedisSessionStore({ client, keyPrefix, clock: clock.now }),
      cleanup: async () => {
        await dropPrefix(client, keyPrefix);
        await client.quit();
      },
    };
  });

  it('writes access revocations at jwt:blacklist:<jti> with the remaining life as TTL (Python interop)', async () => {
    const client = await connect();
    try {
      const jti = `interop-${Date.now()}`;
      await new RedisRevocationStore({ client }).revoke(jti, 120);
      expect(await client.get(`jwt:blacklist:${jti}`)).toBe('1');
      const ttl = await client.ttl(`jwt:blacklist:${jti}`);
      expect(ttl).toBeGreaterThan(110);
      expect(ttl).toBeLessThanOrEqual(120);
      // A key written by the Python issuer (any value) reads as revoked here.
      await client.set(`jwt:blacklist:${jti}-py`, 'true', { EX: 60 });
      await expect(new RedisRevocationStore({ client }).isRevoked(`${jti}-py`)).resolves.toBe(true);
      await client.del([`jwt:blacklist:${jti}`, `jwt:blacklist:${jti}-py`]);
    } finally {
      await client.quit();
    }
  });

  it('lists a token written before issue times were kept with issuedAt undefined, whatever issuedSince', async () => {
    const client = await connect();
    const keyPrefix = uniquePrefix('layout');
    try {
      const store = new RedisRefreshTokenStore({ client, keyPrefix });
      const at = 1_900_000_000;
      await store.register('old-layout', { userId: 'u', familyId: 'f', ttlSeconds: 60 });
      await store.register('new-layout', {
        userId: 'u',
        familyId: 'f',
        ttlSeconds: 60,
        issuedAt: at,
      });
      // The previous layout: the same hash without its `i` field.
      await client.hDel(`${userTag(keyPrefix, 'u')}t:old-layout`, 'i');
      const listed = await store.revokeFamily('f', 'u', { issuedSince: at + 1 });
      expect(listed).toEqual([{ jti: 'old-layout', issuedAt: undefined }]);
      await expect(store.rotate('old-layout', 'x', 60, { userId: 'u' })).resolves.toEqual({
        status: 'revoked',
        userId: 'u',
        familyId: 'f',
      });
      const all = await store.revokeUser('u');
      expect(all.sort((a, b) => a.jti.localeCompare(b.jti))).toEqual([
        { jti: 'new-layout', issuedAt: at },
        { jti: 'old-layout', issuedAt: undefined },
      ]);
    } finally {
      await dropPrefix(client, keyPrefix);
      await client.quit();
    }
  });

  it('survives SCRIPT FLUSH (NOSCRIPT falls back to EVAL)', async () => {
    const client = await connect();
    const keyPrefix = uniquePrefix('flush');
    try {
      const store = new RedisRefreshTokenStore({ client, keyPrefix });
      await store.register('a', { userId: 'u', familyId: 'f', ttlSeconds: 60 });
      await client.scriptFlush();
      await expect(store.rotate('a', 'b', 60, { userId: 'u' })).resolves.toEqual({
        status: 'rotated',
        userId: 'u',
        familyId: 'f',
        issuedAt: expect.any(Number),
      });
      await client.scriptFlush();
      await expect(store.rotate('a', 'c', 60, { userId: 'u' })).resolves.toEqual({
        status: 'reused',
        userId: 'u',
        familyId: 'f',
      });
    } finally {
      await dropPrefix(client, keyPrefix);
      await client.quit();
    }
  });
});
