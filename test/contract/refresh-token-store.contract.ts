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
 * rotations of one jti exactly one wins, checked over many trials); a rotated jti presented
 * again is `reused` with its user and family (the theft signal), a revoked one `revoked` (its
 * session ended: no theft); family/user revocation reaches every token, rotated ones too, and
 * lists them with their issue times, atomically with any rotation racing it. Expiry: a store that takes a clock is given
 * the suite's, which the suite advances; a store on its server's clock (`time: 'server'`) is
 * tested with a real 1 s TTL (written in the file's setup when the file passes
 * `{ expiryFirst }`, so that TTL runs out while the other tests run). Every token is addressed by its user: the suite keeps
 * the user of each jti it registered (a rotated-in jti inherits the presented token's user)
 * and passes it along, and checks that a jti is no token of any other user.
 */
import type {
  RefreshRevocationOptions,
  RefreshTokenStore,
  RevokedRefreshToken,
  StoreRotation,
  StoreRotationOptions,
} from '../../lib/security/store-contracts';
import {
  contractClock,
  contractPrefix,
  letTimePass,
  suiteStore,
  weirdIds,
  type ContractClock,
  type ContractTime,
  type ExpiryFirst,
} from './contract-helpers';

export interface RefreshTokenStoreHandle {
  store: RefreshTokenStore;
  /** Whose clock expires tokens: the suite's (given to the factory) or the server's. */
  time: ContractTime;
  /** Close clients / drop what this run created. Called once, after the suite. */
  cleanup(): Promise<void>;
}

export type RefreshTokenStoreFactory = (clock: ContractClock) => Promise<RefreshTokenStoreHandle>;

export interface RefreshTokenContractOptions {
  /** Write the expiry test's entries in the file's setup (stores on their server's clock). */
  expiryFirst?: ExpiryFirst;
}

/** Parallel rotations of one jti per trial, and how many trials the race test runs. */
export const RACE_PARALLELISM = 20;
export const RACE_TRIALS = 50;
/** Rounds of one rotation racing one family revocation. */
export const REVOCATION_RACE_ROUNDS = 20;

/** A revocation's list in jti order (stores list in no particular order). */
function byJti(listed: RevokedRefreshToken[]): RevokedRefreshToken[] {
  return [...listed].sort((a, b) => (a.jti < b.jti ? -1 : a.jti > b.jti ? 1 : 0));
}

function jtisOf(listed: RevokedRefreshToken[]): string[] {
  return byJti(listed).map((token) => token.jti);
}

export function describeRefreshTokenStore(
  name: string,
  factory: RefreshTokenStoreFactory,
  options: RefreshTokenContractOptions = {},
): void {
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
      issuedAt?: number,
    ): Promise<void> => {
      owners.set(jti, userId);
      await store().register(jti, { userId, familyId, ttlSeconds, issuedAt });
    };
    const register = (
      jti: string,
      userId: string,
      familyId: string,
      ttlSeconds = 60,
      issuedAt?: number,
    ) => registerRaw(id(jti), id(userId), id(familyId), ttlSeconds, issuedAt);
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
    // On tags, as `register` takes them.
    const revokeFamily = (familyId: string, userId: string, options?: RefreshRevocationOptions) =>
      store().revokeFamily(id(familyId), id(userId), options);
    const ids = (...tags: string[]): string[] => tags.map(id).sort();
    /** The store's clock in epoch seconds: the suite's, or real time for a server. */
    const storeNowSeconds = (): number =>
      Math.floor((handle?.time === 'clock' ? clock.now() : Date.now()) / 1000);

    // The expiry test's entries: a registered and a rotated-in token of 1 s, a 1-hour one (alive however slow the file runs), and
    // whether the short ones were valid right after.
    const suite = suiteStore(
      async () => (handle = await factory(clock)),
      async () => {
        await register('exp-reg', 'user-exp', 'fam-exp-1', 1);
        await register('exp-src', 'user-exp', 'fam-exp-2', 60);
        await rotate(id('exp-src'), id('exp-rotated'), 1);
        await register('exp-long', 'user-exp', 'fam-exp-3', 3600);
        const validAtFirst = [await isValid(id('exp-reg')), await isValid(id('exp-rotated'))];
        return { validAtFirst, since: Date.now() };
      },
      options.expiryFirst,
    );

    beforeAll(async () => {
      await suite.open();
    });

    afterAll(() => suite.close());

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
      it('invalidates one jti, and a later rotation of it is revoked (its session ended), not reuse', async () => {
        await register('logout', 'user-logout', 'fam-logout');
        await revoke(id('logout'));
        await expect(isValid(id('logout'))).resolves.toBe(false);
        await expect(rotate(id('logout'), id('logout-new'), 60)).resolves.toEqual({
          status: 'revoked',
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
      it('revokes every member of the family, rotated ones too, lists them all, leaves other families alone', async () => {
        await register('famA-1', 'user-fam', 'fam-A');
        await rotate(id('famA-1'), id('famA-2'), 60); // famA-1 rotated, famA-2 active
        await register('famA-other', 'user-fam', 'fam-A'); // a second active member
        await register('famA-gone', 'user-fam', 'fam-A');
        await revoke(id('famA-gone')); // revoked before: still listed
        await register('famB-1', 'user-fam', 'fam-B');
        const family = ids('famA-1', 'famA-2', 'famA-other', 'famA-gone');

        expect(jtisOf(await revokeFamily('fam-A', 'user-fam'))).toEqual(family);

        await expect(isValid(id('famA-2'))).resolves.toBe(false);
        await expect(isValid(id('famA-other'))).resolves.toBe(false);
        await expect(isValid(id('famB-1'))).resolves.toBe(true);
        // Every member is revoked, the rotated one too: presented again, none is a theft signal.
        for (const member of ['famA-1', 'famA-2', 'famA-other']) {
          await expect(rotate(id(member), id(`${member}-next`), 60)).resolves.toEqual({
            status: 'revoked',
            userId: id('user-fam'),
            familyId: id('fam-A'),
          });
          await expect(isValid(id(`${member}-next`))).resolves.toBe(false);
        }
        // The store still keeps them: a second revocation lists them again.
        expect(jtisOf(await revokeFamily('fam-A', 'user-fam'))).toEqual(family);
        await expect(rotate(id('famB-1'), id('famB-2'), 60)).resolves.toMatchObject({
          status: 'rotated',
        });
      });

      it('turns a rotated member presented inside the grace into revoked, not a replay', async () => {
        const at = 1_900_000_000;
        await register('famG-1', 'user-famG', 'fam-G');
        await rotate(id('famG-1'), id('famG-2'), 60, { graceSeconds: 10, nowSeconds: at });
        await revokeFamily('fam-G', 'user-famG');
        await expect(
          rotate(id('famG-1'), id('famG-x'), 60, { graceSeconds: 10, nowSeconds: at + 1 }),
        ).resolves.toEqual({ status: 'revoked', userId: id('user-famG'), familyId: id('fam-G') });
        await expect(isValid(id('famG-2'))).resolves.toBe(false);
        await expect(isValid(id('famG-x'))).resolves.toBe(false);
      });

      it('resolves [] for an unknown family', async () => {
        await expect(revokeFamily('fam-none', 'user-fam')).resolves.toEqual([]);
      });

      it(`never leaves a successor live and unlisted when a rotation races it (${REVOCATION_RACE_ROUNDS} rounds)`, async () => {
        const user = id('user-race-rev');
        for (let round = 0; round < REVOCATION_RACE_ROUNDS; round += 1) {
          const [head, successor, family] = [`rr-${round}`, `rr-${round}-next`, `rr-fam-${round}`];
          await register(head, 'user-race-rev', family);
          const rotation = (): Promise<StoreRotation> => rotate(id(head), id(successor), 60);
          const revocation = (): Promise<RevokedRefreshToken[]> =>
            revokeFamily(family, 'user-race-rev');
          // Both orders of asking, so a store that serialises by arrival sees both outcomes.
          const [rotated, listed] =
            round % 2 === 0
              ? await Promise.all([rotation(), revocation()])
              : await Promise.all([revocation(), rotation()]).then(([l, r]) => [r, l] as const);
          await expect(isValid(id(successor))).resolves.toBe(false);
          if (rotated.status === 'rotated') {
            expect({ round, listed: jtisOf(listed) }).toEqual({
              round,
              listed: ids(head, successor),
            });
          } else {
            expect({ round, rotated }).toEqual({
              round,
              rotated: { status: 'revoked', userId: user, familyId: id(family) },
            });
            expect({ round, listed: jtisOf(listed) }).toEqual({ round, listed: ids(head) });
          }
        }
      });
    });

    describe('revokeUser', () => {
      it("revokes every family of the user, rotated tokens too, lists them all, leaves other users' alone", async () => {
        await register('u1-f1-1', 'user-U', 'fam-U1');
        await rotate(id('u1-f1-1'), id('u1-f1-2'), 60);
        await register('u1-f2-1', 'user-U', 'fam-U2');
        await register('v-1', 'user-V', 'fam-V');
        await register('v-2', 'user-V', 'fam-U1'); // another user's token in a family id of U's

        const listed = await store().revokeUser(id('user-U'));
        expect(jtisOf(listed)).toEqual(ids('u1-f1-1', 'u1-f1-2', 'u1-f2-1'));

        await expect(isValid(id('u1-f1-2'))).resolves.toBe(false);
        await expect(isValid(id('u1-f2-1'))).resolves.toBe(false);
        await expect(isValid(id('v-1'))).resolves.toBe(true);
        await expect(isValid(id('v-2'))).resolves.toBe(true);
        for (const token of ['u1-f1-1', 'u1-f2-1']) {
          await expect(rotate(id(token), id(`${token}-next`), 60)).resolves.toMatchObject({
            status: 'revoked',
          });
        }
        expect(jtisOf(await store().revokeUser(id('user-U')))).toEqual(
          ids('u1-f1-1', 'u1-f1-2', 'u1-f2-1'),
        );
        await expect(rotate(id('v-2'), id('v-2-next'), 60)).resolves.toMatchObject({
          status: 'rotated',
        });
      });

      it('resolves [] for an unknown user', async () => {
        await expect(store().revokeUser(id('user-none'))).resolves.toEqual([]);
      });
    });

    describe('issue times (what a revocation lists)', () => {
      const at = 1_900_000_000; // the caller's clock, epoch seconds

      it("lists each token with its issue time: the caller's at register, the rotation time for a successor", async () => {
        await register('it-1', 'user-it', 'fam-it', 60, at);
        await rotate(id('it-1'), id('it-2'), 60, { nowSeconds: at + 30 });
        await rotate(id('it-2'), id('it-3'), 60, { nowSeconds: at + 60 });
        expect(byJti(await revokeFamily('fam-it', 'user-it'))).toEqual([
          { jti: id('it-1'), issuedAt: at },
          { jti: id('it-2'), issuedAt: at + 30 },
          { jti: id('it-3'), issuedAt: at + 60 },
        ]);
      });

      it("issues on the store's clock when the caller gives no time", async () => {
        const before = storeNowSeconds();
        await register('it-default', 'user-it-default', 'fam-it-default');
        const rotated = await rotate(id('it-default'), id('it-default-next'), 60);
        const after = storeNowSeconds();
        expect(rotated.status).toBe('rotated');
        const listed = byJti(await revokeFamily('fam-it-default', 'user-it-default'));
        expect(listed.map((t) => t.jti)).toEqual(ids('it-default', 'it-default-next'));
        for (const token of listed) {
          expect(token.issuedAt).toBeGreaterThanOrEqual(before - 1);
          expect(token.issuedAt).toBeLessThanOrEqual(after + 1);
        }
        const successor = listed.find((t) => t.jti === id('it-default-next'));
        expect(successor?.issuedAt).toBe((rotated as { issuedAt: number }).issuedAt);
      });

      it('lists only the tokens issued at or after issuedSince, and revokes them all', async () => {
        await register('since-1', 'user-since', 'fam-since', 60, at);
        await rotate(id('since-1'), id('since-2'), 60, { nowSeconds: at + 100 });
        await register('since-3', 'user-since', 'fam-since', 60, at + 200);
        expect(
          byJti(await revokeFamily('fam-since', 'user-since', { issuedSince: at + 100 })),
        ).toEqual([
          { jti: id('since-2'), issuedAt: at + 100 },
          { jti: id('since-3'), issuedAt: at + 200 },
        ]);
        for (const token of ['since-2', 'since-3']) {
          await expect(isValid(id(token))).resolves.toBe(false);
        }
        await expect(rotate(id('since-1'), id('since-1-next'), 60)).resolves.toMatchObject({
          status: 'revoked',
        });
        await register('since-4', 'user-since', 'fam-since-2', 60, at + 300);
        await expect(
          store().revokeUser(id('user-since'), { issuedSince: at + 250 }),
        ).resolves.toEqual([{ jti: id('since-4'), issuedAt: at + 300 }]);
        await expect(isValid(id('since-4'))).resolves.toBe(false);
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
        const { validAtFirst, since } = await suite.arranged();
        // exp-reg, then exp-rotated: both valid right after they were written.
        expect(validAtFirst).toEqual([true, true]);

        await letTimePass(handle!.time, clock, 1000, since);

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
        // Expired tokens are no longer kept: family revocation does not list them.
        await expect(revokeFamily('fam-exp-1', 'user-exp')).resolves.toEqual([]);
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

      it("resolves another user's revokeFamily of A's family to [] and leaves it valid", async () => {
        await register('own-fam', 'user-A', 'fam-own-fam');
        for (const other of strangers()) {
          await expect(store().revokeFamily(id('fam-own-fam'), other)).resolves.toEqual([]);
          await expect(store().revokeUser(other)).resolves.not.toContainEqual(
            expect.objectContaining({ jti: id('own-fam') }),
          );
        }
        await expect(isValid(id('own-fam'))).resolves.toBe(true);
        expect(jtisOf(await revokeFamily('fam-own-fam', 'user-A'))).toEqual(ids('own-fam'));
        await expect(isValid(id('own-fam'))).resolves.toBe(false);
      });

      it("revokes and lists only the given user's tokens of a family id two users share", async () => {
        await register('shared-A', 'user-A', 'fam-shared');
        await register('shared-B', 'user-B', 'fam-shared');
        await rotate(id('shared-B'), id('shared-B2'), 60); // B's rotated token must stay B's
        expect(jtisOf(await revokeFamily('fam-shared', 'user-A'))).toEqual(ids('shared-A'));
        await expect(isValid(id('shared-A'))).resolves.toBe(false);
        await expect(isValid(id('shared-B2'))).resolves.toBe(true);
        // B's rotated token was not touched: presented again it is still B's theft signal.
        await expect(rotate(id('shared-B'), id('shared-B3'), 60)).resolves.toEqual({
          status: 'reused',
          userId: id('user-B'),
          familyId: id('fam-shared'),
        });
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
            await expect(store().revokeFamily(familyOf(i), other)).resolves.toEqual([]);
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
        expect(jtisOf(await store().revokeFamily(`${prefix}a%b`, `${prefix}a%b`))).toEqual(
          [`${prefix}a%b`, `${prefix}next-0`].sort(),
        );
        expect(jtisOf(await store().revokeUser(`${prefix}a_b`))).toEqual(
          [`${prefix}a_b`, `${prefix}next-1`].sort(),
        );
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
