import type { RevocationStore } from '../../lib/security/store-contracts';
import { RedisScript, runRedis, type RedisLikeClient } from './client';

export interface RedisRevocationStoreOptions {
  client: RedisLikeClient;
  /** Key prefix; default `jwt:blacklist:` — the key the Python issuer writes and reads. */
  keyPrefix?: string | undefined;
}

const REVOKE = new RedisScript("redis.call('SET', KEYS[1], '1', 'EX', ARGV[1]) return 1");

/**
 * Access-token revocation in Redis, interoperable with the Python SDK: `jwt:blacklist:<jti>`
 * exists ⇒ revoked; it expires with the token (EX = remaining life).
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #client: RedisLikeClient;
  readonly #prefix: string;

  constructor(options: RedisRevocationStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? 'jwt:blacklist:';
  }

  async revoke(jti: string, ttlSeconds: number): Promise<void> {
    const ttl = Math.ceil(ttlSeconds);
    if (!(ttl > 0)) return; // already expired: nothing to remember
    await runRedis(() => REVOKE.run(this.#client, [this.#prefix + jti], [String(ttl)]));
  }

  async isRevoked(jti: string): Promise<boolean> {
    const count = await runRedis(() => this.#client.exists(this.#prefix + jti));
    return Number(count) > 0;
  }
}
