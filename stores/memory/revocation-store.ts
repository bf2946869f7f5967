import type { RevocationStore } from '../../lib/security/store-contracts';
import { BoundedExpiringMap, expiryFromTtl, type Clock } from './bounded-map';

export interface MemoryRevocationStoreOptions {
  /** Most revocations kept at once (default 100 000). When full, expired ones go first, then the oldest. */
  maxEntries?: number | undefined;
  /** Milliseconds since the epoch (default `Date.now`); injectable for tests. */
  clock?: Clock | undefined;
}

/**
 * Access-token revocation (JTI blacklist) held in this process: exact and fast, but seen only
 * by this process and lost on restart. Use it for one instance, tests and the example
 * service; a fleet needs the Redis store (the Python issuer writes `jwt:blacklist:<jti>`).
 *
 * Security note: the bound protects memory; if more than `maxEntries` tokens are revoked within
 * one access-token lifetime, the oldest revocations are forgotten early (`evictions` counts them).
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly #entries: BoundedExpiringMap<{ expiresAt: number }>;

  constructor(options: MemoryRevocationStoreOptions = {}) {
    this.#entries = new BoundedExpiringMap({
      name: 'MemoryRevocationStore',
      maxEntries: options.maxEntries ?? 100_000,
      clock: options.clock ?? Date.now,
    });
  }

  /** Revocations currently held (expired ones may linger until read or swept). */
  get size(): number {
    return this.#entries.size;
  }

  /** Unexpired revocations dropped because the store was full. */
  get evictions(): number {
    return this.#entries.evictions;
  }

  async revoke(jti: string, ttlSeconds: number): Promise<void> {
    const expiresAt = expiryFromTtl(this.#entries.now(), ttlSeconds, 'revoke');
    if (ttlSeconds <= 0) return; // already expired: nothing to remember
    const current = this.#entries.get(jti);
    // Revoking twice never shortens a revocation.
    if (current !== undefined && current.expiresAt >= expiresAt) return;
    this.#entries.set(jti, { expiresAt });
  }

  async isRevoked(jti: string): Promise<boolean> {
    return this.#entries.get(jti) !== undefined;
  }
}
