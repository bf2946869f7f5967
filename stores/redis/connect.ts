import { createClient, type RedisClientType } from 'redis';
import { revealSecret, type SecretValue } from '../../lib/core/settings/secret';
import type { Logger } from '../../lib/core/types';
import { connectionErrorListener } from '../connection-errors';

export interface RedisConnectionOptions {
  /** `redis://` or `rediss://` URL; wins over the REDIS_* fields. */
  url?: string | undefined;
  REDIS_HOST?: string | undefined;
  REDIS_PORT?: number | undefined;
  REDIS_USER?: string | undefined;
  REDIS_PASSWORD?: SecretValue | string | undefined;
  REDIS_SSL?: boolean | undefined;
  /** Connect timeout in ms. Default 2000. */
  connectTimeoutMs?: number | undefined;
  logger?: Logger | undefined;
}

/**
 * A node-redis client set up to fail fast: no offline queue (commands fail at once while
 * disconnected instead of piling up), a short connect timeout, reconnection with capped
 * backoff, and an `error` listener so a refused connection never crashes the process.
 * Call `await client.connect()` (it rejects when Redis is down; the client keeps retrying).
 */
export function createRedisClient(options: RedisConnectionOptions = {}): RedisClientType {
  const host = options.REDIS_HOST ?? '127.0.0.1';
  const port = options.REDIS_PORT ?? 6379;
  const client = createClient({
    url: options.url,
    username: options.url ? undefined : options.REDIS_USER,
    password: options.url ? undefined : revealSecret(options.REDIS_PASSWORD),
    disableOfflineQueue: true,
    socket: {
      ...(options.url ? {} : { host, port }),
      ...(options.REDIS_SSL ? { tls: true as const } : {}),
      connectTimeout: options.connectTimeoutMs ?? 2000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
    },
  }) as unknown as RedisClientType;
  client.on('error', connectionErrorListener('Redis', options.logger));
  return client;
}
