/**
 * The few Redis calls the stores make, as a structural type: a node-redis v5 client, a
 * node-redis cluster, or anything else that answers them (no `any`, no hard dependency).
 * Every call goes through `runRedis`, which bounds its time and turns any failure into a
 * `StoreUnavailableError`, so a down or hung Redis never hangs a request.
 */
import { createHash } from 'node:crypto';
import { isAuthError, StoreUnavailableError } from '../../lib/core/errors';
import { withTimeout } from '../../lib/core/store-errors';

export interface ScriptOptions {
  keys: string[];
  arguments: string[];
}

export interface RedisLikeClient {
  eval(script: string, options: ScriptOptions): Promise<unknown>;
  evalSha(sha1: string, options: ScriptOptions): Promise<unknown>;
  exists(key: string): Promise<number>;
  get(key: string): Promise<string | null | unknown>;
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

/** Run one store operation with a time bound; every failure becomes StoreUnavailableError. */
export async function runRedis<T>(operation: () => Promise<T>, timeoutMs: number): Promise<T> {
  try {
    return await withTimeout(operation(), timeoutMs, 'redis');
  } catch (err) {
    if (isAuthError(err)) throw err;
    throw new StoreUnavailableError('Redis is unavailable', 'redis', { cause: err });
  }
}
