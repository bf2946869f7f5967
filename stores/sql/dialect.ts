/**
 * What differs between PostgreSQL and MySQL/MariaDB, in one object per database: placeholders,
 * database time, upserts, column types, and how to run a query or a transaction on the
 * driver. The stores (`stores.ts`) are written once against this.
 */

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

export interface SqlDialect<Pool> {
  readonly name: 'postgres' | 'mysql';
  /** Current database time (millisecond precision). */
  readonly now: string;
  /** `expression` seconds from now. */
  nowPlus(expression: string): string;
  /** `ON CONFLICT (key) DO UPDATE SET …` / `ON DUPLICATE KEY UPDATE …` with `assignments`. */
  upsert(key: string, assignments: readonly string[]): string;
  /** The new row's value of `column` inside `upsert`. */
  inserted(column: string): string;
  /** Column types. */
  readonly types: { id: string; text: (length: number) => string; time: string; bigint: string };
  /** Table options appended to CREATE TABLE (MySQL: engine and binary utf8mb4). */
  readonly tableOptions: string;
  /** Secondary indexes: inline in MySQL's CREATE TABLE, separate statements in PostgreSQL. */
  readonly inlineIndexes: boolean;
  /** ADD COLUMN for a column added after the first release (MySQL 8 has no IF NOT EXISTS). */
  addColumn(table: string, column: string, type: string): string;
  /** One statement on the pool. */
  run(pool: Pool): SqlRunner;
  /**
   * `work` in one transaction on one connection (committed, or rolled back when it throws).
   * Past `deadline` (epoch ms) it rolls back instead of committing: the caller's guard has
   * answered 503 by then, and a late commit would make the client's retry look like reuse.
   */
  transaction<T>(pool: Pool, work: (run: SqlRunner) => Promise<T>, deadline?: number): Promise<T>;
  /**
   * Statements that need no answer in between, in one transaction (rolled back past
   * `deadline`, as `transaction`); resolves their results in order. PostgreSQL sends `BEGIN`
   * and all of them as one simple query, then `COMMIT`: two round trips whatever their number
   * (the values go in as escaped literals). MySQL runs them one by one.
   */
  batch(pool: Pool, statements: SqlStatement[], deadline?: number): Promise<SqlResult[]>;
  /**
   * MySQL: `CALL procedure(?, …)` in one round trip; resolves to the rows of each result set
   * it returned. Absent where stores do not use stored procedures (PostgreSQL).
   */
  call?(pool: Pool, procedure: string, values: unknown[]): Promise<SqlResult['rows'][]>;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL (node-postgres)

interface PgResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number | null;
}

/** The part of `pg.PoolClient` used here. */
export interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<PgResult>;
  release(err?: Error | boolean): void;
  on?(event: 'error', listener: (err: Error) => void): unknown;
  removeListener?(event: 'error', listener: (err: Error) => void): unknown;
}

/** The part of `pg.Pool` used here. */
export interface PgPoolLike {
  query(text: string, values?: unknown[]): Promise<PgResult>;
  connect(callback: (err: Error | undefined, client: PgClientLike | undefined) => void): void;
}

function abandonPastDeadline(deadline: number | undefined): void {
  if (deadline !== undefined && Date.now() >= deadline) {
    throw new Error('transaction abandoned: the caller stopped waiting');
  }
}

/** A value as a PostgreSQL literal (what node-postgres' `escapeLiteral` writes for text). */
function pgLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`);
    return String(value);
  }
  const text = String(value);
  const quoted = `'${text.replaceAll("'", "''").replaceAll('\\', '\\\\')}'`;
  return text.includes('\\') ? ` E${quoted}` : quoted;
}

/** `sql` with each `?` replaced by its value as a literal (values are never re-scanned). */
function inlined({ sql, values }: SqlStatement): string {
  const parts = sql.split('?');
  if (parts.length !== values.length + 1) {
    throw new Error(`${parts.length - 1} placeholders for ${values.length} values`);
  }
  return parts.reduce((out, part, i) => out + pgLiteral(values[i - 1]) + part);
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function pgRunner(target: Pick<PgPoolLike, 'query'>): SqlRunner {
  return async (sql, values = []) => {
    const result = await target.query(numbered(sql), values);
    return { rows: result.rows ?? [], affected: result.rowCount ?? 0 };
  };
}

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
  tableOptions: '',
  inlineIndexes: false,
  addColumn: (table, column, type) =>
    `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column} ${type}`,
  run: (pool) => pgRunner(pool),
  transaction: (pool, work, deadline) =>
    pgTransaction(
      pool,
      async (client) => {
        await client.query('BEGIN');
        return work(pgRunner(client));
      },
      deadline,
    ),
  batch: (pool, statements, deadline) =>
    pgTransaction(
      pool,
      async (client) => {
        // One simple query: BEGIN and every statement; pg answers with one result each.
        const text = ['BEGIN', ...statements.map(inlined)].join(';\n');
        const results = (await client.query(text)) as unknown as PgResult[];
        return results.slice(1).map((r) => ({ rows: r.rows ?? [], affected: r.rowCount ?? 0 }));
      },
      deadline,
    ),
};

/**
 * `work` on one pooled client, which opens the transaction; then COMMIT, or ROLLBACK when it
 * throws or `deadline` has passed.
 */
async function pgTransaction<T>(
  pool: PgPoolLike,
  work: (client: PgClientLike) => Promise<T>,
  deadline: number | undefined,
): Promise<T> {
  let failed: Error | undefined;
  const onError = (err: Error): void => {
    failed ??= err;
  };
  // pg-pool takes its own 'error' listener off a client it hands out: without ours, a
  // connection lost mid-transaction is an uncaught exception. Added in the connect callback,
  // since pg can emit the error in the same socket read that freed the client.
  const client = await new Promise<PgClientLike>((resolve, reject) => {
    pool.connect((err, pooled) => {
      if (err || !pooled) {
        reject(err ?? new Error('the pg pool gave no client'));
        return;
      }
      pooled.on?.('error', onError);
      resolve(pooled);
    });
  });
  try {
    const result = await work(client);
    abandonPastDeadline(deadline);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    failed ??= err as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.removeListener?.('error', onError);
    // A connection that failed mid-transaction is destroyed, not returned to the pool.
    client.release(failed);
  }
}

// ---------------------------------------------------------------------------------------------
// MySQL / MariaDB (mysql2/promise)

interface MysqlQueryOptions {
  sql: string;
  values?: unknown[];
}

/** What a mysql2 query resolves to: rows for SELECT, a header (affectedRows) otherwise. */
type MysqlQueryResult = [unknown, unknown];

/** The part of a `mysql2/promise` PoolConnection used here. */
export interface MysqlConnectionLike {
  query(options: MysqlQueryOptions): Promise<MysqlQueryResult>;
  beginTransaction(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  release(): void;
}

/** The part of a `mysql2/promise` Pool used here. */
export interface MysqlPoolLike {
  query(options: MysqlQueryOptions): Promise<MysqlQueryResult>;
  getConnection(): Promise<MysqlConnectionLike>;
}

function mysqlRunner(target: Pick<MysqlPoolLike, 'query'>): SqlRunner {
  return async (sql, values = []) => {
    const [result] = await target.query({ sql, values });
    if (Array.isArray(result))
      return { rows: result as Array<Record<string, unknown>>, affected: 0 };
    return { rows: [], affected: Number((result as { affectedRows?: number }).affectedRows ?? 0) };
  };
}

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
  tableOptions: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
  inlineIndexes: true,
  // MariaDB has ADD COLUMN IF NOT EXISTS, MySQL 8 does not: migrate() checks first.
  addColumn: (table, column, type) => `ALTER TABLE ${table} ADD COLUMN ${column} ${type}`,
  run: (pool) => mysqlRunner(pool),
  async call(pool, procedure, values) {
    // mysql2 answers a CALL with [rows of each result set…, the CALL's own header].
    const [result] = await pool.query({
      sql: `CALL ${procedure}(${values.map(() => '?').join(', ')})`,
      values,
    });
    const parts: unknown[] = Array.isArray(result) ? result : [result];
    return parts.filter((p): p is Array<Record<string, unknown>> => Array.isArray(p));
  },
  batch(pool, statements, deadline) {
    return this.transaction(
      pool,
      async (sql) => {
        const results: SqlResult[] = [];
        for (const { sql: text, values } of statements) results.push(await sql(text, values));
        return results;
      },
      deadline,
    );
  },
  async transaction(pool, work, deadline) {
    const conn = await pool.getConnection();
    try {
      await conn.beginTransaction();
      const result = await work(mysqlRunner(conn));
      abandonPastDeadline(deadline);
      await conn.commit();
      return result;
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  },
};
