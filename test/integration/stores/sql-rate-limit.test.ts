/**
 * The SQL rate-limit stores on the wire (a relay that reads the protocol: one entry per round
 * trip): one `hitMany` is one round trip whatever its number of keys (PostgreSQL: one
 * `INSERT … ON CONFLICT … RETURNING`; MySQL: one CALL), MySQL without its procedure falls
 * back to a transaction, and rows of ended windows are deleted lazily.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { MysqlRateLimitStore, type MysqlPoolLike } from 'auth-sdk-m8/stores/mysql';
import { PostgresRateLimitStore, type PgPoolLike } from 'auth-sdk-m8/stores/postgres';
import type { RateLimitStore } from '../../../lib/security/store-contracts';
import { tableNames } from '../../../stores/sql/tables';
import { describeWithService, services } from '../../helpers/services';
import { dropStatements } from '../../helpers/sql-cleanup';
import { SqlCommandRelay } from '../../helpers/sql-wire';

type Store = RateLimitStore & { migrate(): Promise<void>; purgeExpired(): Promise<number> };

interface Database {
  service: 'postgres' | 'mysql';
  /** A pool of one connection, through `port` when given (a relay). */
  open(port?: number): { query(sql: string): Promise<unknown>; end(): Promise<void> };
  store(pool: unknown, tablePrefix: string, clock?: () => number): Store;
  /** SQL that ends every window of `table` now (time passing, without the wait). */
  endWindows(table: string): string;
  keysOf(pool: unknown, table: string): Promise<string[]>;
  /** What one `hitMany` sends, one entry per round trip. */
  hitManyCommands: string[];
}

const postgres: Database = {
  service: 'postgres',
  open: (port) =>
    new pg.Pool({ ...services.postgres, port: port ?? services.postgres.port, max: 1 }),
  store: (pool, tablePrefix, clock) =>
    new PostgresRateLimitStore({ pool: pool as PgPoolLike, tablePrefix, clock }),
  endWindows: (table) => `UPDATE ${table} SET expires_at = now() - interval '1 second'`,
  keysOf: async (pool, table) =>
    (await (pool as pg.Pool).query(`SELECT rl_key FROM ${table} ORDER BY rl_key`)).rows.map(
      (row: { rl_key: string }) => row.rl_key,
    ),
  hitManyCommands: ['INSERT'],
};

const mariadb: Database = {
  service: 'mysql',
  open: (port) =>
    mysql.createPool({
      ...services.mysql,
      port: port ?? services.mysql.port,
      connectionLimit: 1,
    }),
  store: (pool, tablePrefix, clock) =>
    new MysqlRateLimitStore({ pool: pool as MysqlPoolLike, tablePrefix, clock }),
  endWindows: (table) => `UPDATE ${table} SET expires_at = NOW(3) - INTERVAL 1 SECOND`,
  keysOf: async (pool, table) => {
    const [rows] = await (pool as mysql.Pool).query(`SELECT rl_key FROM ${table} ORDER BY rl_key`);
    return (rows as Array<{ rl_key: string }>).map((row) => row.rl_key);
  },
  hitManyCommands: ['CALL'],
};

const counts = (keys: string[], windowSeconds = 60) => keys.map((key) => ({ key, windowSeconds }));

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

for (const db of [postgres, mariadb]) {
  describeWithService(db.service, `${db.service}: the rate-limit store on the wire`, () => {
    const tablePrefix = `t_rl_${process.pid}_${Math.random().toString(36).slice(2, 7)}_`;
    const table = tableNames(tablePrefix).rateLimits;
    let admin: ReturnType<Database['open']>;

    beforeAll(async () => {
      admin = db.open();
      await db.store(admin, tablePrefix).migrate();
    });

    afterAll(async () => {
      for (const statement of dropStatements(db.service, tablePrefix)) await admin.query(statement);
      await admin.end();
    });

    it('hitMany is one round trip whatever its number of keys', async () => {
      const relay = await SqlCommandRelay.start(db.service, services[db.service]);
      const pool = db.open(relay.port);
      try {
        const store = db.store(pool, tablePrefix);
        await store.hit('warm', 60); // the connection is opened outside the counts
        const keys = ['wire-a', 'wire-b', 'wire-a', 'wire-c', 'wire-d'];
        const sent = await relay.commandsOf(async () => {
          const hits = await store.hitMany(counts(keys));
          expect(hits.map((h) => h.count)).toEqual([1, 1, 2, 1, 1]);
        });
        expect(sent).toEqual(db.hitManyCommands);
        await expect(relay.commandsOf(() => store.hit('wire-b', 60))).resolves.toEqual(
          db.hitManyCommands,
        );
        // undo: one DELETE for the forgotten keys, one UPDATE per number of hits taken back.
        const undone = await relay.commandsOf(() =>
          store.undo([
            { key: 'wire-a', hits: 'all' },
            { key: 'wire-b', hits: 1 },
            { key: 'wire-c', hits: 1 },
          ]),
        );
        expect(undone).toEqual(['DELETE', 'UPDATE']);
      } finally {
        await pool.end();
        await relay.close();
      }
    });

    it('deletes the rows of ended windows lazily, at most once a minute', async () => {
      let now = Date.now();
      const store = db.store(admin, tablePrefix, () => now);
      await store.hitMany(counts(['sweep-1', 'sweep-2']));
      await admin.query(db.endWindows(table));
      await store.hit('sweep-3', 60);
      const live = ['sweep-3', 'sweep-4'];
      await expect(db.keysOf(admin, table)).resolves.toEqual(
        expect.arrayContaining(['sweep-1', 'sweep-2', 'sweep-3']), // not yet: < 1 min
      );
      now += 61_000;
      await store.hit('sweep-4', 60); // answers at once; the sweep runs beside it
      const swept = await until(
        async () => JSON.stringify(await db.keysOf(admin, table)) === JSON.stringify(live),
        5000,
      );
      expect(await db.keysOf(admin, table)).toEqual(live);
      expect(swept).toBe(true);
      await expect(store.purgeExpired()).resolves.toBe(0);
      // A window that ended restarts at its next hit, swept or not.
      await admin.query(db.endWindows(table));
      await expect(store.hit('sweep-3', 60)).resolves.toMatchObject({ count: 1 });
    });
  });
}

// MySQL without the procedure (tables from the shipped .sql without it, or an account without
// EXECUTE): the first CALL fails, then the store counts in a transaction and CALLs no more.
describeWithService('mysql', 'mysql: the rate-limit store without its procedure', () => {
  const tablePrefix = `t_rln_${process.pid}_${Math.random().toString(36).slice(2, 7)}_`;
  let admin: ReturnType<Database['open']>;

  beforeAll(async () => {
    admin = mariadb.open();
    await mariadb.store(admin, tablePrefix).migrate();
    await admin.query(`DROP PROCEDURE ${tableNames(tablePrefix).rateLimit}`);
  });

  afterAll(async () => {
    for (const statement of dropStatements('mysql', tablePrefix)) await admin.query(statement);
    await admin.end();
  });

  it('counts the same in a transaction of four round trips', async () => {
    const relay = await SqlCommandRelay.start('mysql', services.mysql);
    const pool = mariadb.open(relay.port);
    try {
      const store = mariadb.store(pool, tablePrefix);
      const keys = ['np-b', 'np-a', 'np-b'];
      const transaction = ['START', 'INSERT', 'SELECT', 'COMMIT'];
      const first = await relay.commandsOf(async () => {
        expect((await store.hitMany(counts(keys))).map((h) => h.count)).toEqual([1, 1, 2]);
      });
      expect(first.slice(-5)).toEqual(['CALL', ...transaction]);
      const second = await relay.commandsOf(async () => {
        expect((await store.hitMany(counts(keys))).map((h) => h.count)).toEqual([3, 2, 4]);
      });
      expect(second).toEqual(transaction);
    } finally {
      await pool.end();
      await relay.close();
    }
  });
});
