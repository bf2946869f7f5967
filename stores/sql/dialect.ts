/**
 * What differs between PostgreSQL and MySQL/MariaDB, as one object per database
 * (`postgres/dialect.ts`, `mysql/dialect.ts`): placeholders, database time, upserts, column
 * types, how to run a query or a transaction on the driver, how `migrate()` adds what is
 * missing, and how a rotation runs. The stores and the schema are written once against this
 * and never ask which database it is.
 */
import type { RateLimitCounter } from './rate-limit/strategy';
import type { RotationContext, RotationStrategy } from './rotation/strategy';
import type { SqlTables } from './tables';

/** A query's rows (SELECT / RETURNING) and affected-row count (writes). */
export interface SqlResult {
  rows: Array<Record<string, unknown>>;
  affected: number;
}

/** Runs one statement; `sql` uses `?` placeholders whatever the database. */
export type SqlRunner = (sql: string, values?: unknown[]) => Promise<SqlResult>;

/** One statement with its values (`?` placeholders). */
export interface SqlStatement {
  sql: string;
  values: unknown[];
}

/**
 * Statements that need no answer in between, in one transaction on one connection (rolled
 * back past `deadline`, as `SqlDialect.transaction`); resolves their results in order.
 */
export type SqlBatch<Pool> = (
  pool: Pool,
  statements: SqlStatement[],
  deadline?: number,
) => Promise<SqlResult[]>;

/** A column added after the first release: `migrate()` adds it to tables created before. */
export interface AddedColumn {
  table: string;
  column: string;
  type: string;
}

/** A stored routine of the schema, created by `migrate()` when missing. */
export interface SqlRoutine {
  name: string;
  create: string;
}

/** Column types of a database. */
export interface ColumnTypes {
  id: string;
  text: (length: number) => string;
  time: string;
  bigint: string;
}

export interface SqlDialect<Pool> {
  /** The store's name in errors (`The postgres store is unavailable: …`) and schema files. */
  readonly name: 'postgres' | 'mysql';
  /** Current database time (millisecond precision). */
  readonly now: string;
  /** `expression` seconds from now. */
  nowPlus(expression: string): string;
  /** `ON CONFLICT (key) DO UPDATE SET …` / `ON DUPLICATE KEY UPDATE …` with `assignments`. */
  upsert(key: string, assignments: readonly string[]): string;
  /** The new row's value of `column` inside `upsert`. */
  inserted(column: string): string;
  readonly types: ColumnTypes;
  /** The DEFAULT of a time column that starts at the row's creation. */
  readonly timeDefault: string;
  /** A NOT NULL text column `name` holding one of `values` (checked where the database can). */
  enumColumn(name: string, values: readonly string[]): string;
  /** Table options appended to CREATE TABLE (MySQL: engine and binary utf8mb4). */
  readonly tableOptions: string;
  /** Secondary indexes: inline in MySQL's CREATE TABLE, separate statements in PostgreSQL. */
  readonly inlineIndexes: boolean;
  /** ADD COLUMN for a column added after the first release, as the shipped file prints it. */
  addColumn(table: string, column: string, type: string): string;
  /** `migrate()`: add `column` unless its table has it already. */
  ensureColumn(sql: SqlRunner, column: AddedColumn): Promise<void>;
  /** The stored routines the schema holds (MySQL: the rotation procedure). */
  routines(tables: SqlTables): SqlRoutine[];
  /** `migrate()`: create `routine` unless it exists (never replacing one in use). */
  ensureRoutine(sql: SqlRunner, routine: SqlRoutine): Promise<void>;
  /** One statement on the pool. */
  run(pool: Pool): SqlRunner;
  /**
   * `work` in one transaction on one connection (committed, or rolled back when it throws).
   * Past `deadline` (epoch ms) it rolls back instead of committing: the caller's guard has
   * answered 503 by then, and a late commit would make the client's retry look like reuse.
   */
  transaction<T>(pool: Pool, work: (run: SqlRunner) => Promise<T>, deadline?: number): Promise<T>;
  /** The rotation of one refresh-token store (PostgreSQL: one statement; MySQL: one CALL). */
  rotation(context: RotationContext<Pool>): RotationStrategy;
  /** The counting of one rate-limit store (PostgreSQL: one statement; MySQL: one CALL). */
  rateLimits(context: SqlStoreContext<Pool>): RateLimitCounter;
}

/** What a dialect's strategy works on: the store's pool, dialect and tables. */
export interface SqlStoreContext<Pool> {
  pool: Pool;
  dialect: SqlDialect<Pool>;
  tables: SqlTables;
}

/** Thrown in place of a COMMIT the caller no longer waits for. */
export function abandonPastDeadline(deadline: number | undefined): void {
  if (deadline !== undefined && Date.now() >= deadline) {
    throw new Error('transaction abandoned: the caller stopped waiting');
  }
}
