/** Entry `auth-sdk-m8/stores/mysql`: the SQL stores on the user's `mysql2/promise` pool. */
import { SqlRateLimitStore } from '../rate-limit-store';
import { SqlRefreshTokenStore, type SqlRefreshTokenStoreOptions } from '../refresh-token-store';
import { SqlRevocationStore } from '../revocation-store';
import { sqlSchema } from '../schema';
import { SqlSessionStore } from '../session-store';
import type { SqlStoreOptions } from '../store-base';
import { mysqlDialect } from './dialect';
import type { MysqlPoolLike } from './driver';

export type { MysqlPoolLike, MysqlConnectionLike } from './driver';
export { DEFAULT_TABLE_PREFIX } from '../tables';
export { createMysqlPool, type MysqlPoolOptions } from './connect';

export type MysqlStoreOptions = SqlStoreOptions<MysqlPoolLike>;

export interface MysqlRefreshTokenStoreOptions extends SqlRefreshTokenStoreOptions<MysqlPoolLike> {
  /**
   * The `MysqlSessionStore` on the same pool: each rotation then advances the session of its
   * family in the same atomic step.
   */
  sessions?: MysqlSessionStore | undefined;
}

/** Access-token revocation in MySQL/MariaDB (database time). */
export class MysqlRevocationStore extends SqlRevocationStore<MysqlPoolLike> {
  constructor(options: MysqlStoreOptions) {
    super(mysqlDialect, options);
  }
}

/** Refresh-token rotation in MySQL/MariaDB: the winner is one conditional UPDATE. */
export class MysqlRefreshTokenStore extends SqlRefreshTokenStore<MysqlPoolLike> {
  constructor(options: MysqlRefreshTokenStoreOptions) {
    super(mysqlDialect, options);
  }
}

/**
 * Rate-limit counters in MySQL/MariaDB (database time): `hitMany` is one CALL of the procedure
 * `<prefix>rate_limit_v1` that `migrate()` creates (without it, a transaction: four round trips).
 */
export class MysqlRateLimitStore extends SqlRateLimitStore<MysqlPoolLike> {
  constructor(options: MysqlStoreOptions) {
    super(mysqlDialect, options);
  }
}

/** Sessions in MySQL/MariaDB. */
export class MysqlSessionStore extends SqlSessionStore<MysqlPoolLike> {
  constructor(options: MysqlStoreOptions) {
    super(mysqlDialect, options);
  }
}

/**
 * The statements `migrate()` runs (also `stores/sql/migrations/mysql.sql`), the stored
 * procedures' `CREATE PROCEDURE` last (migrate() runs each only when it is missing).
 */
export function mysqlSchema(prefix?: string): string[] {
  const { create, routines } = sqlSchema(mysqlDialect, prefix);
  return [...create, ...routines.map((r) => r.create)];
}
