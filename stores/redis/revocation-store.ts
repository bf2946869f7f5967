import { ConfigurationError } from '../../lib/core/errors';
import type { RevocationStore } from '../../lib/security/store-contracts';
import { RedisScript, runRedis, type RedisLikeClient } from './client';
import { RedisRevocationCache } from './revocation-cache';

export interface RedisRevocationStoreOptions {
  client: RedisLikeClient;
  /** Key prefix; default `jwt:blacklist:` — the key the Python issuer writes and reads. */
  keyPrefix?: string | undefined;
}

const REVOKE = new RedisScript("redis.call('SET', KEYS[1], '1', 'EX', ARGV[1]) return 1");

/**
 * Access-token revocation in Redis, interoperable with the Python SDK: `jwt:blacklist:<jti>`
 * exists ⇒ revoked; it expires with the token (EX = remaining life). On a client whose
 * `clientSideCache` is a `RedisRevocationCache` (`createRedisClient({ clientCache })`), a jti
 * Redis said is not revoked is answered in the process until Redis reports a write of its key.
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #client: RedisLikeClient;
  readonly #prefix: string;
  readonly #cache: RedisRevocationCache | undefined;

  constructor(options: RedisRevocationStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? 'jwt:blacklist:';
    const cache = options.client.clientSideCache;
    if (cache instanceof RedisRevocationCache) {
      if (cache.keyPrefix !== this.#prefix) {
        throw new ConfigurationError(
          `RedisRevocationStore: the client's revocation cache tracks "${cache.keyPrefix}" but the store's keyPrefix is "${this.#prefix}"; give both the same prefix`,
        );
      }
      this.#cache = cache;
    }
  }

  async revoke(jti: string, ttlSeconds: number): Promise<void> {
    const ttl = Math.ceil(ttlSeconds);
    if (!(ttl > 0)) return; // already expired: nothing to remember
    await runRedis(() => REVOKE.run(this.#client, [this.#prefix + jti], [String(ttl)]));
    // Redis's own invalidation may trail the reply: this process knows already.
    this.#cache?.forget(jti);
  }

  async isRevoked(jti: string): Promise<boolean> {
    const count = await runRedis(() => this.#client.exists(this.#prefix + jti));
    return Number(count) > 0;
  }

  /** `false` when the revocation cache knows `jti` is not revoked; otherwise ask `isRevoked`. */
  isRevokedLocally(jti: string): boolean | undefined {
    return this.#cache?.knownNotRevoked(jti) === true ? false : undefined;
  }
}
