/** Entry `auth-sdk-m8/stores/postgres`: the SQL stores on the user's `pg.Pool`. */
import { SqlRateLimitStore } from '../rate-limit-store';
import { SqlRefreshTokenStore, type SqlRefreshTokenStoreOptions } from '../refresh-token-store';
import { SqlRevocationStore } from '../revocation-store';
import { sqlSchema } from '../schema';
import { SqlSessionStore } from '../session-store';
import type { SqlStoreOptions } from '../store-base';
import { postgresDialect } from './dialect';
import type { PgPoolLike } from './driver';

export type { PgPoolLike, PgClientLike } from './driver';
export { DEFAULT_TABLE_PREFIX } from '../tables';
export { createPgPool, type PgPoolOptions } from './connect';

export type PostgresStoreOptions = SqlStoreOptions<PgPoolLike>;

export interface PostgresRefreshTokenStoreOptions extends SqlRefreshTokenStoreOptions<PgPoolLike> {
  /**
   * The `PostgresSessionStore` on the same pool: each rotation then advances the session of its
   * family in the same atomic step.
   */
  sessions?: PostgresSessionStore | undefined;
}

/** Access-token revocation in PostgreSQL (database time). */
export class PostgresRevocationStore extends SqlRevocationStore<PgPoolLike> {
  constructor(options: PostgresStoreOptions) {
    super(postgresDialect, options);
  }
}

/** Refresh-token rotation in PostgreSQL: the winner is one conditional UPDATE. */
export class PostgresRefreshTokenStore extends SqlRefreshTokenStore<PgPoolLike> {
  constructor(options: PostgresRefreshTokenStoreOptions) {
    super(postgresDialect, options);
  }
}

/**
 * Rate-limit counters in PostgreSQL (database time): `hitMany` is one statement for all its
 * keys (`INSERT … ON CONFLICT … RETURNING`), one round trip.
 */
export class PostgresRateLimitStore extends SqlRateLimitStore<PgPoolLike> {
  constructor(options: PostgresStoreOptions) {
    super(postgresDialect, options);
  }
}

/** Sessions in PostgreSQL. */
export class PostgresSessionStore extends SqlSessionStore<PgPoolLike> {
  constructor(options: PostgresStoreOptions) {
    super(postgresDialect, options);
  }
}

/** The statements `migrate()` runs (also `stores/sql/migrations/postgres.sql`). */
export function postgresSchema(prefix?: string): string[] {
  return sqlSchema(postgresDialect, prefix).create;
}
