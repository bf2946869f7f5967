/**
 * `JwksKeyResolver`: keys from an issuer's JWKS endpoint, with the Python SDK's semantics
 * (TTL cache, one refresh on an unknown `kid`, at most one fetch per cooldown, stale keys
 * served when a refresh fails, non-`sig` keys skipped, http/https only) plus what it lacked:
 * one fetch in flight, a timeout and a size cap, a bad key skipped instead of failing the
 * set, and an outage with no keys reported as "cannot decide" (503), not as a bad token.
 *
 * Stale-while-revalidate: a cached `kid` is answered at once, even past the TTL; the refresh
 * runs in the background, started by the first request after 85% of the TTL. Only a `kid`
 * the cache does not hold waits for a fetch, and a fetch never outlives `timeoutMs`.
 *
 * Why not jwks-rsa: v4 is ESM-only, caches per `kid` without stale-if-error by default, and
 * sends its errors down the same path as invalid tokens.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ConfigurationError, StoreUnavailableError } from '../../core/errors';
import type { Logger } from '../../core/types';
import { callHook } from '../hooks';
import { prepareKey } from '../jws';
import { traceJwksFetch } from '../tracing';
import type { KeyResolver, TokenSecret, ValidationHooks } from '../types';

export interface JwksKeyResolverOptions {
  /** The JWKS URL (env JWKS_URI); http or https only. */
  uri: string;
  /** Keys are accepted only if they fit it (RSA ≥ 2048 for RS256, EC P-256 for ES256). */
  algorithm: 'RS256' | 'ES256';
  /** How long a fetched set is fresh, in seconds (env JWKS_CACHE_TTL_SECONDS). Default 300. */
  cacheTtlSeconds?: number | undefined;
  /** At most one fetch per this many seconds; also how long an unknown kid stays unknown. Default 10. */
  cooldownSeconds?: number | undefined;
  /** Fetch timeout (headers and body) in ms. Default 5000. */
  timeoutMs?: number | undefined;
  /** Largest JWKS body accepted, in bytes. Default 1 MiB. */
  maxResponseBytes?: number | undefined;
  hooks?: ValidationHooks | undefined;
  logger?: Logger | undefined;
  /** Injectable fetch (default the global one). */
  fetch?: typeof globalThis.fetch | undefined;
  /** Monotonic clock in ms (default `performance.now`). */
  clock?: (() => number) | undefined;
}

interface KeySet {
  byKid: Map<string, TokenSecret>;
  withoutKid: TokenSecret | undefined;
  count: number;
}

const EMPTY: KeySet = { byKid: new Map(), withoutKid: undefined, count: 0 };

/** Share of the TTL after which a request starts a background refresh. */
const REFRESH_AHEAD = 0.85;

export class JwksKeyResolver implements KeyResolver {
  readonly uri: string;
  readonly algorithm: 'RS256' | 'ES256';
  readonly #ttlMs: number;
  readonly #cooldownMs: number;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #hooks: ValidationHooks | undefined;
  readonly #logger: Logger | undefined;
  readonly #fetch: typeof globalThis.fetch;
  readonly #clock: () => number;
  #keys: KeySet = EMPTY;
  #expiresAt = -Infinity;
  #refreshAt = -Infinity;
  // performance.now() starts near 0: "never" must be -Infinity, or the first cooldown
  // window of the process would skip every fetch (the Python 0.0 trick does not port).
  #lastAttempt = -Infinity;
  #lastFailure: unknown = undefined;
  #inFlight: Promise<void> | undefined;

  constructor(options: JwksKeyResolverOptions) {
    let scheme: string;
    try {
      scheme = new URL(options.uri).protocol;
    } catch {
      scheme = '';
    }
    if (scheme !== 'http:' && scheme !== 'https:') {
      throw new ConfigurationError(
        `JWKS URI must use http or https scheme, got: '${String(options.uri)}'`,
      );
    }
    if (options.algorithm !== 'RS256' && options.algorithm !== 'ES256') {
      throw new ConfigurationError(
        `JwksKeyResolver needs RS256 or ES256, got ${String(options.algorithm)}`,
      );
    }
    this.uri = options.uri;
    this.algorithm = options.algorithm;
    this.#ttlMs = (options.cacheTtlSeconds ?? 300) * 1000;
    this.#cooldownMs = (options.cooldownSeconds ?? 10) * 1000;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxBytes = options.maxResponseBytes ?? 1024 * 1024;
    this.#hooks = options.hooks;
    this.#logger = options.logger;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** True while the last fetched set is within its TTL. */
  get fresh(): boolean {
    return this.#clock() < this.#expiresAt;
  }

  /** True while a new fetch would be refused by the cooldown. */
  get coolingDown(): boolean {
    return this.#clock() - this.#lastAttempt < this.#cooldownMs;
  }

  /** How many usable keys are cached. */
  get size(): number {
    return this.#keys.count;
  }

  /**
   * The key for `kid`, or undefined when the set has none (→ 401). Rejects with
   * `StoreUnavailableError` only when no key was ever obtained and the server cannot answer.
   */
  async resolve(kid: string | undefined): Promise<TokenSecret | undefined> {
    const now = this.#clock();
    const cached = this.#lookup(kid);
    if (cached !== undefined) {
      // A known kid never waits on the key server, even past the TTL.
      if (now >= this.#refreshAt) this.#refreshInBackground();
      return cached;
    }
    // Unknown kid: maybe a rotation, or nothing cached yet. This one request waits for a
    // fetch (at most timeoutMs, the fetch's own deadline), within the cooldown.
    await this.#guardedRefresh();
    return now >= this.#expiresAt ? this.#lookupOrThrow(kid) : this.#lookup(kid);
  }

  /** Fetch now unless a fetch is running or the cooldown forbids it. */
  refresh(): Promise<void> {
    return this.#guardedRefresh();
  }

  /**
   * Fetch once at start so the first requests find keys. Never rejects: resolves true when
   * keys are cached afterwards, false when the server failed or did not answer in time.
   */
  async warm(): Promise<boolean> {
    try {
      await this.#guardedRefresh();
    } catch {
      // #refreshOnce reports its own failures; nothing else may reach the caller.
    }
    const warmed = this.#keys.count > 0;
    // A key server that is not up yet at start must not cost the first requests a cooldown.
    if (!warmed) this.#lastAttempt = -Infinity;
    return warmed;
  }

  #refreshInBackground(): void {
    this.#guardedRefresh().catch((err: unknown) => {
      this.#logger?.warn(`JWKS background refresh failed: ${String(err)}`);
    });
  }

  #lookup(kid: string | undefined): TokenSecret | undefined {
    const keys = this.#keys;
    if (kid !== undefined) return keys.byKid.get(kid);
    if (keys.withoutKid !== undefined) return keys.withoutKid;
    // A token without kid against a one-key set: that key is the only candidate.
    return keys.count === 1 ? keys.byKid.values().next().value : undefined;
  }

  #lookupOrThrow(kid: string | undefined): TokenSecret | undefined {
    if (this.#keys.count === 0 && this.#lastFailure !== undefined) {
      throw new StoreUnavailableError('Key server unavailable', 'jwks', {
        cause: this.#lastFailure,
        retryAfterSeconds: Math.ceil(this.#cooldownMs / 1000),
      });
    }
    return this.#lookup(kid);
  }

  #guardedRefresh(): Promise<void> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    const now = this.#clock();
    if (now - this.#lastAttempt < this.#cooldownMs) return Promise.resolve();
    this.#lastAttempt = now;
    this.#inFlight = traceJwksFetch(this.uri, () => this.#refreshOnce()).finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #refreshOnce(): Promise<void> {
    let keys: KeySet;
    try {
      keys = this.#toKeySet(await this.#fetchDocument());
    } catch (err) {
      this.#lastFailure = err;
      const reason = (err as Error)?.message ?? String(err);
      if (this.#keys.count > 0) {
        callHook(this.#hooks, 'onJwksFetch', { result: 'stale', uri: this.uri }, this.#logger);
        this.#logger?.warn(
          `JWKS refresh failed (${reason}); serving stale cache until next attempt in ${Math.round(this.#cooldownMs / 1000)}s.`,
        );
      } else {
        callHook(this.#hooks, 'onJwksFetch', { result: 'failure', uri: this.uri }, this.#logger);
        this.#logger?.warn(`JWKS fetch failed (${reason}); no keys cached yet.`);
      }
      return;
    }
    this.#keys = keys;
    this.#lastFailure = undefined;
    const fetchedAt = this.#clock();
    this.#expiresAt = fetchedAt + this.#ttlMs;
    this.#refreshAt = fetchedAt + this.#ttlMs * REFRESH_AHEAD;
    callHook(this.#hooks, 'onJwksFetch', { result: 'success', uri: this.uri }, this.#logger);
  }

  async #fetchDocument(): Promise<unknown> {
    const response = await this.#fetch(this.uri, {
      redirect: 'manual',
      signal: AbortSignal.timeout(this.#timeoutMs),
      headers: { accept: 'application/json' },
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`JWKS endpoint answered HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length'));
    if (declared > this.#maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`JWKS response exceeds ${this.#maxBytes} byte cap`);
    }
    const text = await readCapped(response, this.#maxBytes);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error('JWKS response is not JSON');
    }
  }

  #toKeySet(document: unknown): KeySet {
    if (document === null || typeof document !== 'object' || Array.isArray(document)) {
      throw new Error('JWKS document is not an object');
    }
    const entries = (document as { keys?: unknown }).keys;
    if (!Array.isArray(entries)) throw new Error('JWKS document has no keys array');
    const byKid = new Map<string, TokenSecret>();
    let withoutKid: TokenSecret | undefined;
    let count = 0;
    for (const entry of entries) {
      const imported = this.#importKey(entry);
      if (imported === undefined) continue;
      const { kid, secret } = imported;
      if (kid === undefined) {
        if (withoutKid === undefined) {
          withoutKid = secret;
          count += 1;
        }
      } else if (!byKid.has(kid)) {
        byKid.set(kid, secret);
        count += 1;
      }
    }
    if (count === 0 && entries.length > 0) {
      throw new Error(`JWKS has no usable ${this.algorithm} signing key`);
    }
    return { byKid, withoutKid, count };
  }

  /** One JWK → a verification key, or undefined (skipped, with the reason logged). */
  #importKey(entry: unknown): { kid: string | undefined; secret: TokenSecret } | undefined {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
    const jwk = entry as Record<string, unknown>;
    const kid = jwk.kid;
    const skip = (why: string): undefined => {
      this.#logger?.warn(`JWKS key ${JSON.stringify(kid ?? null)} skipped: ${why}`);
      return undefined;
    };
    if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
    if (kid !== undefined && typeof kid !== 'string') return skip('kid is not a string');
    if (jwk.alg !== undefined && jwk.alg !== this.algorithm) return skip(`alg ${String(jwk.alg)}`);
    if ('d' in jwk) return skip('it carries private key material');
    const expectedKty = this.algorithm === 'RS256' ? 'RSA' : 'EC';
    if (jwk.kty !== expectedKty)
      return skip(`kty ${String(jwk.kty)} does not fit ${this.algorithm}`);
    try {
      const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      const secret: TokenSecret = { key, algorithm: this.algorithm };
      prepareKey(secret, 'verify'); // size and curve rules
      return { kid, secret: Object.freeze(secret) };
    } catch (err) {
      return skip((err as Error).message);
    }
  }
}

async function readCapped(response: Response, cap: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`JWKS response exceeds ${cap} byte cap`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
