/**
 * The few Redis calls the stores make, as a structural type: a node-redis v5 client, a
 * node-redis cluster, or anything else that answers them (no `any`, no hard dependency).
 * Every call goes through `runRedis`, which turns any failure into a `StoreUnavailableError`
 * that says why; the caller's `StoreGuard` bounds its time.
 */
import { createHash } from 'node:crypto';
import { storeFailure } from '../../lib/core/store-errors';

export interface ScriptOptions {
  keys: string[];
  arguments: string[];
}

export interface RedisLikeClient {
  eval(script: string, options: ScriptOptions): Promise<unknown>;
  evalSha(sha1: string, options: ScriptOptions): Promise<unknown>;
  exists(key: string): Promise<number>;
  get(key: string): Promise<string | null | unknown>;
  /** node-redis's client-side cache, when the client has one (a `RedisRevocationCache`). */
  readonly clientSideCache?: unknown;
}

/** A Lua script run by EVALSHA, falling back to EVAL after a restart or SCRIPT FLUSH. */
export class RedisScript {
  readonly sha1: string;

  constructor(readonly source: string) {
    this.sha1 = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisLikeClient, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await client.evalSha(this.sha1, { keys, arguments: args });
    } catch (err) {
      if (!String((err as Error)?.message ?? err).includes('NOSCRIPT')) throw err;
      return client.eval(this.source, { keys, arguments: args });
    }
  }
}

/**
 * Run one store operation; every failure becomes `StoreUnavailableError` naming the driver's
 * reason. No time bound here: the caller's `StoreGuard` owns timeouts and the breaker.
 */
export async function runRedis<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw storeFailure('redis', err);
  }
}
