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
} from '../../../lib/security/store-contracts';
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
  MysqlRateLimitStore,
  MysqlRefreshTokenStore,
  MysqlRevocationStore,
  MysqlSessionStore,
} from '../../../stores/sql/mysql';
import {
  PostgresRateLimitStore,
  PostgresRefreshTokenStore,
  PostgresRevocationStore,
  PostgresSessionStore,
} from '../../../stores/sql/postgres';
import { dropStatements } from '../../helpers/sql-cleanup';
import { services, uniquePrefix, type ServiceName } from '../../helpers/services';

export interface BackendStores {
  revocation: RevocationStore;
  refresh: RefreshTokenStore;
  sessions: SessionStore;
  rateLimit: RateLimitStore;
  /**
   * Whether a consumer that reads this backend's blacklist sees `jti` revoked: on Redis the raw
   * key a Python consumer checks (`EXISTS <prefix><jti>`, not our store's code), elsewhere the store.
   */
  blacklisted(jti: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface Backend {
  name: string;
  /** The server it needs, if any (the suite is skipped or fails without it). */
  service?: ServiceName;
  open(clock: () => number): Promise<BackendStores>;
}

interface SqlClasses<Pool, Sessions extends SessionStore> {
  Revocation: new (o: { pool: Pool; tablePrefix: string; clock: () => number }) => RevocationStore;
  Refresh: new (o: {
    pool: Pool;
    tablePrefix: string;
    clock: () => number;
    sessions: Sessions;
  }) => RefreshTokenStore & {
    migrate(): Promise<void>;
  };
  Sessions: new (o: { pool: Pool; tablePrefix: string; clock: () => number }) => Sessions;
  RateLimit: new (o: { pool: Pool; tablePrefix: string }) => RateLimitStore;
}

/** A SQL backend: its four stores on one pool and private tables. */
function sqlBackend<Pool, Sessions extends SessionStore>(
  name: 'postgres' | 'mysql',
  connect: () => Promise<{
    pool: Pool;
    stores: SqlClasses<Pool, Sessions>;
    query(sql: string): Promise<unknown>;
    end(): Promise<void>;
  }>,
): Backend {
  return {
    name,
    service: name,
    async open(clock) {
      const { pool, stores, query, end } = await connect();
      const p = tablePrefix();
      const options = { pool, tablePrefix: p, clock };
      // Linked, as the README wires them: each rotation advances its session in one step.
      const sessions = new stores.Sessions(options);
      const refresh = new stores.Refresh({ ...options, sessions });
      await refresh.migrate(); // creates every table of the three stores
      const revocation = new stores.Revocation(options);
      return {
        revocation,
        refresh,
        sessions,
        rateLimit: new stores.RateLimit({ pool, tablePrefix: p }),
        blacklisted: (jti) => revocation.isRevoked(jti),
        close: async () => {
          for (const statement of dropStatements(name, p)) await query(statement);
          await end();
        },
      };
    },
  };
}

const tablePrefix = (): string => `t_fl_${process.pid}_${Math.random().toString(36).slice(2, 8)}_`;

export const backends: Backend[] = [
  {
    name: 'memory',
    open: async (clock) => {
      const revocation = new MemoryRevocationStore();
      return {
        revocation,
        refresh: new MemoryRefreshTokenStore(),
        sessions: new MemorySessionStore({ clock }),
        rateLimit: new MemoryRateLimitStore({ clock }),
        blacklisted: (jti) => revocation.isRevoked(jti),
        close: async () => undefined,
      };
    },
  },
  {
    name: 'redis',
    service: 'redis',
    async open(clock) {
      const client = createClient({ url: services.redis.url, disableOfflineQueue: true });
      client.on('error', () => undefined);
      await client.connect();
      const prefix = uniquePrefix('flows');
      // Linked, as the README wires them: each rotation advances its session in one script.
      const sessions = new RedisSessionStore({ client, keyPrefix: `${prefix}sess:`, clock });
      return {
        revocation: new RedisRevocationStore({ client, keyPrefix: `${prefix}bl:` }),
        refresh: new RedisRefreshTokenStore({ client, keyPrefix: `${prefix}rt:`, sessions }),
        sessions,
        rateLimit: new RedisRateLimitStore({ client, keyPrefix: `${prefix}rl:` }),
        blacklisted: async (jti) => (await client.exists(`${prefix}bl:${jti}`)) === 1,
        close: async () => {
          for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
            if (keys.length > 0) await client.del(keys);
          }
          await client.quit();
        },
      };
    },
  },
  sqlBackend('postgres', async () => {
    const pool = new pg.Pool({ ...services.postgres, max: 10 });
    return {
      pool,
      stores: {
        Revocation: PostgresRevocationStore,
        Refresh: PostgresRefreshTokenStore,
        Sessions: PostgresSessionStore,
        RateLimit: PostgresRateLimitStore,
      },
      query: (sql: string) => pool.query(sql),
      end: () => pool.end(),
    };
  }),
  sqlBackend('mysql', async () => {
    const pool = mysql.createPool({ ...services.mysql, connectionLimit: 10 });
    return {
      pool,
      stores: {
        Revocation: MysqlRevocationStore,
        Refresh: MysqlRefreshTokenStore,
        Sessions: MysqlSessionStore,
        RateLimit: MysqlRateLimitStore,
      },
      query: (sql: string) => pool.query(sql),
      end: () => pool.end(),
    };
  }),
];
