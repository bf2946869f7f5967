/**
 * What every SQL store shares: its pool, dialect and tables, `migrate()`, and the translation
 * of driver failures. The stores are written once over a `SqlDialect`: parameterised queries
 * only, expired rows ignored by every read. `PostgresXxxStore` and `MysqlXxxStore` are these
 * classes bound to a dialect.
 */
import { storeFailure } from '../../lib/core/store-errors';
import type { SqlDialect, SqlRunner } from './dialect';
import { sqlSchema } from './schema';
import { tableNames, type SqlTables } from './tables';

export interface SqlStoreOptions<Pool> {
  pool: Pool;
  /** Table name prefix ([A-Za-z0-9_]). Default `auth_sdk_`. */
  tablePrefix?: string | undefined;
  /** Milliseconds since the epoch (default `Date.now`): session times and rotation grace. */
  clock?: (() => number) | undefined;
}

/** Whole seconds of a TTL; ≤ 0 means "already expired". */
export function wholeSeconds(ttl: number): number {
  return Number.isFinite(ttl) ? Math.ceil(ttl) : 0;
}

export abstract class SqlStore<Pool> {
  protected readonly pool: Pool;
  protected readonly tables: SqlTables;
  protected readonly sql: SqlRunner;
  protected readonly clock: () => number;
  readonly #prefix: string | undefined;

  constructor(
    protected readonly dialect: SqlDialect<Pool>,
    options: SqlStoreOptions<Pool>,
  ) {
    this.pool = options.pool;
    this.#prefix = options.tablePrefix;
    this.tables = tableNames(options.tablePrefix);
    this.sql = dialect.run(options.pool);
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Create the tables and indexes if they do not exist, and add columns that tables of an
   * earlier release lack (idempotent). Needs DDL rights; a service running as a DML-only role
   * can skip it when the tables were created from `stores/sql/migrations/*.sql`.
   */
  async migrate(): Promise<void> {
    const { create, added, routines } = sqlSchema(this.dialect, this.#prefix);
    await this.run(async () => {
      for (const statement of create) await this.sql(statement);
      for (const column of added) await this.dialect.ensureColumn(this.sql, column);
      for (const routine of routines) await this.dialect.ensureRoutine(this.sql, routine);
    });
  }

  /** Every driver failure becomes `StoreUnavailableError` naming the driver's reason. */
  protected async run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw storeFailure(this.dialect.name, err);
    }
  }

  /** `work` in one transaction, driver failures translated as `run` does. */
  protected transaction<T>(work: (sql: SqlRunner) => Promise<T>): Promise<T> {
    return this.run(() => this.dialect.transaction(this.pool, work));
  }

  /** Deletes the rows of `table` whose `expires_at` has passed on the server's clock. */
  protected async purgeExpiredRows(table: string): Promise<number> {
    const result = await this.run(() =>
      this.sql(`DELETE FROM ${table} WHERE expires_at <= ${this.dialect.now}`),
    );
    return result.affected;
  }

  protected nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }
}
