/**
 * The `SessionStore` contract: one suite that every implementation runs (memory, redis,
 * postgres, mysql, third-party). The factory hands over a clock the suite moves forward, so
 * expiry is tested without waiting: stores compare session times with that clock.
 */
import { randomUUID } from 'node:crypto';
import {
  MAX_LISTED_SESSIONS,
  type SessionRecord,
  type SessionStore,
} from '../../lib/security/store-contracts';
import { contractClock, contractPrefix, weirdIds, type ContractClock } from './contract-helpers';

export interface SessionStoreHandle {
  store: SessionStore;
  cleanup(): Promise<void>;
}

/** The factory is given the clock the store under test must use. */
export type SessionStoreFactory = (clock: ContractClock) => Promise<SessionStoreHandle>;

export function describeSessionStore(name: string, factory: SessionStoreFactory): void {
  describe(`SessionStore contract: ${name}`, () => {
    let handle: SessionStoreHandle | undefined;
    const clock = contractClock();
    const prefix = contractPrefix('ss');
    const user = (tag: string): string => `${prefix}${tag}`;
    const store = (): SessionStore => {
      if (!handle) throw new Error('store factory did not run');
      return handle.store;
    };
    const nowS = (): number => Math.floor(clock.now() / 1000);
    const session = (userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord => ({
      id: randomUUID(),
      userId,
      provider: 'password',
      familyId: randomUUID(),
      accessJti: randomUUID(),
      accessExpiresAt: nowS() + 900,
      refreshTokenHash: 'a'.repeat(64),
      refreshExpiresAt: nowS() + 3600,
      createdAt: nowS(),
      lastUsedAt: nowS(),
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
      ip: '203.0.113.7',
      ...overrides,
    });

    beforeAll(async () => {
      handle = await factory(clock);
    });
    afterAll(async () => {
      await handle?.cleanup();
    });

    it('creates a session and reads it back by id and by family', async () => {
      const s = session(user('a'));
      await store().create(s);
      await expect(store().get(s.userId, s.id)).resolves.toEqual(s);
      await expect(store().getByFamily(s.userId, s.familyId)).resolves.toEqual(s);
    });

    it('keeps optional fields optional and cuts user agent and ip to their bounds', async () => {
      const bare = session(user('bare'));
      delete bare.userAgent;
      delete bare.ip;
      await store().create(bare);
      await expect(store().get(bare.userId, bare.id)).resolves.toEqual(bare);
      const long = session(user('long'), { userAgent: 'u'.repeat(2000), ip: '9'.repeat(200) });
      await store().create(long);
      const read = await store().get(long.userId, long.id);
      expect(read?.userAgent).toHaveLength(512);
      expect(read?.ip).toHaveLength(64);
    });

    it("treats another user's session id as unknown (get, revoke)", async () => {
      const s = session(user('owner'));
      await store().create(s);
      await expect(store().get(user('intruder'), s.id)).resolves.toBeUndefined();
      await expect(store().revoke(user('intruder'), s.id)).resolves.toBeUndefined();
      await expect(store().get(s.userId, s.id)).resolves.toEqual(s);
    });

    it('lists active sessions newest first, bounded', async () => {
      const u = user('list');
      const sessions = [0, 1, 2].map((i) => session(u, { createdAt: nowS() - 100 + i }));
      for (const s of sessions) await store().create(s);
      const listed = await store().list(u);
      expect(listed.map((s) => s.id)).toEqual([sessions[2]!.id, sessions[1]!.id, sessions[0]!.id]);
      await expect(store().list(u, 2)).resolves.toHaveLength(2);
      await expect(store().list(user('nobody'))).resolves.toEqual([]);
      expect(MAX_LISTED_SESSIONS).toBeGreaterThanOrEqual(10);
    });

    it('advances the session of a family after a rotation', async () => {
      const s = session(user('adv'));
      await store().create(s);
      const update = {
        accessJti: randomUUID(),
        accessExpiresAt: nowS() + 1000,
        refreshTokenHash: 'b'.repeat(64),
        refreshExpiresAt: nowS() + 7200,
        lastUsedAt: nowS() + 5,
      };
      await expect(store().advance(s.userId, s.familyId, update)).resolves.toEqual({
        ...s,
        ...update,
      });
      await expect(store().get(s.userId, s.id)).resolves.toEqual({ ...s, ...update });
      await expect(store().advance(s.userId, randomUUID(), update)).resolves.toBeUndefined();
    });

    it('revokes one session (resolving it as it was), once', async () => {
      const u = user('rev');
      const a = session(u);
      const b = session(u);
      await store().create(a);
      await store().create(b);
      const ended = await Promise.all([store().revoke(u, a.id), store().revoke(u, a.id)]);
      expect(ended.filter((e) => e !== undefined)).toEqual([a]);
      await expect(store().get(u, a.id)).resolves.toBeUndefined();
      await expect(store().get(u, b.id)).resolves.toEqual(b);
      await expect(store().revokeByFamily(u, b.familyId)).resolves.toEqual(b);
      await expect(store().list(u)).resolves.toEqual([]);
    });

    it("revokes all of a user's sessions and no one else's", async () => {
      const u = user('all');
      const mine = [session(u), session(u)];
      const other = session(user('other'));
      for (const s of [...mine, other]) await store().create(s);
      const ended = await store().revokeAll(u);
      expect(ended.map((s) => s.id).sort()).toEqual(mine.map((s) => s.id).sort());
      await expect(store().list(u)).resolves.toEqual([]);
      await expect(store().get(other.userId, other.id)).resolves.toEqual(other);
      await expect(store().revokeAll(u)).resolves.toEqual([]);
    });

    it('expires a session with its refresh token (on the clock it was given)', async () => {
      const u = user('exp');
      const short = session(u, { refreshExpiresAt: nowS() + 60 });
      const long = session(u, { refreshExpiresAt: nowS() + 3600 });
      await store().create(short);
      await store().create(long);
      clock.advance(61_000);
      await expect(store().get(u, short.id)).resolves.toBeUndefined();
      await expect(store().getByFamily(u, short.familyId)).resolves.toBeUndefined();
      await expect(store().list(u)).resolves.toEqual([long]);
      await expect(store().revoke(u, short.id)).resolves.toBeUndefined();
      // Born expired: nothing kept.
      const dead = session(u, { refreshExpiresAt: nowS() - 1 });
      await store().create(dead);
      await expect(store().get(u, dead.id)).resolves.toBeUndefined();
    });

    it('keeps unusual user ids apart (unicode, quotes, %, _, 128 chars)', async () => {
      for (const u of weirdIds(prefix)) {
        const s = session(u);
        await store().create(s);
        await expect(store().list(u)).resolves.toEqual([s]);
      }
      // `%` / `_` are not wildcards.
      await expect(store().list(`${prefix}aXb`)).resolves.toEqual([]);
    });
  });
}
