import type {
  RateLimitCount,
  RateLimitHit,
  RateLimitStore,
  RateLimitUndo,
} from '../../lib/security/store-contracts';
import { takenBack } from '../rate-limit-fields';
import { BoundedExpiringMap, type Clock } from './bounded-map';

export interface MemoryRateLimitStoreOptions {
  /** Most keys counted at once (default 100 000). When full, expired windows go first, then the oldest. */
  maxEntries?: number | undefined;
  /** Milliseconds since the epoch (default `Date.now`); injectable for tests. */
  clock?: Clock | undefined;
}

/** Fixed-window counters held in this process (one instance, tests, the example service). */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows: BoundedExpiringMap<{ count: number; expiresAt: number }>;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.#windows = new BoundedExpiringMap({
      name: 'MemoryRateLimitStore',
      maxEntries: options.maxEntries ?? 100_000,
      clock: options.clock ?? Date.now,
    });
  }

  async hit(key: string, windowSeconds: number): Promise<RateLimitHit> {
    return this.#hit(key, windowSeconds);
  }

  async hitMany(counts: readonly RateLimitCount[]): Promise<RateLimitHit[]> {
    return counts.map(({ key, windowSeconds }) => this.#hit(key, windowSeconds));
  }

  async undo(changes: readonly RateLimitUndo[]): Promise<void> {
    for (const { key, hits } of changes) {
      const window = this.#windows.get(key);
      if (window === undefined) continue;
      if (hits === 'all') this.#windows.delete(key);
      else window.count = Math.max(0, window.count - takenBack(hits));
    }
  }

  #hit(key: string, windowSeconds: number): RateLimitHit {
    const now = this.#windows.now();
    let window = this.#windows.get(key);
    if (window === undefined) {
      window = { count: 0, expiresAt: now + Math.max(1, windowSeconds) * 1000 };
      this.#windows.set(key, window);
    }
    window.count += 1;
    return {
      count: window.count,
      resetInSeconds: Math.max(1, Math.ceil((window.expiresAt - now) / 1000)),
    };
  }
}
