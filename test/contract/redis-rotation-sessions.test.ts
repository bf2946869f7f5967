/**
 * RedisRefreshTokenStore linked to a RedisSessionStore (`sessions`): a rotation advances the
 * session of its family inside its own script. Checked on the machine's Redis: what the
 * advance does in each outcome, and that a whole refresh through the auth flows is one
 * command in one round trip (MONITOR on the server, a TCP relay on the wire).
 */
import { randomUUID } from 'node:crypto';
import { createAuthFlows, type AuthUser } from 'auth-sdk-m8';
import { ConfigurationError } from '../../lib/core/errors';
import type { SessionRecord } from '../../lib/security/store-contracts';
import { RedisRefreshTokenStore } from '../../stores/redis/refresh-token-store';
import { RedisSessionStore } from '../../stores/redis/session-store';
import { hsFlowParts } from '../helpers/flow-parts';
import { advanceTo, loginWithSession, nowSeconds } from '../helpers/linked-sessions';
import {
  commandsOf,
  connectRedis as connect,
  CountingRelay,
  dropRedisPrefix as dropPrefix,
  type TestRedisClient,
} from '../helpers/redis-client';
import { describeWithService, services, uniquePrefix } from '../helpers/services';

describeWithService('redis', 'RedisRefreshTokenStore with sessions', () => {
  let client: TestRedisClient;
  let prefix: string;
  let sessions: RedisSessionStore;
  let store: RedisRefreshTokenStore;

  beforeAll(async () => {
    client = await connect();
    prefix = uniquePrefix('rtsess');
    sessions = new RedisSessionStore({ client, keyPrefix: `${prefix}sess:` });
    store = new RedisRefreshTokenStore({ client, keyPrefix: `${prefix}rt:`, sessions });
  });

  afterAll(async () => {
    await dropPrefix(client, prefix);
    await client.quit();
  });

  const now = nowSeconds;
  const login = (userId: string, familyId: string, jti: string): Promise<SessionRecord> =>
    loginWithSession({ refresh: store, sessions }, userId, familyId, jti);
  const advance = advanceTo;

  it('refuses a session store that is not a RedisSessionStore on the same client', async () => {
    const other = await connect();
    try {
      const foreign = new RedisSessionStore({ client: other });
      expect(() => new RedisRefreshTokenStore({ client, sessions: foreign })).toThrow(
        ConfigurationError,
      );
      expect(
        () =>
          new RedisRefreshTokenStore({
            client,
            sessions: {} as unknown as RedisSessionStore,
          }),
      ).toThrow(/RedisSessionStore on the same client/);
    } finally {
      await other.quit();
    }
  });

  it('a winning rotation advances the session of its family in the same step', async () => {
    const user = randomUUID();
    const family = randomUUID();
    const created = await login(user, family, 'j1');
    const at = now();
    const outcome = await store.rotate('j1', 'j2', 7200, {
      userId: user,
      familyId: family,
      nowSeconds: at,
      session: advance('j2', at),
    });
    const expected = { ...created, ...advance('j2', at) };
    expect(outcome).toEqual({
      status: 'rotated',
      userId: user,
      familyId: family,
      issuedAt: at,
      session: expected,
    });
    await expect(sessions.get(user, created.id)).resolves.toEqual(expected);
    // The session's keys now live as long as the new refresh token.
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}sess:*`, COUNT: 500 }))
      keys.push(...batch);
    const sessionKey = keys.find((k) => k.endsWith(`:s:${created.id}`))!;
    expect(await client.ttl(sessionKey)).toBeGreaterThan(3600);
  });

  it('reports null for a family without a live session, and leaves other outcomes alone', async () => {
    const user = randomUUID();
    const family = randomUUID();
    await store.register('n1', { userId: user, familyId: family, ttlSeconds: 600 });
    const at = now();
    await expect(
      store.rotate('n1', 'n2', 600, {
        userId: user,
        familyId: family,
        nowSeconds: at,
        session: advance('n2', at),
        graceSeconds: 10,
      }),
    ).resolves.toMatchObject({ status: 'rotated', session: null });
    // A replay inside the grace and a reuse carry no session and change none.
    await expect(
      store.rotate('n1', 'n3', 600, {
        userId: user,
        familyId: family,
        nowSeconds: at + 1,
        session: advance('n3', at + 1),
        graceSeconds: 10,
      }),
    ).resolves.toEqual({
      status: 'replayed',
      userId: user,
      familyId: family,
      jti: 'n2',
      issuedAt: at,
    });
    await expect(
      store.rotate('n1', 'n4', 600, { userId: user, familyId: family, session: advance('n4', at) }),
    ).resolves.toEqual({ status: 'reused', userId: user, familyId: family });
  });

  it('advances nothing when the planned family is not the token’s, or no advance is given', async () => {
    const user = randomUUID();
    const family = randomUUID();
    const created = await login(user, family, 'f1');
    const at = now();
    const elsewhere = await store.rotate('f1', 'f2', 600, {
      userId: user,
      familyId: randomUUID(),
      nowSeconds: at,
      session: advance('f2', at),
    });
    expect(elsewhere).toEqual({ status: 'rotated', userId: user, familyId: family, issuedAt: at });
    const plain = await store.rotate('f2', 'f3', 600, { userId: user, familyId: family });
    expect(plain).not.toHaveProperty('session');
    await expect(sessions.get(user, created.id)).resolves.toEqual(created);
  });

  it('never advances another user’s session, even under the same family id', async () => {
    const family = randomUUID();
    const alice = randomUUID();
    const bob = randomUUID();
    await login(alice, family, 'a1');
    const bobs = await login(bob, family, 'b1');
    const at = now();
    await expect(
      store.rotate('a1', 'a2', 600, {
        userId: alice,
        familyId: family,
        nowSeconds: at,
        session: advance('a2', at),
      }),
    ).resolves.toMatchObject({ status: 'rotated', session: { userId: alice } });
    await expect(sessions.get(bob, bobs.id)).resolves.toEqual(bobs);
  });

  describe('a refresh through the auth flows, counted', () => {
    let relay: CountingRelay;
    let counted: TestRedisClient;

    beforeAll(async () => {
      relay = await CountingRelay.start(services.redis);
      counted = await connect(relay.url);
    });

    afterAll(async () => {
      await counted.quit();
      await relay.close();
    });

    it('is one script call in one round trip, and the session follows it', async () => {
      const user: AuthUser = { sub: randomUUID(), email: 'count@example.com', is_active: true };
      const linkedSessions = new RedisSessionStore({
        client: counted,
        keyPrefix: `${prefix}c-sess:`,
      });
      const { issuer, policy, refreshPolicy } = hsFlowParts({
        refreshStore: new RedisRefreshTokenStore({
          client: counted,
          keyPrefix: `${prefix}c-rt:`,
          sessions: linkedSessions,
        }),
      });
      const flows = createAuthFlows({
        issuer,
        refreshPolicy,
        policy,
        sessions: linkedSessions,
        findUser: () => user,
        verifyCredentials: async () => user,
      });
      const loggedIn = await flows.login({
        headers: {},
        body: { email: 'count@example.com', password: 'x' },
      });
      const first = loggedIn.body as { refresh_token: string; session_id: string };
      // Warm the scripts once (a first EVALSHA after a SCRIPT FLUSH falls back to EVAL).
      const warm = await flows.refresh({
        headers: {},
        body: { refresh_token: first.refresh_token },
      });
      const { refresh_token: current } = warm.body as { refresh_token: string };
      let answer: { status: number; body: unknown } | undefined;
      const counts = await commandsOf(counted, relay, services.redis.url, async () => {
        answer = await flows.refresh({ headers: {}, body: { refresh_token: current } });
      });
      expect(counts).toEqual({ commands: ['EVALSHA'], roundTrips: 1 });
      const body = answer!.body as {
        access_token: string;
        refresh_token: string;
        session_id: string;
      };
      expect(answer!.status).toBe(200);
      expect(body.session_id).toBe(first.session_id);
      // The session now names the new access token: it is the caller's "current" session.
      const listed = await flows.listSessions({
        headers: { authorization: `Bearer ${body.access_token}` },
      });
      expect(listed.body).toEqual([
        expect.objectContaining({ id: first.session_id, current: true }),
      ]);
    });
  });
});
