/** MySQL/MariaDB as a `SqlDialect`: its SQL, mysql2 underneath, the CALL rotation. */
import type { SqlDialect } from '../dialect';
import { mysqlRateLimits } from '../rate-limit/mysql';
import { rateLimitProcedure } from '../rate-limit/mysql-procedure';
import { mysqlRotation } from '../rotation/mysql';
import { rotateProcedure } from '../rotation/mysql-procedure';
import { mysqlRunner, mysqlTransaction, type MysqlPoolLike } from './driver';

const ER_SP_ALREADY_EXISTS = 1304;

const BIN = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin';

export const mysqlDialect: SqlDialect<MysqlPoolLike> = {
  name: 'mysql',
  now: 'NOW(3)',
  nowPlus: (expression) => `NOW(3) + INTERVAL ${expression} SECOND`,
  upsert: (_key, assignments) => `ON DUPLICATE KEY UPDATE ${assignments.join(', ')}`,
  inserted: (column) => `VALUES(${column})`,
  types: {
    id: `VARCHAR(255) ${BIN}`,
    text: (length) => `VARCHAR(${length}) ${BIN}`,
    time: 'DATETIME(3)',
    bigint: 'BIGINT',
  },
  timeDefault: 'CURRENT_TIMESTAMP(3)',
  // As every release has created it; the stores write only the three states.
  enumColumn: (name) => `${name} VARCHAR(16) NOT NULL`,
  tableOptions: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
  inlineIndexes: true,
  addColumn: (table, column, type) => `ALTER TABLE ${table} ADD COLUMN ${column} ${type}`,
  // MariaDB has ADD COLUMN IF NOT EXISTS, MySQL 8 does not: look first.
  async ensureColumn(sql, { table, column, type }) {
    const present = await sql(
      `SELECT 1 AS hit FROM information_schema.columns
       WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?`,
      [table, column],
    );
    if (present.rows.length === 0) await sql(this.addColumn(table, column, type));
  },
  routines(tables) {
    return [
      { name: tables.rotate, create: rotateProcedure(this.types, tables) },
      { name: tables.rateLimit, create: rateLimitProcedure(this.types, tables) },
    ];
  },
  /**
   * CREATE PROCEDURE when missing (MySQL 8 before 8.0.29 has no IF NOT EXISTS, and OR REPLACE
   * would drop it under running services). Services starting together may both see it
   * missing: the loser's "already exists" (1304) is success.
   */
  async ensureRoutine(sql, { name, create }) {
    const present = await sql(
      `SELECT 1 AS hit FROM information_schema.routines
       WHERE routine_schema = DATABASE() AND routine_name = ? AND routine_type = 'PROCEDURE'`,
      [name],
    );
    if (present.rows.length > 0) return;
    await sql(create).catch((err: unknown) => {
      if ((err as { errno?: unknown }).errno !== ER_SP_ALREADY_EXISTS) throw err;
    });
  },
  run: (pool) => mysqlRunner(pool),
  transaction: (pool, work, deadline) => mysqlTransaction(pool, work, deadline),
  rotation: mysqlRotation,
  rateLimits: mysqlRateLimits,
};
