/** PostgreSQL as a `SqlDialect`: its SQL, node-postgres underneath, the CTE rotation. */
import type { SqlDialect } from '../dialect';
import { postgresRateLimits } from '../rate-limit/postgres';
import { postgresRotation } from '../rotation/postgres';
import { pgRunner, pgTransaction, type PgPoolLike } from './driver';

export const postgresDialect: SqlDialect<PgPoolLike> = {
  name: 'postgres',
  now: 'now()',
  nowPlus: (expression) => `now() + ${expression} * interval '1 second'`,
  upsert: (key, assignments) => `ON CONFLICT (${key}) DO UPDATE SET ${assignments.join(', ')}`,
  inserted: (column) => `EXCLUDED.${column}`,
  types: {
    id: 'TEXT',
    text: () => 'TEXT',
    time: 'TIMESTAMPTZ',
    bigint: 'BIGINT',
  },
  timeDefault: 'now()',
  enumColumn: (name, values) =>
    `${name} TEXT NOT NULL CHECK (${name} IN (${values.map((v) => `'${v}'`).join(', ')}))`,
  tableOptions: '',
  inlineIndexes: false,
  addColumn: (table, column, type) =>
    `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column} ${type}`,
  async ensureColumn(sql, { table, column, type }) {
    await sql(this.addColumn(table, column, type));
  },
  // The rotation and the counting are one statement each: nothing stored in the database.
  routines: () => [],
  async ensureRoutine(sql, routine) {
    await sql(routine.create);
  },
  run: (pool) => pgRunner(pool),
  transaction: (pool, work, deadline) => pgTransaction(pool, work, deadline),
  rotation: postgresRotation,
  rateLimits: postgresRateLimits,
};
