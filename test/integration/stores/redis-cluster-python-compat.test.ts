/**
 * `pythonCompat` on a real 3-master Redis Cluster: the legacy `rt:<jti>` key lives in another
 * slot than the family it joins, so the claim is its own one-key script (a CROSSSLOT error
 * would fail these tests) and exactly one of concurrent callers wins it.
 */
import { randomUUID } from 'node:crypto';
import { createCluster } from 'redis';
import { RedisRefreshTokenStore } from '../../../stores/redis/refresh-token-store';
import { LocalRedisCluster } from '../../helpers/redis-cluster';

jest.setTimeout(60_000);

let cluster: LocalRedisCluster;
let client: ReturnType<typeof createCluster>;

beforeAll(async () => {
  cluster = await LocalRedisCluster.start(3);
  client = createCluster({ rootNodes: cluster.rootNodes, defaults: { disableOfflineQueue: true } });
  client.on('error', () => undefined);
  await client.connect();
}, 60_000);

afterAll(async () => {
  await client?.close().catch(() => undefined);
  await cluster?.stop();
});

it('a legacy token rotates once of 20 concurrent callers, then rotates normally', async () => {
  const store = new RedisRefreshTokenStore({ client: client as never, pythonCompat: true });
  const user = randomUUID();
  const old = randomUUID();
  await client.set(`rt:${old}`, '1', { EX: 600 });
  const nexts = Array.from({ length: 20 }, () => randomUUID());
  const outcomes = await Promise.all(
    nexts.map((next) => store.rotate(old, next, 300, { userId: user, graceSeconds: 0 })),
  );
  expect(outcomes.filter((o) => o.status === 'rotated')).toHaveLength(1);
  expect(await client.exists(`rt:${old}`)).toBe(0);
  const winner = nexts[outcomes.findIndex((o) => o.status === 'rotated')];
  const familyId = (outcomes.find((o) => o.status === 'rotated') as { familyId: string }).familyId;
  await expect(
    store.rotate(winner, randomUUID(), 300, { userId: user, familyId }),
  ).resolves.toMatchObject({ status: 'rotated', familyId });
  await expect(store.rotate(old, randomUUID(), 300, { userId: user })).resolves.toEqual({
    status: 'reused',
    userId: user,
    familyId,
  });
});
