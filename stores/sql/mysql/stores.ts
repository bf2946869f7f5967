/**
 * MySQL/MariaDB stores on the user's `mysql2/promise` pool. Parameterised queries only,
 * database time (`NOW(3)`) only, expired rows ignored by every read; the rotation winner is
 * decided by one conditional UPDATE (affectedRows) inside a transaction.
 */
import type {
  RevocationStore,
  RefreshTokenRegistration,
  RefreshTokenStore,
  RotateResult,
} from '../../../lib/security/stores';
import { SqlStore, ttlSeconds } from '../common';
import { mysqlSchema } from './schema';

interface QueryOptions {
  sql: string;
  values?: unknown[];
  timeout?: number;
}

/** What a mysql2 query resolves to: rows for SELECT, a header (affectedRows) otherwise. */
type QueryResult = [unknown, unknown];

/** The part of a `mysql2/promise` PoolConnection used here. */
export interface MysqlConnectionLike {
  query(options: QueryOptions): Promise<QueryResult>;
  beginTransaction(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  release(): void;
}

/** The part of a `mysql2/promise` Pool used here. */
export interface MysqlPoolLike {
  query(options: QueryOptions): Promise<QueryResult>;
  getConnection(): Promise<MysqlConnectionLike>;
}

export interface MysqlStoreOptions {
  pool: MysqlPoolLike;
  /** Table name prefix ([A-Za-z0-9_]). Default `auth_sdk_`. */
  tablePrefix?: string;
  /** Upper bound of one store operation, in ms (also the mysql2 query timeout). Default 2000. */
  timeoutMs?: number;
}

function affected(result: QueryResult): number {
  return Number((result[0] as { affectedRows?: number }).affectedRows ?? 0);
}

function rows(result: QueryResult): Array<Record<string, unknown>> {
  return Array.isArray(result[0]) ? (result[0] as Array<Record<string, unknown>>) : [];
}

abstract class MysqlStore extends SqlStore<MysqlPoolLike> {
  constructor(options: MysqlStoreOptions) {
    super('mysql', options);
  }

  protected schema(prefix: string | undefined): string[] {
    return mysqlSchema(prefix);
  }

  protected execute(sql: string): Promise<unknown> {
    return this.pool.query({ sql });
  }

  protected q(
    sql: string,
    values: unknown[] = [],
    on: Pick<MysqlPoolLike, 'query'> = this.pool,
  ): Promise<QueryResult> {
    return on.query({ sql, values, timeout: this.timeoutMs });
  }
}

export class MysqlRevocationStore extends MysqlStore implements RevocationStore {
  async revoke(jti: string, ttl: number): Promise<void> {
    const seconds = ttlSeconds(ttl);
    if (seconds <= 0) return;
    await this.run(() =>
      this.q(
        `INSERT INTO ${this.tables.revoked} (jti, expires_at) VALUES (?, NOW(3) + INTERVAL ? SECOND)
         ON DUPLICATE KEY UPDATE expires_at = GREATEST(expires_at, VALUES(expires_at))`,
        [jti, seconds],
      ),
    );
  }

  async isRevoked(jti: string): Promise<boolean> {
    const result = await this.run(() =>
      this.q(`SELECT 1 AS hit FROM ${this.tables.revoked} WHERE jti = ? AND expires_at > NOW(3)`, [
        jti,
      ]),
    );
    return rows(result).length > 0;
  }

  /** Delete expired revocations; resolves to how many rows went. */
  async purgeExpired(): Promise<number> {
    return affected(
      await this.run(() => this.q(`DELETE FROM ${this.tables.revoked} WHERE expires_at <= NOW(3)`)),
    );
  }
}

export class MysqlRefreshTokenStore extends MysqlStore implements RefreshTokenStore {
  async register(
    jti: string,
    { userId, familyId, ttlSeconds: ttl }: RefreshTokenRegistration,
  ): Promise<void> {
    await this.run(() =>
      this.q(
        `INSERT INTO ${this.tables.refresh} (jti, user_id, family_id, state, expires_at)
         VALUES (?, ?, ?, 'active', NOW(3) + INTERVAL ? SECOND)
         ON DUPLICATE KEY UPDATE user_id = VALUES(user_id), family_id = VALUES(family_id),
           state = 'active', expires_at = VALUES(expires_at)`,
        [jti, userId, familyId, ttlSeconds(ttl)],
      ),
    );
  }

  async isValid(jti: string): Promise<boolean> {
    const result = await this.run(() =>
      this.q(
        `SELECT 1 AS hit FROM ${this.tables.refresh} WHERE jti = ? AND state = 'active' AND expires_at > NOW(3)`,
        [jti],
      ),
    );
    return rows(result).length > 0;
  }

  rotate(oldJti: string, newJti: string, ttl: number): Promise<RotateResult> {
    const t = this.tables.refresh;
    return this.run(async () => {
      // run() answers the caller StoreUnavailableError after timeoutMs but cannot stop this
      // function: past that point it must not commit, or the client, told 503, retries with
      // a token already retired and is taken for a thief (its family revoked).
      const abandonAt = Date.now() + this.timeoutMs;
      const conn = await this.pool.getConnection();
      try {
        await conn.beginTransaction();
        // The one statement that decides the winner (row lock; losers see 0 affected rows).
        const won = await this.q(
          `UPDATE ${t} SET state = 'rotated' WHERE jti = ? AND state = 'active' AND expires_at > NOW(3)`,
          [oldJti],
          conn,
        );
        if (affected(won) === 1) {
          const [row] = rows(
            await this.q(`SELECT user_id, family_id FROM ${t} WHERE jti = ?`, [oldJti], conn),
          );
          const userId = String(row.user_id);
          const familyId = String(row.family_id);
          await this.q(
            `INSERT INTO ${t} (jti, user_id, family_id, state, expires_at)
             VALUES (?, ?, ?, 'active', NOW(3) + INTERVAL ? SECOND)
             ON DUPLICATE KEY UPDATE user_id = VALUES(user_id), family_id = VALUES(family_id),
               state = 'active', expires_at = VALUES(expires_at)`,
            [newJti, userId, familyId, ttlSeconds(ttl)],
            conn,
          );
          if (Date.now() >= abandonAt) throw new Error('rotation abandoned: the caller timed out');
          await conn.commit();
          return { status: 'rotated', userId, familyId };
        }
        await conn.commit();
        // Read on the connection already held: a loser asking the pool for a second one
        // while holding the first starves a small pool under a rotation race.
        const [known] = rows(
          await this.q(
            `SELECT user_id, family_id FROM ${t} WHERE jti = ? AND expires_at > NOW(3)`,
            [oldJti],
            conn,
          ),
        );
        if (known === undefined) return { status: 'unknown' };
        return {
          status: 'reused',
          userId: String(known.user_id),
          familyId: String(known.family_id),
        };
      } catch (err) {
        await conn.rollback().catch(() => undefined);
        throw err;
      } finally {
        conn.release();
      }
    });
  }

  async revoke(jti: string): Promise<void> {
    await this.run(() =>
      this.q(
        `UPDATE ${this.tables.refresh} SET state = 'revoked' WHERE jti = ? AND state = 'active'`,
        [jti],
      ),
    );
  }

  revokeFamily(familyId: string): Promise<number> {
    return this.#revokeWhere('family_id', familyId);
  }

  revokeUser(userId: string): Promise<number> {
    return this.#revokeWhere('user_id', userId);
  }

  async #revokeWhere(column: 'family_id' | 'user_id', value: string): Promise<number> {
    const result = await this.run(() =>
      this.q(
        `UPDATE ${this.tables.refresh} SET state = 'revoked'
         WHERE ${column} = ? AND state = 'active' AND expires_at > NOW(3)`,
        [value],
      ),
    );
    return affected(result);
  }

  /** Delete expired rows (retired ones included); resolves to how many went. */
  async purgeExpired(): Promise<number> {
    return affected(
      await this.run(() => this.q(`DELETE FROM ${this.tables.refresh} WHERE expires_at <= NOW(3)`)),
    );
  }
}
