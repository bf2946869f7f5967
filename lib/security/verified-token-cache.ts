import type { TokenUserData } from '../core/types';

export interface VerifiedTokenCacheOptions {
  /** Most entries kept; the least recently used (to within a second) goes first. Default 10 000. */
  maxEntries?: number;
  /**
   * Longest an entry is trusted, in seconds, whatever the token's `exp` (bounds how long a
   * key removed from a JWKS keeps validating cached tokens). Default 60.
   */
  maxAgeSeconds?: number;
}

interface Entry {
  claims: TokenUserData;
  /** Epoch ms after which the entry is ignored. */
  validUntil: number;
  /** Epoch ms of its last move to the recent end. */
  promotedAt: number;
}

/**
 * A hit moves its entry to the recent end at most this often: a hot token is not re-inserted
 * (its key hashed twice more) on every request, and the order stays close to true LRU.
 */
const PROMOTE_EVERY_MS = 1000;

/**
 * Remembers tokens that passed signature, claim and payload checks, keyed by the token
 * string. Only successes are stored; an entry never outlives the token's `exp` (nor
 * `maxAgeSeconds`). Revocation is NOT cached: the policy checks it on every request.
 *
 * Memory bound: about maxEntries × (token length + ~0.5 KiB of claims), e.g. ~9 MiB for
 * 10 000 entries of 400-character tokens.
 */
export class VerifiedTokenCache {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: VerifiedTokenCacheOptions = {}) {
    this.maxEntries = Math.max(1, Math.floor(options.maxEntries ?? 10_000));
    this.maxAgeMs = Math.max(0, (options.maxAgeSeconds ?? 60) * 1000);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached claims of `token` if still good at `nowMs`. */
  get(token: string, nowMs: number): TokenUserData | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.validUntil) {
      this.#entries.delete(token);
      return undefined;
    }
    // Refresh recency (Map keeps insertion order: the first key is the least recent).
    if (nowMs - entry.promotedAt >= PROMOTE_EVERY_MS) {
      entry.promotedAt = nowMs;
      this.#entries.delete(token);
      this.#entries.set(token, entry);
    }
    return entry.claims;
  }

  /** Remember `claims` for `token`; tokens without `exp` are never cached. */
  set(token: string, claims: TokenUserData, nowMs: number): void {
    if (claims.exp === null) return;
    const validUntil = Math.min(claims.exp * 1000, nowMs + this.maxAgeMs);
    if (validUntil <= nowMs) return;
    if (this.#entries.size >= this.maxEntries && !this.#entries.has(token)) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(token, { claims, validUntil, promotedAt: nowMs });
  }

  clear(): void {
    this.#entries.clear();
  }
}
