/**
 * node-postgres under the dialect: `?` placeholders numbered, a transaction on one pooled
 * client, and a batch of statements sent with BEGIN as one simple query.
 */
import { abandonPastDeadline, type SqlBatch, type SqlRunner, type SqlStatement } from '../dialect';

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

export function pgRunner(target: Pick<PgPoolLike, 'query'>): SqlRunner {
  return async (sql, values = []) => {
    const result = await target.query(numbered(sql), values);
    return { rows: result.rows ?? [], affected: result.rowCount ?? 0 };
  };
}

/** `work` in one transaction (see `SqlDialect.transaction`). */
export function pgTransaction<T>(
  pool: PgPoolLike,
  work: (run: SqlRunner) => Promise<T>,
  deadline?: number,
): Promise<T> {
  return onPooledClient(
    pool,
    async (client) => {
      await client.query('BEGIN');
      return work(pgRunner(client));
    },
    deadline,
  );
}

/**
 * `BEGIN` and every statement as one simple query, then `COMMIT`: two round trips whatever
 * their number (the values go in as escaped literals).
 */
export const pgBatch: SqlBatch<PgPoolLike> = (pool, statements, deadline) =>
  onPooledClient(
    pool,
    async (client) => {
      // pg answers a simple query of several statements with one result each.
      const text = ['BEGIN', ...statements.map(inlined)].join(';\n');
      const results = (await client.query(text)) as unknown as PgResult[];
      return results.slice(1).map((r) => ({ rows: r.rows ?? [], affected: r.rowCount ?? 0 }));
    },
    deadline,
  );

/**
 * `work` on one pooled client, which opens the transaction; then COMMIT, or ROLLBACK when it
 * throws or `deadline` has passed.
 */
async function onPooledClient<T>(
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
