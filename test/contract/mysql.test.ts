/** The shared store contracts on the machine's MariaDB/MySQL (CI fails if it is unreachable). */
import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { mysqlSchema } from '../../stores/sql/mysql/schema';
import { MysqlRefreshTokenStore, MysqlRevocationStore } from '../../stores/sql/mysql/stores';
import { describeWithService, services } from '../helpers/services';
import { describeRefreshTokenStore } from './refresh-token-store.contract';
import { describeRevocationStore } from './revocation-store.contract';

function tablePrefix(tag: string): string {
  return `t_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}_`;
}

async function setup<S extends { migrate(): Promise<void> }>(
  make: (pool: mysql.Pool, prefix: string) => S,
  tag: string,
  poolSize = 25,
): Promise<{ store: S; cleanup: () => Promise<void> }> {
  const pool = mysql.createPool({ ...services.mysql, connectionLimit: poolSize });
  const prefix = tablePrefix(tag);
  const store = make(pool, prefix);
  await store.migrate();
  await store.migrate(); // idempotent
  return {
    store,
    cleanup: async () => {
      await pool.query(`DROP TABLE IF EXISTS ${prefix}revoked_tokens, ${prefix}refresh_tokens`);
      await pool.end();
    },
  };
}

describeWithService('mysql', 'MySQL stores', () => {
  describeRevocationStore('mysql', () =>
    setup((pool, tablePrefix) => new MysqlRevocationStore({ pool, tablePrefix }), 'rv'),
  );
  describeRefreshTokenStore('mysql', () =>
    setup((pool, tablePrefix) => new MysqlRefreshTokenStore({ pool, tablePrefix }), 'rt'),
  );

  it('keeps ids that differ only by case apart (binary collation)', async () => {
    const { store, cleanup } = await setup(
      (pool, tablePrefix) => new MysqlRevocationStore({ pool, tablePrefix }),
      'case',
    );
    try {
      await store.revoke('Jti-ABC', 60);
      await expect(store.isRevoked('jti-abc')).resolves.toBe(false);
      await expect(store.isRevoked('Jti-ABC')).resolves.toBe(true);
    } finally {
      await cleanup();
    }
  });

  it('settles a 20-way rotation race on a pool of 2 connections (losers do not starve the pool)', async () => {
    const { store, cleanup } = await setup(
      (pool, tablePrefix) => new MysqlRefreshTokenStore({ pool, tablePrefix, timeoutMs: 5000 }),
      'small',
      2,
    );
    try {
      await store.register('old', { userId: 'u', familyId: 'f', ttlSeconds: 60 });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.rotate('old', `new-${i}`, 60)),
      );
      expect(results.filter((r) => r.status === 'rotated')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'reused')).toHaveLength(19);
    } finally {
      await cleanup();
    }
  });

  it('purges expired rows and ignores them before that', async () => {
    const { store, cleanup } = await setup(
      (pool, tablePrefix) => new MysqlRefreshTokenStore({ pool, tablePrefix }),
      'purge',
    );
    try {
      await store.register('short', { userId: 'u', familyId: 'f', ttlSeconds: 1 });
      await store.register('long', { userId: 'u', familyId: 'f', ttlSeconds: 60 });
      await new Promise((r) => setTimeout(r, 1100));
      await expect(store.isValid('short')).resolves.toBe(false);
      await expect(store.purgeExpired()).resolves.toBe(1);
      await expect(store.isValid('long')).resolves.toBe(true);
    } finally {
      await cleanup();
    }
  });

  it('ships its schema as stores/sql/migrations/mysql.sql, in step with migrate()', () => {
    const shipped = fs.readFileSync(
      path.join(__dirname, '../../stores/sql/migrations/mysql.sql'),
      'utf8',
    );
    for (const statement of mysqlSchema()) expect(shipped).toContain(statement);
  });

  it('answers StoreUnavailableError (not a raw mysql2 error) when the server is unreachable', async () => {
    const pool = mysql.createPool({ ...services.mysql, port: 1, connectTimeout: 500 });
    try {
      await expect(new MysqlRevocationStore({ pool }).isRevoked('x')).rejects.toMatchObject({
        name: 'StoreUnavailableError',
        status: 503,
        store: 'mysql',
      });
    } finally {
      await pool.end();
    }
  });
});
