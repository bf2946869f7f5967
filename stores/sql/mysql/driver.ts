/**
 * mysql2/promise under the dialect: a statement, a transaction on one pooled connection, a
 * batch run statement by statement, and a CALL with its result sets.
 */
import { abandonPastDeadline, type SqlBatch, type SqlResult, type SqlRunner } from '../dialect';

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

export function mysqlRunner(target: Pick<MysqlPoolLike, 'query'>): SqlRunner {
  return async (sql, values = []) => {
    const [result] = await target.query({ sql, values });
    if (Array.isArray(result))
      return { rows: result as Array<Record<string, unknown>>, affected: 0 };
    return { rows: [], affected: Number((result as { affectedRows?: number }).affectedRows ?? 0) };
  };
}

/** `work` in one transaction (see `SqlDialect.transaction`). */
export async function mysqlTransaction<T>(
  pool: MysqlPoolLike,
  work: (run: SqlRunner) => Promise<T>,
  deadline?: number,
): Promise<T> {
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
}

/** The statements one round trip each, in one transaction. */
export const mysqlBatch: SqlBatch<MysqlPoolLike> = (pool, statements, deadline) =>
  mysqlTransaction(
    pool,
    async (sql) => {
      const results: SqlResult[] = [];
      for (const { sql: text, values } of statements) results.push(await sql(text, values));
      return results;
    },
    deadline,
  );

/** `CALL procedure(?, …)` in one round trip; resolves to the rows of each result set. */
export async function mysqlCall(
  pool: MysqlPoolLike,
  procedure: string,
  values: unknown[],
): Promise<SqlResult['rows'][]> {
  // mysql2 answers a CALL with [rows of each result set…, the CALL's own header].
  const [result] = await pool.query({
    sql: `CALL ${procedure}(${values.map(() => '?').join(', ')})`,
    values,
  });
  const parts: unknown[] = Array.isArray(result) ? result : [result];
  return parts.filter((p): p is Array<Record<string, unknown>> => Array.isArray(p));
}
