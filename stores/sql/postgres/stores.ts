/**
 * PostgreSQL stores on the user's `pg.Pool`. Parameterised queries only, database time
 * (`now()`) only, expired rows ignored by every read; the rotation winner is decided by one
 * conditional UPDATE … RETURNING inside a transaction.
 */
import type {
  RevocationStore,
  RefreshTokenRegistration,
  RefreshTokenStore,
  RotateResult,
} from '../../../lib/security/stores';
import { SqlStore, ttlSeconds } from '../common';
import { postgresSchema } from './schema';

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
  connect(): Promise<PgClientLike>;
  connect(callback: (err: Error | undefined, client: PgClientLike | undefined) => void): void;
}

export interface PostgresStoreOptions {
  pool: PgPoolLike;
  /** Table name prefix ([A-Za-z0-9_]). Default `auth_sdk_`. */
  tablePrefix?: string;
  /** Upper bound of one store operation, in ms. Default 2000. */
  timeoutMs?: number;
}

abstract class PostgresStore extends SqlStore<PgPoolLike> {
  constructor(options: PostgresStoreOptions) {
    super('postgres', options);
  }

  protected schema(prefix: string | undefined): string[] {
    return postgresSchema(prefix);
  }

  protected execute(statement: string): Promise<unknown> {
    return this.pool.query(statement);
  }
}

export class PostgresRevocationStore extends PostgresStore implements RevocationStore {
  async revoke(jti: string, ttl: number): Promise<void> {
    const seconds = ttlSeconds(ttl);
    if (seconds <= 0) return;
    const t = this.tables.revoked;
    await this.run(() =>
      this.pool.query(
        `INSERT INTO ${t} (jti, expires_at) VALUES ($1, now() + $2 * interval '1 second')
         ON CONFLICT (jti) DO UPDATE SET expires_at = GREATEST(${t}.expires_at, EXCLUDED.expires_at)`,
        [jti, seconds],
      ),
    );
  }

  async isRevoked(jti: string): Promise<boolean> {
    const result = await this.run(() =>
      this.pool.query(
        `SELECT 1 FROM ${this.tables.revoked} WHERE jti = $1 AND expires_at > now()`,
        [jti],
      ),
    );
    return result.rows.length > 0;
  }

  /** Delete expired revocations; resolves to how many rows went. */
  async purgeExpired(): Promise<number> {
    const result = await this.run(() =>
      this.pool.query(`DELETE FROM ${this.tables.revoked} WHERE expires_at <= now()`),
    );
    return result.rowCount ?? 0;
  }
}

export class PostgresRefreshTokenStore extends PostgresStore implements RefreshTokenStore {
  async register(
    jti: string,
    { userId, familyId, ttlSeconds: ttl }: RefreshTokenRegistration,
  ): Promise<void> {
    const t = this.tables.refresh;
    await this.run(() =>
      this.pool.query(
        `INSERT INTO ${t} (jti, user_id, family_id, state, expires_at)
         VALUES ($1, $2, $3, 'active', now() + $4 * interval '1 second')
         ON CONFLICT (jti) DO UPDATE SET user_id = EXCLUDED.user_id, family_id = EXCLUDED.family_id,
           state = 'active', expires_at = EXCLUDED.expires_at`,
        [jti, userId, familyId, ttlSeconds(ttl)],
      ),
    );
  }

  async isValid(jti: string): Promise<boolean> {
    const result = await this.run(() =>
      this.pool.query(
        `SELECT 1 FROM ${this.tables.refresh} WHERE jti = $1 AND state = 'active' AND expires_at > now()`,
        [jti],
      ),
    );
    return result.rows.length > 0;
  }

  rotate(oldJti: string, newJti: string, ttl: number): Promise<RotateResult> {
    const t = this.tables.refresh;
    return this.run(async () => {
      // run() answers the caller StoreUnavailableError after timeoutMs but cannot stop this
      // function: past that point it must not commit, or the client, told 503, retries with
      // a token already retired and is taken for a thief (its family revoked).
      const abandonAt = Date.now() + this.timeoutMs;
      let failed: Error | undefined;
      // A checked-out pg client has no 'error' listener of the pool's: without this one, a
      // connection lost while the rotation holds it is an uncaught exception (the process dies).
      // It is added in the connect callback: after `await pool.connect()` it would come too
      // late, as pg can emit the error in the very run (one socket read) that freed the client.
      const onError = (err: Error): void => {
        failed ??= err;
      };
      const client = await new Promise<PgClientLike>((resolve, reject) => {
        this.pool.connect((err, pooled) => {
          if (err || !pooled) {
            reject(err ?? new Error('the pg pool gave no client'));
            return;
          }
          pooled.on?.('error', onError);
          resolve(pooled);
        });
      });
      try {
        await client.query('BEGIN');
        // The one statement that decides the winner: only one UPDATE can see state 'active'.
        const won = await client.query(
          `UPDATE ${t} SET state = 'rotated'
           WHERE jti = $1 AND state = 'active' AND expires_at > now()
           RETURNING user_id, family_id`,
          [oldJti],
        );
        if (won.rows.length === 1) {
          const { user_id: userId, family_id: familyId } = won.rows[0] as {
            user_id: string;
            family_id: string;
          };
          await client.query(
            `INSERT INTO ${t} (jti, user_id, family_id, state, expires_at)
             VALUES ($1, $2, $3, 'active', now() + $4 * interval '1 second')
             ON CONFLICT (jti) DO UPDATE SET user_id = EXCLUDED.user_id, family_id = EXCLUDED.family_id,
               state = 'active', expires_at = EXCLUDED.expires_at`,
            [newJti, userId, familyId, ttlSeconds(ttl)],
          );
          if (Date.now() >= abandonAt) throw new Error('rotation abandoned: the caller timed out');
          await client.query('COMMIT');
          return { status: 'rotated', userId, familyId };
        }
        await client.query('COMMIT');
        // Read on the connection already held: a loser asking the pool for a second one
        // while holding the first starves a small pool under a rotation race.
        const known = await client.query(
          `SELECT user_id, family_id FROM ${t} WHERE jti = $1 AND expires_at > now()`,
          [oldJti],
        );
        if (known.rows.length === 0) return { status: 'unknown' };
        const { user_id: userId, family_id: familyId } = known.rows[0] as {
          user_id: string;
          family_id: string;
        };
        return { status: 'reused', userId, familyId };
      } catch (err) {
        failed = err as Error;
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.removeListener?.('error', onError);
        client.release(failed);
      }
    });
  }

  async revoke(jti: string): Promise<void> {
    await this.run(() =>
      this.pool.query(
        `UPDATE ${this.tables.refresh} SET state = 'revoked' WHERE jti = $1 AND state = 'active'`,
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
      this.pool.query(
        `UPDATE ${this.tables.refresh} SET state = 'revoked'
         WHERE ${column} = $1 AND state = 'active' AND expires_at > now()`,
        [value],
      ),
    );
    return result.rowCount ?? 0;
  }

  /** Delete expired rows (retired ones included); resolves to how many went. */
  async purgeExpired(): Promise<number> {
    const result = await this.run(() =>
      this.pool.query(`DELETE FROM ${this.tables.refresh} WHERE expires_at <= now()`),
    );
    return result.rowCount ?? 0;
  }
}
