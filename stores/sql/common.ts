/** What the SQL stores share: table naming, time bounds and error mapping. */
import { ConfigurationError, isAuthError, StoreUnavailableError } from '../../lib/core/errors';
import { withTimeout } from '../../lib/core/store-errors';

export const DEFAULT_TABLE_PREFIX = 'auth_sdk_';
const SAFE_NAME = /^[A-Za-z0-9_]{1,48}$/;

export interface SqlTables {
  revoked: string;
  refresh: string;
}

/** Table names from a prefix that can only hold [A-Za-z0-9_] (it is not a bind parameter). */
export function tableNames(prefix: string = DEFAULT_TABLE_PREFIX): SqlTables {
  if (!SAFE_NAME.test(prefix)) {
    throw new ConfigurationError(
      `tablePrefix ${JSON.stringify(prefix)} may only contain letters, digits and _ (at most 48).`,
    );
  }
  return { revoked: `${prefix}revoked_tokens`, refresh: `${prefix}refresh_tokens` };
}

/** Run one store operation with a time bound; every failure becomes StoreUnavailableError. */
export async function runSql<T>(
  store: 'postgres' | 'mysql',
  timeoutMs: number,
  operation: () => Promise<T>,
): Promise<T> {
  try {
    return await withTimeout(operation(), timeoutMs, store);
  } catch (err) {
    if (isAuthError(err)) throw err;
    throw new StoreUnavailableError(`The ${store} store is unavailable`, store, { cause: err });
  }
}

/** Whole seconds of a TTL; ≤ 0 means "already expired". */
export function ttlSeconds(ttl: number): number {
  return Number.isFinite(ttl) ? Math.ceil(ttl) : 0;
}

/**
 * What both SQL dialects' stores share: the pool, checked table names, the time bound and an
 * idempotent `migrate()` running the dialect's schema statements one by one.
 */
export abstract class SqlStore<Pool> {
  protected readonly pool: Pool;
  protected readonly tables: SqlTables;
  protected readonly timeoutMs: number;
  readonly #prefix: string | undefined;

  constructor(
    private readonly dialect: 'postgres' | 'mysql',
    options: { pool: Pool; tablePrefix?: string; timeoutMs?: number },
  ) {
    this.pool = options.pool;
    this.#prefix = options.tablePrefix;
    this.tables = tableNames(options.tablePrefix);
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  protected abstract schema(prefix: string | undefined): string[];
  protected abstract execute(statement: string): Promise<unknown>;

  /** Create the tables and indexes if they do not exist (idempotent). */
  async migrate(): Promise<void> {
    await runSql(this.dialect, 30_000, async () => {
      for (const statement of this.schema(this.#prefix)) await this.execute(statement);
    });
  }

  protected run<T>(operation: () => Promise<T>): Promise<T> {
    return runSql(this.dialect, this.timeoutMs, operation);
  }
}
