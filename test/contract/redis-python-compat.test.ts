/**
 * RedisRefreshTokenStore on the machine's Redis: `pythonCompat` (refresh tokens the Python
 * reference store left as `rt:<jti>` = "1" rotate here once), and the commands one rotation
 * sends, counted on the server by MONITOR filtered to the store's own connection, and its
 * round trips, counted by a TCP relay between that connection and Redis.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createAuthFlows } from '../../lib/security/flows/auth-flows';
import { RefreshTokenPolicy } from '../../lib/security/refresh-token-policy';
import { RedisRefreshTokenStore } from '../../stores/redis/refresh-token-store';
import { RedisSessionStore } from '../../stores/redis/session-store';
import { hsFlowParts } from '../helpers/flow-parts';
import { REFRESH_SECRET } from '../helpers/keys';
import {
  commandsOf,
  connectRedis as connect,
  CountingRelay,
  dropRedisPrefix as dropPrefix,
  type TestRedisClient,
} from '../helpers/redis-client';
import { describeWithService, services, uniquePrefix } from '../helpers/services';

type Client = TestRedisClient;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECRET = 'Refresh-Compat_Secret-0123456789-abcdefghij';

/** A refresh token as the Python package signs it: HS256, no `fid`. */
function pythonToken(sub: string, jti: string, secret: string = SECRET): string {
  const encode = (value: unknown): string =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  const payload = { sub, jti, type: 'refresh', exp: Math.floor(Date.now() / 1000) + 3600 };
  const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

describeWithService('redis', 'RedisRefreshTokenStore pythonCompat', () => {
  let client: Client;
  let prefix: string;
  const legacyKeys: string[] = [];

  /** A token the Python store wrote: `rt:<jti>` = "1" with its TTL. */
  async function pythonRegistered(ttl = 600): Promise<string> {
    const jti = randomUUID();
    legacyKeys.push(`rt:${jti}`);
    await client.set(`rt:${jti}`, '1', { EX: ttl });
    return jti;
  }

  beforeAll(async () => {
    client = await connect();
    prefix = uniquePrefix('pycompat');
  });

  afterAll(async () => {
    if (legacyKeys.length > 0) await client.del(legacyKeys);
    await dropPrefix(client, prefix);
    await client.quit();
  });

  async function scan(keyPrefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 500 }))
      keys.push(...batch);
    return keys;
  }

  const store = (options: { pythonCompat?: boolean } = { pythonCompat: true }) =>
    new RedisRefreshTokenStore({ client, keyPrefix: prefix, ...options });

  it('rotates a token known only as rt:<jti> once, into a new family, and deletes that key', async () => {
    const s = store();
    const old = await pythonRegistered(600);
    const user = randomUUID();
    const next = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const outcome = await s.rotate(old, next, 300, { userId: user, nowSeconds: now });
    expect(outcome).toEqual({
      status: 'rotated',
      userId: user,
      familyId: expect.any(String),
      issuedAt: now,
      adopted: true,
    });
    const familyId = (outcome as { familyId: string }).familyId;
    expect(familyId).toMatch(UUID);
    expect(await client.exists(`rt:${old}`)).toBe(0);
    await expect(s.isValid(next, user)).resolves.toBe(true);
    await expect(s.isValid(old, user)).resolves.toBe(false);
    // Presented again: a rotated member of that family (no grace here: reuse).
    await expect(s.rotate(old, randomUUID(), 300, { userId: user })).resolves.toEqual({
      status: 'reused',
      userId: user,
      familyId,
    });
    // The successor rotates as any token of ours, with or without the family hint.
    const third = randomUUID();
    await expect(
      s.rotate(next, third, 300, { userId: user, familyId, graceSeconds: 10 }),
    ).resolves.toMatchObject({ status: 'rotated', userId: user, familyId });
    const fourth = randomUUID();
    await expect(s.rotate(third, fourth, 300, { userId: user })).resolves.toMatchObject({
      status: 'rotated',
      familyId,
    });
    // revokeUser reaches the migrated family; the adopted token and its successor are issued
    // at the adoption (the Python token's own issue time is unknown, and earlier).
    const listed = await s.revokeUser(user);
    expect(listed.map((t) => t.jti).sort()).toEqual([old, next, third, fourth].sort());
    expect(listed.filter((t) => t.jti === old || t.jti === next)).toEqual(
      expect.arrayContaining([
        { jti: old, issuedAt: now },
        { jti: next, issuedAt: now },
      ]),
    );
    // Revoked, not reused: presenting the adopted token again is no theft signal any more.
    await expect(s.rotate(old, randomUUID(), 300, { userId: user })).resolves.toEqual({
      status: 'revoked',
      userId: user,
      familyId,
    });
  });

  it('keeps the legacy TTL for the retired token and uses the caller family hint', async () => {
    const s = store();
    const old = await pythonRegistered(500);
    const user = randomUUID();
    const hint = randomUUID();
    const next = randomUUID();
    await expect(s.rotate(old, next, 300, { userId: user, familyId: hint })).resolves.toMatchObject(
      { status: 'rotated', familyId: hint },
    );
    // Inside the grace, with the successor unused, the old token gets the same successor.
    await expect(
      s.rotate(old, randomUUID(), 300, { userId: user, graceSeconds: 30 }),
    ).resolves.toMatchObject({ status: 'replayed', jti: next, familyId: hint });
    const keys = await scan(prefix);
    const oldRecord = keys.find((k) => k.endsWith(`:t:${old}`));
    const newRecord = keys.find((k) => k.endsWith(`:t:${next}`));
    expect(oldRecord).toBeDefined();
    expect(newRecord).toBeDefined();
    const oldTtl = await client.ttl(oldRecord!);
    expect(oldTtl).toBeGreaterThan(480);
    expect(oldTtl).toBeLessThanOrEqual(500);
    expect(await client.ttl(newRecord!)).toBeLessThanOrEqual(300);
  });

  it('of 20 concurrent rotations of one legacy token exactly one rotates', async () => {
    const s = store();
    const old = await pythonRegistered();
    const user = randomUUID();
    const nexts = Array.from({ length: 20 }, () => randomUUID());
    const outcomes = await Promise.all(
      nexts.map((next) => s.rotate(old, next, 300, { userId: user, graceSeconds: 0 })),
    );
    const rotated = outcomes.filter((o) => o.status === 'rotated');
    expect(rotated).toHaveLength(1);
    for (const o of outcomes) expect(['rotated', 'reused', 'unknown']).toContain(o.status);
    const winner = nexts[outcomes.findIndex((o) => o.status === 'rotated')];
    const validity = await Promise.all(nexts.map((next) => s.isValid(next, user)));
    expect(validity.filter(Boolean)).toHaveLength(1);
    await expect(s.isValid(winner!, user)).resolves.toBe(true);
    // The winner's token then rotates normally.
    const familyId = (rotated[0] as { familyId: string }).familyId;
    await expect(
      s.rotate(winner, randomUUID(), 300, { userId: user, familyId }),
    ).resolves.toMatchObject({
      status: 'rotated',
      familyId,
    });
  });

  it('through RefreshTokenPolicy: a Python token (no fid) rotates once, its replay revokes the new family', async () => {
    const s = store();
    const policy = new RefreshTokenPolicy({ secret: SECRET, store: s, graceSeconds: 0 });
    const user = randomUUID();
    const old = await pythonRegistered();
    const token = pythonToken(user, old);
    const next = randomUUID();
    const result = await policy.validateAndRotate(token, { newJti: next, ttlSeconds: 300 });
    expect(result).toMatchObject({ userId: user, oldJti: old, newJti: next });
    expect(result.familyId).toMatch(UUID);
    await expect(s.isValid(next, user)).resolves.toBe(true);
    await expect(policy.validateAndRotate(token, { newJti: randomUUID() })).rejects.toMatchObject({
      message: expect.stringMatching(/already used or revoked/),
    });
    await expect(s.isValid(next, user)).resolves.toBe(false);
  });

  it('through the auth flows: the first refresh of a Python token opens its session', async () => {
    const sessions = new RedisSessionStore({ client, keyPrefix: `${prefix}flows-sess:` });
    const refreshStore = new RedisRefreshTokenStore({
      client,
      keyPrefix: `${prefix}flows-rt:`,
      pythonCompat: true,
      sessions,
    });
    const { issuer, policy, refreshPolicy } = hsFlowParts({ refreshStore });
    const sub = randomUUID();
    const flows = createAuthFlows({
      issuer,
      refreshPolicy,
      policy,
      sessions,
      findUser: (id) => ({ sub: id, email: 'py@example.com', is_active: true }),
    });
    const old = await pythonRegistered();
    const first = await flows.refresh({
      headers: { 'user-agent': 'python-era client' },
      body: { refresh_token: pythonToken(sub, old, REFRESH_SECRET) },
      ip: '203.0.113.9',
    });
    expect(first.status).toBe(200);
    const body = first.body as { access_token: string; refresh_token: string; session_id: string };
    expect(body.session_id).toMatch(UUID);
    const listed = await flows.listSessions({
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(listed.body).toEqual([
      expect.objectContaining({
        id: body.session_id,
        current: true,
        user_agent: 'python-era client',
        ip: '203.0.113.9',
      }),
    ]);
    // From then on, a session like any: the next refresh advances it in the rotation.
    const next = await flows.refresh({ headers: {}, body: { refresh_token: body.refresh_token } });
    expect(next.body).toMatchObject({ session_id: body.session_id });
  });

  it('reads a legacy token as valid and revokes it (logout) by deleting its key', async () => {
    const s = store();
    const old = await pythonRegistered();
    const user = randomUUID(); // the Python layout records no user: any sub reads it
    await expect(s.isValid(old, user)).resolves.toBe(true);
    await s.revoke(old, user);
    expect(await client.exists(`rt:${old}`)).toBe(0);
    await expect(s.isValid(old, user)).resolves.toBe(false);
    await expect(s.rotate(old, randomUUID(), 300, { userId: randomUUID() })).resolves.toEqual({
      status: 'unknown',
    });
  });

  it('without the option a legacy token is unknown and its key untouched', async () => {
    const s = store({});
    const old = await pythonRegistered();
    await expect(s.rotate(old, randomUUID(), 300, { userId: randomUUID() })).resolves.toEqual({
      status: 'unknown',
    });
    await expect(s.isValid(old, 'u')).resolves.toBe(false);
    await s.revoke(old, 'u');
    expect(await client.get(`rt:${old}`)).toBe('1');
  });

  it('never takes one of its own keys, a non-"1" value or a record of ours for a legacy token', async () => {
    // Our keys and the legacy keys under one prefix, as with the defaults (both `rt:`).
    const shared = `${prefix}shared:`;
    const s = new RedisRefreshTokenStore({
      client,
      keyPrefix: shared,
      pythonCompat: true,
      pythonKeyPrefix: shared,
    });
    const user = randomUUID();
    await s.register('x', { userId: user, familyId: '1', ttlSeconds: 300 });
    // Our keys all hold `{` after the prefix: the user's family set, the family's members,
    // the token records are never looked up (nor claimed) as legacy keys.
    const tag = (await scan(shared)).find((k) => k.endsWith(':f'))!.slice(shared.length, -2);
    for (const ours of [`${tag}:f`, `${tag}:m:1`, `${tag}:t:x`]) {
      await expect(s.rotate(ours, randomUUID(), 300, { userId: user })).resolves.toEqual({
        status: 'unknown',
      });
      await expect(s.isValid(ours, user)).resolves.toBe(false);
      await s.revoke(ours, user);
    }
    expect(await client.sMembers(`${shared}${tag}:f`)).toEqual(['1']);
    expect(await client.sMembers(`${shared}${tag}:m:1`)).toEqual(['x']);
    await expect(s.isValid('x', user)).resolves.toBe(true);
    // A key of another shape (not the Python layout) is left alone.
    const other = randomUUID();
    await client.set(`${shared}${other}`, 'true', { EX: 60 });
    await expect(s.rotate(other, randomUUID(), 300, { userId: user })).resolves.toEqual({
      status: 'unknown',
    });
    expect(await client.get(`${shared}${other}`)).toBe('true');
    // A jti we know decides by our record, even with a legacy key beside it.
    await s.register('y', { userId: user, familyId: 'fy', ttlSeconds: 300 });
    await expect(s.rotate('y', 'y2', 300, { userId: user })).resolves.toMatchObject({
      status: 'rotated',
      familyId: 'fy',
    });
    await client.set(`${shared}y`, '1', { EX: 60 });
    await expect(s.rotate('y', 'y3', 300, { userId: user })).resolves.toEqual({
      status: 'reused',
      userId: user,
      familyId: 'fy',
    });
    expect(await client.get(`${shared}y`)).toBe('1');
  });

  describe('commands and round trips per rotation, counted on the server and the wire', () => {
    let relay: CountingRelay;
    let counted: Client;

    beforeAll(async () => {
      relay = await CountingRelay.start(services.redis);
      counted = await connect(relay.url);
    });

    afterAll(async () => {
      await counted.quit();
      await relay.close();
    });

    const countedStore = () =>
      new RedisRefreshTokenStore({ client: counted, keyPrefix: prefix, pythonCompat: true });

    async function chain(s: RedisRefreshTokenStore, familyId: string, user: string) {
      let head = randomUUID();
      await s.register(head, { userId: user, familyId, ttlSeconds: 300 });
      // Warm: the scripts are loaded (a first EVALSHA after a SCRIPT FLUSH falls back to EVAL).
      const warm = randomUUID();
      await s.rotate(head, warm, 300, { familyId, userId: user });
      head = warm;
      return async (hinted: boolean) => {
        const next = randomUUID();
        let status = '';
        const counts = await commandsOf(counted, relay, services.redis.url, async () => {
          const options = hinted ? { familyId, userId: user } : { userId: user };
          status = (await s.rotate(head, next, 300, options)).status;
        });
        head = next;
        expect(status).toBe('rotated');
        return counts;
      };
    }

    it('one script call, one round trip, with or without the family hint', async () => {
      const rotate = await chain(countedStore(), randomUUID(), randomUUID());
      const one = { commands: ['EVALSHA'], roundTrips: 1 };
      await expect(rotate(true)).resolves.toEqual(one);
      await expect(rotate(false)).resolves.toEqual(one);
    });

    it('a legacy token: our record looked up, claimed, then adopted (three round trips)', async () => {
      const s = countedStore();
      const warmJti = await pythonRegistered();
      await s.rotate(warmJti, randomUUID(), 300, { userId: randomUUID() });
      const old = await pythonRegistered();
      let status = '';
      const counts = await commandsOf(counted, relay, services.redis.url, async () => {
        status = (await s.rotate(old, randomUUID(), 300, { userId: randomUUID() })).status;
      });
      expect(status).toBe('rotated');
      expect(counts).toEqual({ commands: ['EVALSHA', 'EVALSHA', 'EVALSHA'], roundTrips: 3 });
    });
  });
});
