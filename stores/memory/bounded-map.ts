import { ConfigurationError } from '../../lib/core/errors';

/** Milliseconds since the epoch, like `Date.now` (injectable for tests). */
export type Clock = () => number;

export interface Expiring {
  /** Absolute expiry in clock milliseconds; the entry is gone once `clock() >= expiresAt`. */
  expiresAt: number;
}

/**
 * A `Map` with a size bound and per-entry expiry, the storage of the memory stores. When full
 * it drops expired entries first, then the oldest inserted ones. Expired entries are also
 * dropped lazily on read, so no timer keeps the process alive.
 */
export class BoundedExpiringMap<V extends Expiring> {
  readonly #entries = new Map<string, V>();
  readonly #maxEntries: number;
  readonly #clock: Clock;
  readonly #onRemove: ((key: string, value: V) => void) | undefined;
  /** A lower bound of every entry's expiry: before it, a sweep cannot free anything. */
  #nextExpiryAt = Number.POSITIVE_INFINITY;
  /** When the last full sweep ran: at most one per second, or a full map under rolling expiry sweeps on every insert. */
  #lastSweepAt = Number.NEGATIVE_INFINITY;
  #evictions = 0;

  constructor(options: {
    maxEntries: number;
    clock: Clock;
    onRemove?: (key: string, value: V) => void;
    name: string;
  }) {
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new ConfigurationError(
        `${options.name}: maxEntries must be a positive integer, got ${String(options.maxEntries)}`,
      );
    }
    this.#maxEntries = options.maxEntries;
    this.#clock = options.clock;
    this.#onRemove = options.onRemove;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Live (non-expired) entries dropped to make room since construction. */
  get evictions(): number {
    return this.#evictions;
  }

  now(): number {
    return this.#clock();
  }

  /** The live entry for `key`; an expired one is removed and reported as absent. */
  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    if (this.#clock() >= value.expiresAt) {
      this.delete(key);
      return undefined;
    }
    return value;
  }

  /** Insert or replace `key`, making room first when the map is full. */
  set(key: string, value: V): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) {
      this.delete(key);
    } else {
      this.#makeRoom();
    }
    this.#entries.set(key, value);
    if (value.expiresAt < this.#nextExpiryAt) this.#nextExpiryAt = value.expiresAt;
  }

  delete(key: string): void {
    const value = this.#entries.get(key);
    if (value === undefined) return;
    this.#entries.delete(key);
    this.#onRemove?.(key, value);
  }

  #makeRoom(): void {
    if (this.#entries.size < this.#maxEntries) return;
    const now = this.#clock();
    if (now >= this.#nextExpiryAt && now - this.#lastSweepAt >= 1000) this.#sweepExpired();
    // Map iteration order is insertion order, so the first key is the oldest entry.
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
      this.#evictions += 1;
    }
  }

  #sweepExpired(): void {
    const now = this.#clock();
    this.#lastSweepAt = now;
    let next = Number.POSITIVE_INFINITY;
    for (const [key, value] of this.#entries) {
      if (now >= value.expiresAt) this.delete(key);
      else if (value.expiresAt < next) next = value.expiresAt;
    }
    this.#nextExpiryAt = next;
  }
}

/** `ttlSeconds` as an absolute expiry, rejecting values no store could honour. */
export function expiryFromTtl(now: number, ttlSeconds: number, what: string): number {
  if (typeof ttlSeconds !== 'number' || Number.isNaN(ttlSeconds)) {
    throw new TypeError(`${what}: ttlSeconds must be a number of seconds`);
  }
  return now + ttlSeconds * 1000;
}
