/**
 * The `RefreshTokenStore` contract (the interface in lib/security/stores.ts): one suite that every implementation runs
 * (memory, redis, postgres, mysql, third-party). Usage, in `test/contract/<store>.test.ts`:
 *
 *   describeRefreshTokenStore('postgres', async () => {
 *     const store = new PostgresRefreshTokenStore({ pool });
 *     return { store, time: 'server', cleanup: async () => { ... } };
 *   });
 *
 * What it pins down beyond the happy path: `rotate` is one atomic step (of N concurrent
 * rotations of one jti exactly one wins, checked over many trials), a rotated or revoked jti
 * is reported as `reused` with its user and family (the theft signal), and family/user
 * revocation counts only tokens that were active. Expiry: a store that takes a clock is given
 * the suite's, which the suite advances; a store on its server's clock (`time: 'server'`) is
 * tested with a real 1 s TTL. Every token is addressed by its user: the suite keeps
 * the user of each jti it registered (a rotated-in jti inherits the presented token's user)
 * and passes it along, and checks that a jti is no token of any other user.
 */
import type {
  RefreshTokenStore,
  StoreRotation,
  StoreRotationOptions,
} from '../../lib/security/store-contracts';
import {
  contractClock,
  contractPrefix,
  letTimePass,
  weirdIds,
  type ContractClock,
  type ContractTime,
} from './contract-helpers';

export interface RefreshTokenStoreHandle {
  store: RefreshTokenStore;
  /** Whose clock expires tokens: the suite's (given to the factory) or the server's. */
  time: ContractTime;
  /** Close clients / drop what this run created. Called once, after the suite. */
  cleanup(): Promise<void>;
}

export type RefreshTokenStoreFactory = (clock: ContractClock) => Promise<RefreshTokenStoreHandle>;

/** Parallel rotations of one jti per trial, and how many trials the race test runs. */
export const RACE_PARALLELISM = 20;
export const RACE_TRIALS = 50;

export function describeRefreshTokenStore(name: string, factory: RefreshTokenStoreFactory): void {
  describe(`RefreshTokenStore contract: ${name}`, () => {
    let handle: RefreshTokenStoreHandle | undefined;
    const clock = contractClock();
    const prefix = contractPrefix('rt');
    const id = (tag: string): string => `${prefix}${tag}`;
    const store = (): RefreshTokenStore => {
      if (!handle) throw new Error('store factory did not run');
      return handle.store;
    };
    /** The user of every jti this suite registered or asked to rotate in (full ids). */
    const owners = new Map<string, string>();
    const ownerOf = (jti: string): string => {
      const owner = owners.get(jti);
      if (owner === undefined) throw new Error(`contract suite: no user recorded for ${jti}`);
      return owner;
    };
    const registerRaw = async (
      jti: string,
      userId: string,
      familyId: string,
      ttlSeconds = 60,
    ): Promise<void> => {
      owners.set(jti, userId);
      await store().register(jti, { userId, familyId, ttlSeconds });
    };
    const register = (jti: string, userId: string, familyId: string, ttlSeconds = 60) =>
      registerRaw(id(jti), id(userId), id(familyId), ttlSeconds);
    // The store's calls on full ids, with the jti's own user unless one is given.
    const isValid = (jti: string, userId = ownerOf(jti)): Promise<boolean> =>
      store().isValid(jti, userId);
    const rotate = (
      oldJti: string,
      newJti: string,
      ttlSeconds: number,
      options: Partial<StoreRotationOptions> = {},
    ): Promise<StoreRotation> => {
      const userId = options.userId ?? ownerOf(oldJti);
      owners.set(newJti, userId);
      return store().rotate(oldJti, newJti, ttlSeconds, { ...options, userId });
    };
    const revoke = (jti: string, userId = ownerOf(jti)): Promise<void> =>
      store().revoke(jti, userId);

    beforeAll(async () => {
      handle = await factory(clock);
    });

    afterAll(async () => {
      await handle?.cleanup();
    });

    describe('register / isValid', () => {
      it('reports a registered jti as valid', async () => {
        await register('reg-1', 'user-1', 'fam-reg-1');
        await expect(isValid(id('reg-1'))).resolves.toBe(true);
      });

      it('reports an unknown jti as not valid', async () => {
        await expect(isValid(id('never-registered'), id('user-1'))).resolves.toBe(false);
      });
    });

    describe('rotate', () => {
      it('rotates an active jti: returns its user and family, retires it, activates the new one', async () => {
        await register('rot-old', 'user-rot', 'fam-rot');
        await expect(rotate(id('rot-old'), id('rot-new'), 60)).resolves.toEqual({
          status: 'rotated',
          userId: id('user-rot'),
          familyId: id('fam-rot'),
          issuedAt: expect.any(Number),
        });
        await expect(isValid(id('rot-old'))).resolves.toBe(false);
        await expect(isValid(id('rot-new'))).resolves.toBe(true);
      });

      it('keeps the family along a rotation chain', async () => {
        await register('chain-1', 'user-chain', 'fam-chain');
        await rotate(id('chain-1'), id('chain-2'), 60);
        await expect(rotate(id('chain-2'), id('chain-3'), 60)).resolves.toEqual({
          status: 'rotated',
          userId: id('user-chain'),
          familyId: id('fam-chain'),
          issuedAt: expect.any(Number),
        });
        await expect(isValid(id('chain-3'))).resolves.toBe(true);
      });

      it('reports a second rotation of the same jti as reused, with user and family', async () => {
        await register('reuse-old', 'user-reuse', 'fam-reuse');
        await rotate(id('reuse-old'), id('reuse-new-1'), 60);
        await expect(rotate(id('reuse-old'), id('reuse-new-2'), 60)).resolves.toEqual({
          status: 'reused',
          userId: id('user-reuse'),
          familyId: id('fam-reuse'),
        });
        await expect(isValid(id('reuse-new-2'))).resolves.toBe(false);
        await expect(isValid(id('reuse-new-1'))).resolves.toBe(true);
      });

      it('reports rotation of an unknown jti as unknown and activates nothing', async () => {
        await expect(
          rotate(id('ghost'), id('ghost-new'), 60, { userId: id('user-ghost') }),
        ).resolves.toEqual({
          status: 'unknown',
        });
        await expect(isValid(id('ghost-new'))).resolves.toBe(false);
      });

      it(`lets exactly one of ${RACE_PARALLELISM} parallel rotations of one jti win (${RACE_TRIALS} trials)`, async () => {
        for (let trial = 0; trial < RACE_TRIALS; trial += 1) {
          const old = `race-${trial}`;
          await register(old, 'user-race', `fam-race-${trial}`);
          const newJtis = Array.from({ length: RACE_PARALLELISM }, (_, i) =>
            id(`race-${trial}-new-${i}`),
          );
          const results = await Promise.all(newJtis.map((newJti) => rotate(id(old), newJti, 60)));
          const winners = results.flatMap((r, i) => (r.status === 'rotated' ? [i] : []));
          const reused = results.filter((r) => r.status === 'reused');
          expect({ trial, winners: winners.length, reused: reused.length }).toEqual({
            trial,
            winners: 1,
            reused: RACE_PARALLELISM - 1,
          });
          for (const r of reused) {
            expect(r).toEqual({
              status: 'reused',
              userId: id('user-race'),
              familyId: id(`fam-race-${trial}`),
            });
          }
          // Exactly the winner's new jti is live: no family fork.
          const live = await Promise.all(newJtis.map((jti) => isValid(jti)));
          expect(live.flatMap((ok, i) => (ok ? [i] : []))).toEqual(winners);
        }
      });
    });

    describe('revoke', () => {
      it('invalidates one jti, and a later rotation of it is reported as reused', async () => {
        await register('logout', 'user-logout', 'fam-logout');
        await revoke(id('logout'));
        await expect(isValid(id('logout'))).resolves.toBe(false);
        await expect(rotate(id('logout'), id('logout-new'), 60)).resolves.toEqual({
          status: 'reused',
          userId: id('user-logout'),
          familyId: id('fam-logout'),
        });
        await expect(isValid(id('logout-new'))).resolves.toBe(false);
      });

      it('treats revoking an unknown jti as a no-op', async () => {
        await expect(revoke(id('nobody'), id('user-nobody'))).resolves.toBeUndefined();
        await expect(isValid(id('nobody'), id('user-nobody'))).resolves.toBe(false);
      });
    });

    describe('revokeFamily', () => {
      it('revokes every member of the family, counts the active ones, leaves other families alone', async () => {
        await register('famA-1', 'user-fam', 'fam-A');
        await rotate(id('famA-1'), id('famA-2'), 60); // famA-1 retired, famA-2 active
        await register('famA-other', 'user-fam', 'fam-A'); // a second active member
        await register('famB-1', 'user-fam', 'fam-B');

        await expect(store().revokeFamily(id('fam-A'), id('user-fam'))).resolves.toBe(2);

        await expect(isValid(id('famA-2'))).resolves.toBe(false);
        await expect(isValid(id('famA-other'))).resolves.toBe(false);
        await expect(isValid(id('famB-1'))).resolves.toBe(true);
        // Revoked members stay known: presenting one again is still a theft signal.
        await expect(rotate(id('famA-2'), id('famA-3'), 60)).resolves.toEqual({
          status: 'reused',
          userId: id('user-fam'),
          familyId: id('fam-A'),
        });
        await expect(store().revokeFamily(id('fam-A'), id('user-fam'))).resolves.toBe(0);
      });

      it('resolves to 0 for an unknown family', async () => {
        await expect(store().revokeFamily(id('fam-none'), id('user-fam'))).resolves.toBe(0);
      });
    });

    describe('revokeUser', () => {
      it("revokes every family of the user, counts the active tokens, leaves other users' alone", async () => {
        await register('u1-f1-1', 'user-U', 'fam-U1');
        await rotate(id('u1-f1-1'), id('u1-f1-2'), 60);
        await register('u1-f2-1', 'user-U', 'fam-U2');
        await register('v-1', 'user-V', 'fam-V');

        await expect(store().revokeUser(id('user-U'))).resolves.toBe(2);

        await expect(isValid(id('u1-f1-2'))).resolves.toBe(false);
        await expect(isValid(id('u1-f2-1'))).resolves.toBe(false);
        await expect(isValid(id('v-1'))).resolves.toBe(true);
        await expect(rotate(id('u1-f2-1'), id('u1-f2-2'), 60)).resolves.toMatchObject({
          status: 'reused',
        });
        await expect(store().revokeUser(id('user-U'))).resolves.toBe(0);
      });

      it('resolves to 0 for an unknown user', async () => {
        await expect(store().revokeUser(id('user-none'))).resolves.toBe(0);
      });
    });

    describe('rotate with a grace window (benign concurrency is not theft)', () => {
      const at = 1_900_000_000; // the caller's clock, epoch seconds
      const rotateAt = (old: string, next: string, now: number, graceSeconds = 10) =>
        rotate(id(old), id(next), 60, { graceSeconds, nowSeconds: now });

      it('answers a re-presented token inside the grace with the same unused successor', async () => {
        await register('g-old', 'user-g', 'fam-g');
        await expect(rotateAt('g-old', 'g-new', at)).resolves.toEqual({
          status: 'rotated',
          userId: id('user-g'),
          familyId: id('fam-g'),
          issuedAt: at,
        });
        await expect(rotateAt('g-old', 'g-other', at + 10)).resolves.toEqual({
          status: 'replayed',
          userId: id('user-g'),
          familyId: id('fam-g'),
          jti: id('g-new'),
          issuedAt: at,
        });
        // Nothing changed: the successor is still the active token, the other jti never was.
        await expect(isValid(id('g-new'))).resolves.toBe(true);
        await expect(isValid(id('g-other'))).resolves.toBe(false);
      });

      it('is theft after the window', async () => {
        await register('g2-old', 'user-g2', 'fam-g2');
        await rotateAt('g2-old', 'g2-new', at);
        await expect(rotateAt('g2-old', 'g2-late', at + 11)).resolves.toMatchObject({
          status: 'reused',
        });
      });

      it('is theft once the successor was itself rotated or revoked', async () => {
        await register('g3-a', 'user-g3', 'fam-g3');
        await rotateAt('g3-a', 'g3-b', at);
        await rotateAt('g3-b', 'g3-c', at + 1);
        await expect(rotateAt('g3-a', 'g3-x', at + 2)).resolves.toMatchObject({ status: 'reused' });
        await register('g4-a', 'user-g4', 'fam-g4');
        await rotateAt('g4-a', 'g4-b', at);
        await revoke(id('g4-b'));
        await expect(rotateAt('g4-a', 'g4-x', at + 1)).resolves.toMatchObject({ status: 'reused' });
      });

      it('is theft with a grace of 0 (the default)', async () => {
        await register('g5-a', 'user-g5', 'fam-g5');
        await rotateAt('g5-a', 'g5-b', at);
        await expect(rotate(id('g5-a'), id('g5-x'), 60)).resolves.toMatchObject({
          status: 'reused',
        });
      });

      it(`gives ${RACE_PARALLELISM} concurrent rotations of one token one successor`, async () => {
        await register('g6-a', 'user-g6', 'fam-g6');
        const results = await Promise.all(
          Array.from({ length: RACE_PARALLELISM }, (_, i) => rotateAt('g6-a', `g6-n${i}`, at)),
        );
        const winners = results.filter((r) => r.status === 'rotated');
        expect(winners).toHaveLength(1);
        const winner = results.findIndex((r) => r.status === 'rotated');
        const replays = results.filter((r) => r.status === 'replayed');
        expect(replays).toHaveLength(RACE_PARALLELISM - 1);
        for (const replay of replays) expect(replay).toMatchObject({ jti: id(`g6-n${winner}`) });
      });
    });

    describe('expiry', () => {
      it('expires registered and rotated-in tokens after their ttl (1 s) and keeps longer ones', async () => {
        await register('exp-reg', 'user-exp', 'fam-exp-1', 1);
        await register('exp-src', 'user-exp', 'fam-exp-2', 60);
        await rotate(id('exp-src'), id('exp-rotated'), 1);
        await register('exp-long', 'user-exp', 'fam-exp-3', 60);
        await expect(isValid(id('exp-reg'))).resolves.toBe(true);
        await expect(isValid(id('exp-rotated'))).resolves.toBe(true);

        await letTimePass(handle!.time, clock, 1000);

        await expect(isValid(id('exp-reg'))).resolves.toBe(false);
        await expect(isValid(id('exp-rotated'))).resolves.toBe(false);
        await expect(isValid(id('exp-long'))).resolves.toBe(true);
        await expect(rotate(id('exp-reg'), id('exp-reg-new'), 60)).resolves.toEqual({
          status: 'unknown',
        });
        await expect(rotate(id('exp-rotated'), id('exp-rot-new'), 60)).resolves.toEqual({
          status: 'unknown',
        });
        await expect(isValid(id('exp-reg-new'))).resolves.toBe(false);
        // Expired tokens are not "active": family revocation does not count them.
        await expect(store().revokeFamily(id('fam-exp-1'), id('user-exp'))).resolves.toBe(0);
      });
    });

    describe('tokens are addressed by their user', () => {
      const at = 1_900_000_000; // the caller's clock, epoch seconds
      // Another user, and one that differs from the owner only in case.
      const strangers = (): string[] => [id('user-B'), id('USER-A')];

      it('reports a jti registered for user A as not valid for any other user', async () => {
        await register('own-valid', 'user-A', 'fam-own-valid');
        for (const other of strangers()) {
          await expect(isValid(id('own-valid'), other)).resolves.toBe(false);
        }
        await expect(isValid(id('own-valid'))).resolves.toBe(true);
      });

      it("answers another user's rotation of the jti with unknown and leaves it valid for A", async () => {
        await register('own-rot', 'user-A', 'fam-own-rot');
        for (const [i, other] of strangers().entries()) {
          await expect(
            store().rotate(id('own-rot'), id(`own-rot-stolen-${i}`), 60, { userId: other }),
          ).resolves.toEqual({ status: 'unknown' });
          await expect(isValid(id(`own-rot-stolen-${i}`), other)).resolves.toBe(false);
          await expect(isValid(id(`own-rot-stolen-${i}`), id('user-A'))).resolves.toBe(false);
        }
        await expect(isValid(id('own-rot'))).resolves.toBe(true);
        // Not retired, not flagged: A's own rotation still wins.
        await expect(rotate(id('own-rot'), id('own-rot-next'), 60)).resolves.toEqual({
          status: 'rotated',
          userId: id('user-A'),
          familyId: id('fam-own-rot'),
          issuedAt: expect.any(Number),
        });
      });

      it("gives another user neither A's theft signal nor A's successor for a rotated jti", async () => {
        await register('own-used', 'user-A', 'fam-own-used');
        await rotate(id('own-used'), id('own-used-next'), 60, { graceSeconds: 10, nowSeconds: at });
        for (const [i, other] of strangers().entries()) {
          // Inside A's grace window: no replay of A's successor.
          await expect(
            store().rotate(id('own-used'), id(`own-used-x${i}`), 60, {
              userId: other,
              graceSeconds: 10,
              nowSeconds: at + 1,
            }),
          ).resolves.toEqual({ status: 'unknown' });
          // After it: not `reused` (which would name A and A's family).
          await expect(
            store().rotate(id('own-used'), id(`own-used-y${i}`), 60, {
              userId: other,
              nowSeconds: at + 60,
            }),
          ).resolves.toEqual({ status: 'unknown' });
        }
        await expect(isValid(id('own-used-next'))).resolves.toBe(true);
      });

      it("treats another user's revoke of the jti as a no-op", async () => {
        await register('own-revoke', 'user-A', 'fam-own-revoke');
        for (const other of strangers()) {
          await expect(revoke(id('own-revoke'), other)).resolves.toBeUndefined();
        }
        await expect(isValid(id('own-revoke'))).resolves.toBe(true);
        await expect(rotate(id('own-revoke'), id('own-revoke-next'), 60)).resolves.toMatchObject({
          status: 'rotated',
        });
      });

      it("resolves another user's revokeFamily of A's family to 0 and leaves it valid", async () => {
        await register('own-fam', 'user-A', 'fam-own-fam');
        for (const other of strangers()) {
          await expect(store().revokeFamily(id('fam-own-fam'), other)).resolves.toBe(0);
        }
        await expect(isValid(id('own-fam'))).resolves.toBe(true);
        await expect(store().revokeFamily(id('fam-own-fam'), id('user-A'))).resolves.toBe(1);
        await expect(isValid(id('own-fam'))).resolves.toBe(false);
      });

      it("revokes only the given user's tokens of a family id two users share", async () => {
        await register('shared-A', 'user-A', 'fam-shared');
        await register('shared-B', 'user-B', 'fam-shared');
        await expect(store().revokeFamily(id('fam-shared'), id('user-A'))).resolves.toBe(1);
        await expect(isValid(id('shared-A'))).resolves.toBe(false);
        await expect(isValid(id('shared-B'))).resolves.toBe(true);
      });

      it('keeps unusual user ids apart (unicode, 128 chars, quotes, %, _, spaces)', async () => {
        const users = weirdIds(id('owner-')); // apart from the users of 'identifiers'
        const jtiOf = (i: number): string => id(`weird-user-${i}`);
        const familyOf = (i: number): string => id(`weird-user-fam-${i}`);
        for (const [i, user] of users.entries()) await registerRaw(jtiOf(i), user, familyOf(i));
        for (const [i] of users.entries()) {
          for (const [j, other] of users.entries()) {
            if (j === i) continue;
            await expect(isValid(jtiOf(i), other)).resolves.toBe(false);
            await expect(
              store().rotate(jtiOf(i), id(`weird-user-${i}-by-${j}`), 60, { userId: other }),
            ).resolves.toEqual({ status: 'unknown' });
            await expect(revoke(jtiOf(i), other)).resolves.toBeUndefined();
            await expect(store().revokeFamily(familyOf(i), other)).resolves.toBe(0);
          }
        }
        for (const [i, user] of users.entries()) {
          await expect(isValid(jtiOf(i))).resolves.toBe(true);
          await expect(rotate(jtiOf(i), id(`weird-user-${i}-next`), 60)).resolves.toEqual({
            status: 'rotated',
            userId: user,
            familyId: familyOf(i),
            issuedAt: expect.any(Number),
          });
        }
      });
    });

    describe('identifiers', () => {
      it('round-trips unusual jtis, user and family ids (unicode, 128 chars, quotes, %, _, spaces)', async () => {
        const ids = weirdIds(prefix);
        for (const [i, jti] of ids.entries()) {
          await registerRaw(jti, jti, jti);
          await expect(isValid(jti)).resolves.toBe(true);
          const next = `${prefix}next-${i}`;
          await expect(rotate(jti, next, 60)).resolves.toEqual({
            status: 'rotated',
            userId: jti,
            familyId: jti,
            issuedAt: expect.any(Number),
          });
        }
        // `%` / `_` must not act as wildcards in family or user revocation.
        await register('a-b-sibling', 'aXb', 'aXb');
        await register('a-b-family-sibling', 'a%b', 'aXb'); // same user as family `a%b`
        await expect(store().revokeFamily(`${prefix}a%b`, `${prefix}a%b`)).resolves.toBe(1);
        await expect(store().revokeUser(`${prefix}a_b`)).resolves.toBe(1);
        await expect(isValid(id('a-b-sibling'))).resolves.toBe(true);
        await expect(isValid(id('a-b-family-sibling'))).resolves.toBe(true);
        await expect(isValid(`${prefix}a%b`)).resolves.toBe(false);
        await expect(isValid(`${prefix}next-0`)).resolves.toBe(false);
        await expect(isValid(`${prefix}next-1`)).resolves.toBe(false);
        await expect(isValid(`${prefix}next-2`)).resolves.toBe(true);
      });
    });
  });
}
