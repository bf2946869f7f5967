/**
 * The `RateLimitStore` contract (memory, Redis single node and Cluster, PostgreSQL, MariaDB,
 * third-party): fixed windows, counted atomically, per key; several keys per call
 * (`hitMany`), hits taken back (`undo`). Expiry: a store that takes a clock is given the
 * suite's, which the suite advances; a store on its server's clock (`time: 'server'`) gets a
 * real wait (one short test, whose 1 s windows open in the file's setup when the file passes
 * `{ expiryFirst }`, so they end while the other tests run).
 */
import type { RateLimitStore } from '../../lib/security/store-contracts';
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

export interface RateLimitStoreHandle {
  store: RateLimitStore;
  /** Whose clock ends windows: the suite's (given to the factory) or the server's. */
  time: ContractTime;
  cleanup(): Promise<void>;
}

export interface RateLimitContractOptions {
  /** Open the expiry test's windows in the file's setup (stores on their server's clock). */
  expiryFirst?: ExpiryFirst;
}

export function describeRateLimitStore(
  name: string,
  factory: (clock: ContractClock) => Promise<RateLimitStoreHandle>,
  options: RateLimitContractOptions = {},
): void {
  describe(`RateLimitStore contract: ${name}`, () => {
    let handle: RateLimitStoreHandle | undefined;
    const clock = contractClock();
    const prefix = contractPrefix('rl');
    const store = (): RateLimitStore => handle!.store;
    // The expiry test's windows: two keys hit in 1 s windows.
    const suite = suiteStore(
      async () => (handle = await factory(clock)),
      async () => {
        await store().hit(`${prefix}w`, 1);
        await store().hitMany([
          { key: `${prefix}w`, windowSeconds: 1 },
          { key: `${prefix}w2`, windowSeconds: 1 },
        ]);
        return { since: Date.now() };
      },
      options.expiryFirst,
    );

    beforeAll(async () => {
      await suite.open();
    });
    afterAll(() => suite.close());

    it('counts hits of one key inside its window and reports when it ends', async () => {
      const first = await store().hit(`${prefix}a`, 60);
      expect(first).toEqual({ count: 1, resetInSeconds: expect.any(Number) });
      expect(first.resetInSeconds).toBeGreaterThan(55);
      expect(first.resetInSeconds).toBeLessThanOrEqual(60);
      await expect(store().hit(`${prefix}a`, 60)).resolves.toMatchObject({ count: 2 });
      await expect(store().hit(`${prefix}b`, 60)).resolves.toMatchObject({ count: 1 });
    });

    it('counts concurrent hits exactly', async () => {
      const hits = await Promise.all(
        Array.from({ length: 50 }, () => store().hit(`${prefix}race`, 60)),
      );
      expect(hits.map((h) => h.count).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
    });

    it('hitMany: one hit per key, each in its own window, answered in order', async () => {
      await store().hit(`${prefix}m-a`, 60);
      const hits = await store().hitMany([
        { key: `${prefix}m-a`, windowSeconds: 60 },
        { key: `${prefix}m-b`, windowSeconds: 10 },
        { key: `${prefix}m-c`, windowSeconds: 300 },
      ]);
      expect(hits.map((h) => h.count)).toEqual([2, 1, 1]);
      expect(hits[0]!.resetInSeconds).toBeGreaterThan(55);
      expect(hits[0]!.resetInSeconds).toBeLessThanOrEqual(60);
      expect(hits[1]!.resetInSeconds).toBeGreaterThan(5);
      expect(hits[1]!.resetInSeconds).toBeLessThanOrEqual(10);
      expect(hits[2]!.resetInSeconds).toBeGreaterThan(295);
      expect(hits[2]!.resetInSeconds).toBeLessThanOrEqual(300);
      await expect(store().hitMany([])).resolves.toEqual([]);
    });

    it('hitMany: a key given twice is hit twice, the second answer counting both', async () => {
      const hits = await store().hitMany([
        { key: `${prefix}twice`, windowSeconds: 60 },
        { key: `${prefix}once`, windowSeconds: 60 },
        { key: `${prefix}twice`, windowSeconds: 60 },
      ]);
      expect(hits.map((h) => h.count)).toEqual([1, 1, 2]);
      await expect(store().hit(`${prefix}twice`, 60)).resolves.toMatchObject({ count: 3 });
    });

    it('counts keys that trip naive stores, and a key of 1,000 characters', async () => {
      const keys = [...weirdIds(`${prefix}k`), `${prefix}`.padEnd(1000, 'k')];
      const first = await store().hitMany(keys.map((key) => ({ key, windowSeconds: 60 })));
      expect(first.map((h) => h.count)).toEqual(keys.map(() => 1));
      const second = await store().hitMany(keys.map((key) => ({ key, windowSeconds: 60 })));
      expect(second.map((h) => h.count)).toEqual(keys.map(() => 2));
    });

    it('undo takes n hits back, never below 0, and the window goes on', async () => {
      for (let i = 0; i < 3; i++) await store().hit(`${prefix}u`, 60);
      await store().undo([{ key: `${prefix}u`, hits: 2 }]);
      await expect(store().hit(`${prefix}u`, 60)).resolves.toMatchObject({ count: 2 });
      await store().undo([{ key: `${prefix}u`, hits: 10 }]);
      // Back to 0 in the same window: a shorter window asked for now does not replace it.
      const next = await store().hit(`${prefix}u`, 5);
      expect(next.count).toBe(1);
      expect(next.resetInSeconds).toBeGreaterThan(5);
      await store().undo([{ key: `${prefix}u`, hits: -4 }]); // never adds hits
      await expect(store().hit(`${prefix}u`, 60)).resolves.toMatchObject({ count: 2 });
    });

    it("undo 'all' forgets the window; several keys in one call; unknown keys stay unknown", async () => {
      for (let i = 0; i < 3; i++) {
        await store().hitMany([
          { key: `${prefix}all`, windowSeconds: 60 },
          { key: `${prefix}some`, windowSeconds: 60 },
        ]);
      }
      await store().undo([
        { key: `${prefix}all`, hits: 'all' },
        { key: `${prefix}some`, hits: 1 },
        { key: `${prefix}none`, hits: 1 },
        { key: `${prefix}none-either`, hits: 'all' },
      ]);
      const [all, some, none] = await store().hitMany([
        { key: `${prefix}all`, windowSeconds: 5 },
        { key: `${prefix}some`, windowSeconds: 5 },
        { key: `${prefix}none`, windowSeconds: 5 },
      ]);
      expect(all).toMatchObject({ count: 1 });
      expect(all!.resetInSeconds).toBeLessThanOrEqual(5); // a new window
      expect(some).toMatchObject({ count: 3 });
      expect(some!.resetInSeconds).toBeGreaterThan(5); // the old one goes on
      expect(none).toMatchObject({ count: 1 });
      await expect(store().undo([])).resolves.toBeUndefined();
    });

    it('counts concurrent hitMany calls exactly, keys given in either order', async () => {
      const [x, y] = [`${prefix}cx`, `${prefix}cy`];
      const calls = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store().hitMany(
            (i % 2 === 0 ? [x, y] : [y, x]).map((key) => ({ key, windowSeconds: 60 })),
          ),
        ),
      );
      const countsOf = (key: string): number[] =>
        calls
          .map((hits, i) => hits[(i % 2 === 0) === (key === x) ? 0 : 1]!.count)
          .sort((a, b) => a - b);
      const oneToFifty = Array.from({ length: 50 }, (_, i) => i + 1);
      expect(countsOf(x)).toEqual(oneToFifty);
      expect(countsOf(y)).toEqual(oneToFifty);
    });

    it('starts a new window after the old one ends', async () => {
      const { since } = await suite.arranged();
      await letTimePass(handle!.time, clock, 2000, since);
      const [w, w2] = await store().hitMany([
        { key: `${prefix}w`, windowSeconds: 60 },
        { key: `${prefix}w2`, windowSeconds: 60 },
      ]);
      expect(w).toMatchObject({ count: 1 });
      expect(w!.resetInSeconds).toBeGreaterThan(55); // the new window is the new call's
      expect(w2).toMatchObject({ count: 1 });
      await expect(store().hit(`${prefix}w`, 60)).resolves.toMatchObject({ count: 2 });
    });
  });
}
