/**
 * The `RateLimitStore` contract (memory, redis, third-party): fixed windows, counted
 * atomically, per key.
 */
import type { RateLimitStore } from '../../lib/security/store-contracts';
import { contractPrefix } from './contract-helpers';

export interface RateLimitStoreHandle {
  store: RateLimitStore;
  /** Moves the store's time forward (a clock for memory, a real wait for servers). */
  pass(seconds: number): Promise<void>;
  cleanup(): Promise<void>;
}

export function describeRateLimitStore(
  name: string,
  factory: () => Promise<RateLimitStoreHandle>,
): void {
  describe(`RateLimitStore contract: ${name}`, () => {
    let handle: RateLimitStoreHandle | undefined;
    const prefix = contractPrefix('rl');
    const store = (): RateLimitStore => handle!.store;

    beforeAll(async () => {
      handle = await factory();
    });
    afterAll(async () => {
      await handle?.cleanup();
    });

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

    it('starts a new window after the old one ends', async () => {
      await store().hit(`${prefix}w`, 1);
      await store().hit(`${prefix}w`, 1);
      await handle!.pass(2);
      await expect(store().hit(`${prefix}w`, 1)).resolves.toMatchObject({ count: 1 });
    });
  });
}
