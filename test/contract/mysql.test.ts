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
