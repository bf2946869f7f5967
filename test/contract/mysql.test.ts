/** The shared store contracts on the machine's MariaDB/MySQL (CI fails if it is unreachable). */
import mysql from 'mysql2/promise';
import {
  MysqlRateLimitStore,
  MysqlRefreshTokenStore,
  MysqlRevocationStore,
  MysqlSessionStore,
  mysqlSchema,
} from 'auth-sdk-m8/stores/mysql';
import { describeWithService, services } from '../helpers/services';
import { dropStatements } from '../helpers/sql-cleanup';
import { describeSqlStores } from './sql-stores';

describeSqlStores({
  service: 'mysql',
  title: 'MySQL stores',
  openPool: (connectionLimit) => mysql.createPool({ ...services.mysql, connectionLimit }),
  unreachablePool: () => mysql.createPool({ ...services.mysql, port: 1, connectTimeout: 500 }),
  query: (pool, sql) => pool.query(sql),
  closePool: (pool) => pool.end(),
  Revocation: MysqlRevocationStore,
  Refresh: MysqlRefreshTokenStore,
  Sessions: MysqlSessionStore,
  RateLimit: MysqlRateLimitStore,
  schema: mysqlSchema,
  legacyRefreshTable: (name) => `CREATE TABLE ${name} (
  jti VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  user_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  family_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  state VARCHAR(16) NOT NULL,
  expires_at DATETIME(3) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
});

describeWithService('mysql', 'MySQL binary collation', () => {
  it('keeps ids that differ only by case apart', async () => {
    const pool = mysql.createPool({ ...services.mysql, connectionLimit: 2 });
    const tablePrefix = `t_case_${process.pid}_${Math.random().toString(36).slice(2, 8)}_`;
    try {
      const store = new MysqlRevocationStore({ pool, tablePrefix });
      await store.migrate();
      await store.revoke('Jti-ABC', 60);
      await expect(store.isRevoked('jti-abc')).resolves.toBe(false);
      await expect(store.isRevoked('Jti-ABC')).resolves.toBe(true);
    } finally {
      for (const statement of dropStatements('mysql', tablePrefix)) await pool.query(statement);
      await pool.end();
    }
  });
});

describeWithService('mysql', 'MySQL rotation procedure versions', () => {
  it('migrate() creates rotate_v2 beside a rotate_v1 it leaves alone, and rotations call v2', async () => {
    const pool = mysql.createPool({ ...services.mysql, connectionLimit: 2 });
    const tablePrefix = `t_v2_${process.pid}_${Math.random().toString(36).slice(2, 8)}_`;
    const v1 = `${tablePrefix}rotate_v1`;
    try {
      // The previous release's procedure, standing in: it fails if anything still calls it.
      await pool.query(
        `CREATE PROCEDURE ${v1}() BEGIN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'v1 called'; END`,
      );
      const store = new MysqlRefreshTokenStore({ pool, tablePrefix });
      await store.migrate();
      const [routines] = (await pool.query(
        `SELECT routine_name AS name FROM information_schema.routines
         WHERE routine_schema = DATABASE() AND routine_name LIKE ? ORDER BY routine_name`,
        [`${tablePrefix}rotate%`],
      )) as unknown as [Array<{ name: string }>];
      expect(routines.map((r) => r.name)).toEqual([v1, `${tablePrefix}rotate_v2`]);
      await store.register('a', { userId: 'u', familyId: 'f', ttlSeconds: 60, issuedAt: 100 });
      await expect(
        store.rotate('a', 'b', 60, { userId: 'u', nowSeconds: 1_900_000_000 }),
      ).resolves.toMatchObject({ status: 'rotated' });
      const listed = await store.revokeFamily('f', 'u');
      expect(listed.sort((x, y) => x.jti.localeCompare(y.jti))).toEqual([
        { jti: 'a', issuedAt: 100 },
        { jti: 'b', issuedAt: 1_900_000_000 },
      ]);
    } finally {
      for (const statement of dropStatements('mysql', tablePrefix)) await pool.query(statement);
      await pool.query(`DROP PROCEDURE IF EXISTS ${v1}`);
      await pool.end();
    }
  });
});
