import type {
  RateLimitCount,
  RateLimitHit,
  RateLimitStore,
  RateLimitUndo,
} from '../../lib/security/store-contracts';
import { takenBack, windowSeconds } from '../rate-limit-fields';
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

/**
 * KEYS: counter. ARGV: hits to take back, or 'all'. DECRBY keeps the window (its TTL); a
 * counter that does not exist stays absent.
 */
const UNDO = new RedisScript(`
if ARGV[1] == 'all' then return redis.call('DEL', KEYS[1]) end
local count = tonumber(redis.call('GET', KEYS[1]))
if count == nil then return 0 end
local taken = math.min(count, tonumber(ARGV[1]))
if taken > 0 then redis.call('DECRBY', KEYS[1], taken) end
return taken`);

/**
 * Fixed-window counters in Redis, shared by every instance: one script per key. The scripts
 * of one `hitMany` or `undo` are sent in the same tick, which node-redis writes as one
 * pipeline: one round trip on a single node, one per node on a Cluster (whose keys of one
 * call may live on different slots, so no script takes several keys).
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: RedisLikeClient;
  readonly #prefix: string;

  constructor(options: RedisRateLimitStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? 'rl:';
  }

  hit(key: string, windowSeconds: number): Promise<RateLimitHit> {
    return runRedis(() => this.#hit({ key, windowSeconds }));
  }

  hitMany(counts: readonly RateLimitCount[]): Promise<RateLimitHit[]> {
    return runRedis(() => Promise.all(counts.map((count) => this.#hit(count))));
  }

  async undo(changes: readonly RateLimitUndo[]): Promise<void> {
    await runRedis(() =>
      Promise.all(
        changes.map(({ key, hits }) =>
          UNDO.run(
            this.#client,
            [this.#prefix + key],
            [hits === 'all' ? 'all' : String(takenBack(hits))],
          ),
        ),
      ),
    );
  }

  async #hit({ key, windowSeconds: seconds }: RateLimitCount): Promise<RateLimitHit> {
    const window = String(windowSeconds(seconds));
    const [count, ttl] = (await HIT.run(this.#client, [this.#prefix + key], [window])) as [
      number,
      number,
    ];
    return { count: Number(count), resetInSeconds: Math.max(1, Number(ttl)) };
  }
}
