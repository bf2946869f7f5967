import type { RateLimitHit, RateLimitStore } from '../../lib/security/store-contracts';
import { RedisScript, runRedis, type RedisLikeClient } from './client';

export interface RedisRateLimitStoreOptions {
  client: RedisLikeClient;
  /** Key prefix. Default `rl:`. */
  keyPrefix?: string | undefined;
}

/** KEYS: counter. ARGV: window seconds. → {count, ttl}. The first hit opens the window. */
const HIT = new RedisScript(`
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`);

/** Fixed-window counters in Redis, shared by every instance (one script per hit). */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: RedisLikeClient;
  readonly #prefix: string;

  constructor(options: RedisRateLimitStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? 'rl:';
  }

  hit(key: string, windowSeconds: number): Promise<RateLimitHit> {
    const window = String(Math.max(1, Math.ceil(windowSeconds)));
    return runRedis(async () => {
      const [count, ttl] = (await HIT.run(this.#client, [this.#prefix + key], [window])) as [
        number,
        number,
      ];
      return { count: Number(count), resetInSeconds: Math.max(1, Number(ttl)) };
    });
  }
}
