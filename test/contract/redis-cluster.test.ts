/**
 * The shared store contracts on a real 3-master Redis Cluster through node-redis's cluster
 * client: how a fleet outgrows one Redis. Every key one rotation script touches shares a hash
 * tag, so each script runs on one slot (a CROSSSLOT error would fail these tests).
 */
import { createCluster } from 'redis';
import { RedisRateLimitStore } from '../../stores/redis/rate-limit-store';
import { RedisRefreshTokenStore } from '../../stores/redis/refresh-token-store';
import { RedisRevocationCache } from '../../stores/redis/revocation-cache';
import { RedisRevocationStore } from '../../stores/redis/revocation-store';
import { RedisSessionStore } from '../../stores/redis/session-store';
import { CountingRelay } from '../helpers/redis-client';
import { LocalRedisCluster } from '../helpers/redis-cluster';
import { expiryFirst } from './contract-helpers';
import { describeRateLimitStore } from './rate-limit-store.contract';
import { describeRefreshTokenStore } from './refresh-token-store.contract';
import { describeRevocationStore } from './revocation-store.contract';
import { describeSessionStore } from './session-store.contract';

jest.setTimeout(60_000);

let cluster: LocalRedisCluster;
const clients: Array<ReturnType<typeof createCluster>> = [];

beforeAll(async () => {
  cluster = await LocalRedisCluster.start(3);
}, 60_000);

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  await cluster?.stop();
});

async function connect(): Promise<ReturnType<typeof createCluster>> {
  const client = createCluster({
    rootNodes: cluster.rootNodes,
    defaults: { disableOfflineQueue: true },
  });
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

// Redis TTLs run on the server's clock: every suite writes its expiring keys up front (once
// the cluster is up), so their 1-2 s run out together while the other tests run. The refresh
// suites, the longest, come first: by the revocation and rate-limit expiry checks, little of
// the TTLs is left.
const expiry = expiryFirst();

describeRefreshTokenStore(
  'redis cluster',
  async () => {
    const client = await connect();
    return {
      store: new RedisRefreshTokenStore({ client: client as never }),
      time: 'server',
      cleanup: async () => undefined,
    };
  },
  { expiryFirst: expiry },
);

// Linked to the sessions: the rotation script also writes the session keys (same user tag, same slot).
describeRefreshTokenStore(
  'redis cluster with sessions',
  async () => {
    const client = await connect();
    const sessions = new RedisSessionStore({ client: client as never, keyPrefix: 'linked-sess:' });
    return {
      store: new RedisRefreshTokenStore({
        client: client as never,
        keyPrefix: 'linked-rt:',
        sessions,
      }),
      time: 'server',
      cleanup: async () => undefined,
    };
  },
  { expiryFirst: expiry },
);

describeRevocationStore(
  'redis cluster',
  async () => {
    const client = await connect();
    return {
      store: new RedisRevocationStore({ client: client as never }),
      time: 'server',
      cleanup: async () => undefined,
    };
  },
  { expiryFirst: expiry },
);

// RESP3 with client tracking on every master: each answers for its own slots' keys.
describeRevocationStore(
  'redis cluster with the revocation cache',
  async () => {
    const cache = new RedisRevocationCache();
    const client = createCluster({
      rootNodes: cluster.rootNodes,
      RESP: 3,
      clientSideCache: cache,
      defaults: { disableOfflineQueue: true, pingInterval: cache.pingIntervalMs },
    });
    client.on('error', () => undefined);
    await client.connect();
    return {
      store: new RedisRevocationStore({ client: client as never }),
      time: 'server',
      cleanup: () => client.close(),
    };
  },
  { answersLocally: true, expiryFirst: expiry },
);

describeSessionStore('redis cluster', async (clock) => {
  const client = await connect();
  return {
    store: new RedisSessionStore({ client: client as never, clock: clock.now }),
    cleanup: async () => undefined,
  };
});

// The keys of one hitMany live on several slots: one script per key, never a multi-key one.
describeRateLimitStore(
  'redis cluster',
  async () => {
    const client = await connect();
    return {
      store: new RedisRateLimitStore({ client: client as never }),
      time: 'server',
      cleanup: async () => undefined,
    };
  },
  { expiryFirst: expiry },
);

describe('the cluster under the contract', () => {
  it('sends one hitMany in one round trip per master its keys live on', async () => {
    // A relay in front of each master; the client reaches the masters only through them.
    const relays = new Map<number, CountingRelay>();
    for (const port of cluster.ports) {
      relays.set(port, await CountingRelay.start({ host: '127.0.0.1', port }));
    }
    const client = createCluster({
      rootNodes: [...relays.values()].map((relay) => ({ url: relay.url })),
      nodeAddressMap: (address: string) => {
        const relay = relays.get(Number(address.split(':').at(-1)));
        return relay === undefined ? undefined : { host: '127.0.0.1', port: relay.relay.port };
      },
      defaults: { disableOfflineQueue: true },
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const store = new RedisRateLimitStore({ client: client as never, keyPrefix: 'rt-count:' });
      const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);
      const node = await client.nodeClient(client.masters[0]!);
      const masterOf = async (key: string) => {
        const slot = await node.sendCommand(['CLUSTER', 'KEYSLOT', `rt-count:${key}`]);
        return client.getSlotMaster(Number(slot)).port;
      };
      const used = new Set(await Promise.all(keys.map(masterOf)));
      expect(used.size).toBe(3); // these keys spread over every master
      await store.hitMany(keys.map((key) => ({ key, windowSeconds: 60 }))); // scripts loaded
      const before = new Map([...relays].map(([port, relay]) => [port, relay.writes]));
      const hits = await store.hitMany(keys.map((key) => ({ key, windowSeconds: 60 })));
      expect(hits.map((h) => h.count)).toEqual(keys.map(() => 2));
      const roundTrips = [...relays].map(([port, relay]) => relay.writes - before.get(port)!);
      expect(roundTrips).toEqual([1, 1, 1]);
    } finally {
      await client.close().catch(() => undefined);
      for (const relay of relays.values()) await relay.close();
    }
  });

  it('advances a session inside the rotation script on the user’s slot', async () => {
    const client = await connect();
    const sessions = new RedisSessionStore({ client: client as never, keyPrefix: 'adv-sess:' });
    const store = new RedisRefreshTokenStore({
      client: client as never,
      keyPrefix: 'adv-rt:',
      sessions,
    });
    const at = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 12; i++) {
      const user = `user-{${i}}`; // braces in an id must not move its slot
      const family = `family-${i}`;
      await store.register(`a-${i}`, { userId: user, familyId: family, ttlSeconds: 600 });
      await sessions.create({
        id: `s-${i}`,
        userId: user,
        provider: 'password',
        familyId: family,
        accessJti: 'old',
        accessExpiresAt: at + 900,
        refreshTokenHash: 'old',
        refreshExpiresAt: at + 600,
        createdAt: at,
        lastUsedAt: at,
      });
      const update = {
        accessJti: `new-${i}`,
        accessExpiresAt: at + 900,
        refreshTokenHash: `h-${i}`,
        refreshExpiresAt: at + 1200,
        lastUsedAt: at + 1,
      };
      await expect(
        store.rotate(`a-${i}`, `b-${i}`, 600, {
          userId: user,
          familyId: family,
          nowSeconds: at,
          session: update,
        }),
      ).resolves.toMatchObject({ status: 'rotated', session: { id: `s-${i}`, ...update } });
      await expect(sessions.get(user, `s-${i}`)).resolves.toMatchObject(update);
    }
  });

  it('spreads the store keys over the three masters (the tags really distribute)', async () => {
    const client = await connect();
    const store = new RedisRefreshTokenStore({ client: client as never });
    for (let i = 0; i < 30; i++)
      await store.register(`spread-${i}`, {
        userId: `u${i}`,
        familyId: `fam-${i}`,
        ttlSeconds: 60,
      });
    const masters = client.masters.length;
    expect(masters).toBe(3);
    const sizes = await Promise.all(
      cluster.ports.map(async (port) => {
        const node = client.nodeClient(client.masters.find((m) => m.port === port)!);
        return (await node).dbSize();
      }),
    );
    expect(sizes.filter((n) => n > 0).length).toBe(3);
  });
});
