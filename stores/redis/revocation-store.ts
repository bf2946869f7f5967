import type { RevocationStore } from '../../lib/security/stores';
import { RedisScript, runRedis, type RedisLikeClient } from './client';

export interface RedisRevocationStoreOptions {
  client: RedisLikeClient;
  /** Key prefix; default `jwt:blacklist:` — the key the Python issuer writes and reads. */
  keyPrefix?: string;
  /** Upper bound of one Redis call, in ms. Default 500. */
  commandTimeoutMs?: number;
}

const REVOKE = new RedisScript("redis.call('SET', KEYS[1], '1', 'EX', ARGV[1]) return 1");

/**
 * Access-token revocation in Redis, interoperable with the Python SDK: `jwt:blacklist:<jti>`
 * exists ⇒ revoked; it expires with the token (EX = remaining life).
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #client: RedisLikeClient;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(options: RedisRevocationStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? 'jwt:blacklist:';
    this.#timeoutMs = options.commandTimeoutMs ?? 500;
  }

  async revoke(jti: string, ttlSeconds: number): Promise<void> {
    const ttl = Math.ceil(ttlSeconds);
    if (!(ttl > 0)) return; // already expired: nothing to remember
    await runRedis(
      () => REVOKE.run(this.#client, [this.#prefix + jti], [String(ttl)]),
      this.#timeoutMs,
    );
  }

  async isRevoked(jti: string): Promise<boolean> {
    const count = await runRedis(() => this.#client.exists(this.#prefix + jti), this.#timeoutMs);
    return Number(count) > 0;
  }
}
