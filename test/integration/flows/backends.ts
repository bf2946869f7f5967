/**
 * The stores of the flows tests, one set per backend (memory, Redis, PostgreSQL, MariaDB),
 * each on the machine's real server with a private key prefix or table prefix.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';
import type {
  RateLimitStore,
  RefreshTokenStore,
  RevocationStore,
  SessionStore,
} from '../../../lib/security/stores';
import {
  MemoryRateLimitStore,
  MemoryRefreshTokenStore,
  MemoryRevocationStore,
  MemorySessionStore,
} from '../../../stores/memory';
import {
  RedisRateLimitStore,
  RedisRefreshTokenStore,
  RedisRevocationStore,
  RedisSessionStore,
} from '../../../stores/redis';
import {
  MysqlRefreshTokenStore,
  MysqlRevocationStore,
  MysqlSessionStore,
} from '../../../stores/sql/mysql';
import {
  PostgresRefreshTokenStore,
  PostgresRevocationStore,
  PostgresSessionStore,
} from '../../../stores/sql/postgres';
import { services, uniquePrefix, type ServiceName } from '../../helpers/services';

export interface BackendStores {
  revocation: RevocationStore;
  refresh: RefreshTokenStore;
  sessions: SessionStore;
  rateLimit: RateLimitStore;
  close(): Promise<void>;
}

export interface Backend {
  name: string;
  /** The server it needs, if any (the suite is skipped or fails without it). */
  service?: ServiceName;
  open(clock: () => number): Promise<BackendStores>;
}

const tablePrefix = (): string => `t_fl_${process.pid}_${Math.random().toString(36).slice(2, 8)}_`;

export const backends: Backend[] = [
  {
    name: 'memory',
    open: async (clock) => ({
      revocation: new MemoryRevocationStore(),
      refresh: new MemoryRefreshTokenStore(),
      sessions: new MemorySessionStore({ clock }),
      rateLimit: new MemoryRateLimitStore({ clock }),
      close: async () => undefined,
    }),
  },
  {
    name: 'redis',
    service: 'redis',
    async open(clock) {
      const client = createClient({ url: services.redis.url, disableOfflineQueue: true });
      client.on('error', () => undefined);
      await client.connect();
      const prefix = uniquePrefix('flows');
      return {
        revocation: new RedisRevocationStore({ client, keyPrefix: `${prefix}bl:` }),
        refresh: new RedisRefreshTokenStore({ client, keyPrefix: `${prefix}rt:` }),
        sessions: new RedisSessionStore({ client, keyPrefix: `${prefix}sess:`, clock }),
        rateLimit: new RedisRateLimitStore({ client, keyPrefix: `${prefix}rl:` }),
        close: async () => {
          for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
            if (keys.length > 0) await client.del(keys);
          }
          await client.quit();
        },
      };
    },
  },
  {
    name: 'postgres',
    service: 'postgres',
    async open(clock) {
      const pool = new pg.Pool({ ...services.postgres, max: 10 });
      const options = { pool, tablePrefix: tablePrefix(), clock };
      const stores = {
        revocation: new PostgresRevocationStore(options),
        refresh: new PostgresRefreshTokenStore(options),
        sessions: new PostgresSessionStore(options),
      };
      await stores.refresh.migrate();
      const p = options.tablePrefix;
      return {
        ...stores,
        rateLimit: new MemoryRateLimitStore({ clock }),
        close: async () => {
          await pool.query(
            `DROP TABLE IF EXISTS ${p}revoked_tokens, ${p}refresh_tokens, ${p}sessions`,
          );
          await pool.end();
        },
      };
    },
  },
  {
    name: 'mysql',
    service: 'mysql',
    async open(clock) {
      const pool = mysql.createPool({ ...services.mysql, connectionLimit: 10 });
      const options = { pool, tablePrefix: tablePrefix(), clock };
      const stores = {
        revocation: new MysqlRevocationStore(options),
        refresh: new MysqlRefreshTokenStore(options),
        sessions: new MysqlSessionStore(options),
      };
      await stores.refresh.migrate();
      const p = options.tablePrefix;
      return {
        ...stores,
        rateLimit: new MemoryRateLimitStore({ clock }),
        close: async () => {
          await pool.query(
            `DROP TABLE IF EXISTS ${p}revoked_tokens, ${p}refresh_tokens, ${p}sessions`,
          );
          await pool.end();
        },
      };
    },
  },
];
