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
  /** The whole token: a hit must be this very string, not only its key. */
  token: string;
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
 * The map's key is the token's last characters (its signature's end: random for every token
 * a key signed), so a lookup hashes 32 characters, not the whole token; the entry holds the
 * whole token and only that exact string is answered from it.
 */
const KEY_CHARS = 32;

const keyOf = (token: string): string => token.slice(-KEY_CHARS);

/**
 * Remembers tokens that passed signature, claim and payload checks, by the exact token
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
    const key = keyOf(token);
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.token !== token) return undefined;
    if (nowMs >= entry.validUntil) {
      this.#entries.delete(key);
      return undefined;
    }
    // Refresh recency (Map keeps insertion order: the first key is the least recent).
    if (nowMs - entry.promotedAt >= PROMOTE_EVERY_MS) {
      entry.promotedAt = nowMs;
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry.claims;
  }

  /** Remember `claims` for `token`; tokens without `exp` are never cached. */
  set(token: string, claims: TokenUserData, nowMs: number): void {
    if (claims.exp === null) return;
    const validUntil = Math.min(claims.exp * 1000, nowMs + this.maxAgeMs);
    if (validUntil <= nowMs) return;
    const key = keyOf(token);
    if (this.#entries.size >= this.maxEntries && !this.#entries.has(key)) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { token, claims, validUntil, promotedAt: nowMs });
  }

  clear(): void {
    this.#entries.clear();
  }
}
