import { createClient, type RedisClientType, type RedisDefaultModules } from 'redis';
import { revealSecret, type SecretValue } from '../../lib/core/settings/secret';
import type { Logger } from '../../lib/core/types';
import { connectionErrorListener } from '../connection-errors';
import { RedisRevocationCache, type RedisRevocationCacheOptions } from './revocation-cache';

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
  /**
   * Answer revocation checks in the process, kept exact by Redis (RESP3 client tracking): a
   * jti checked once costs no command until its `jwt:blacklist:<jti>` key is written. Options
   * or a `RedisRevocationCache`; the client then speaks RESP3 and PINGs every
   * `pingIntervalMs`. Off by default.
   */
  clientCache?: RedisRevocationCacheOptions | RedisRevocationCache | undefined;
}

/** A RESP3 client with the revocation cache (`clientCache`) as its `clientSideCache`. */
export type RedisTrackingClient = RedisClientType<
  RedisDefaultModules,
  Record<never, never>,
  Record<never, never>,
  3
>;

/**
 * A node-redis client set up to fail fast: no offline queue (commands fail at once while
 * disconnected instead of piling up), a short connect timeout, reconnection with capped
 * backoff, and an `error` listener so a refused connection never crashes the process.
 * Call `await client.connect()` (it rejects when Redis is down; the client keeps retrying).
 * With `clientCache`: a RESP3 client whose `clientSideCache` is a `RedisRevocationCache`
 * (Redis client tracking), PINGing every `pingIntervalMs` so its silence can be noticed.
 */
export function createRedisClient(
  options: RedisConnectionOptions & {
    clientCache: RedisRevocationCacheOptions | RedisRevocationCache;
  },
): RedisTrackingClient;
export function createRedisClient(options?: RedisConnectionOptions): RedisClientType;
export function createRedisClient(
  options: RedisConnectionOptions = {},
): RedisClientType | RedisTrackingClient {
  const host = options.REDIS_HOST ?? '127.0.0.1';
  const port = options.REDIS_PORT ?? 6379;
  const cache = revocationCacheOf(options.clientCache);
  const client = createClient({
    ...(cache
      ? { RESP: 3 as const, clientSideCache: cache, pingInterval: cache.pingIntervalMs }
      : {}),
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

function revocationCacheOf(
  option: RedisConnectionOptions['clientCache'],
): RedisRevocationCache | undefined {
  if (option === undefined) return undefined;
  return option instanceof RedisRevocationCache ? option : new RedisRevocationCache(option);
}
