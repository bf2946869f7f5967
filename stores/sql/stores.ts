/**
 * The SQL stores, written once over a `SqlDialect`: parameterised queries only, expired rows
 * ignored by every read, the rotation winner decided by one conditional UPDATE inside a
 * transaction. `PostgresXxxStore` and `MysqlXxxStore` are these classes bound to a dialect.
 */
import { storeFailure } from '../../lib/core/store-errors';
import {
  MAX_LISTED_SESSIONS,
  type RefreshTokenRegistration,
  type RefreshTokenStore,
  type RevocationStore,
  type RotateResult,
  type SessionAdvance,
  type SessionRecord,
  type SessionStore,
  type StoreRotateOptions,
} from '../../lib/security/stores';
import { boundedListLimit, clipSession } from '../session-fields';
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
function wholeSeconds(ttl: number): number {
  return Number.isFinite(ttl) ? Math.ceil(ttl) : 0;
}

abstract class SqlStore<Pool> {
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
    const { create, added } = sqlSchema(this.dialect, this.#prefix);
    await this.run(async () => {
      for (const statement of create) await this.sql(statement);
      for (const { table, column, type } of added) {
        if (this.dialect.name === 'mysql') {
          const present = await this.sql(
            `SELECT 1 AS hit FROM information_schema.columns
             WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?`,
            [table, column],
          );
          if (present.rows.length > 0) continue;
        }
        await this.sql(this.dialect.addColumn(table, column, type));
      }
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

  protected nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }
}

export class SqlRevocationStore<Pool> extends SqlStore<Pool> implements RevocationStore {
  async revoke(jti: string, ttl: number): Promise<void> {
    const seconds = wholeSeconds(ttl);
    if (seconds <= 0) return;
    const t = this.tables.revoked;
    const d = this.dialect;
    await this.run(() =>
      this.sql(
        `INSERT INTO ${t} (jti, expires_at) VALUES (?, ${d.nowPlus('?')})
         ${d.upsert('jti', [`expires_at = GREATEST(${t}.expires_at, ${d.inserted('expires_at')})`])}`,
        [jti, seconds],
      ),
    );
  }

  async isRevoked(jti: string): Promise<boolean> {
    const result = await this.run(() =>
      this.sql(
        `SELECT 1 AS hit FROM ${this.tables.revoked} WHERE jti = ? AND expires_at > ${this.dialect.now}`,
        [jti],
      ),
    );
    return result.rows.length > 0;
  }

  /** Delete expired revocations; resolves to how many rows went. */
  async purgeExpired(): Promise<number> {
    const result = await this.run(() =>
      this.sql(`DELETE FROM ${this.tables.revoked} WHERE expires_at <= ${this.dialect.now}`),
    );
    return result.affected;
  }
}

export class SqlRefreshTokenStore<Pool> extends SqlStore<Pool> implements RefreshTokenStore {
  /** INSERT … upsert of an active token (`?` × 4: jti, user, family, ttl seconds). */
  #activate(): string {
    const d = this.dialect;
    return `INSERT INTO ${this.tables.refresh} (jti, user_id, family_id, state, expires_at)
      VALUES (?, ?, ?, 'active', ${d.nowPlus('?')})
      ${d.upsert('jti', [
        `user_id = ${d.inserted('user_id')}`,
        `family_id = ${d.inserted('family_id')}`,
        `state = 'active'`,
        `expires_at = ${d.inserted('expires_at')}`,
        'successor_jti = NULL',
        'rotated_at = NULL',
      ])}`;
  }

  async register(
    jti: string,
    { userId, familyId, ttlSeconds: ttl }: RefreshTokenRegistration,
  ): Promise<void> {
    await this.run(() => this.sql(this.#activate(), [jti, userId, familyId, wholeSeconds(ttl)]));
  }

  async isValid(jti: string): Promise<boolean> {
    const result = await this.run(() =>
      this.sql(
        `SELECT 1 AS hit FROM ${this.tables.refresh}
         WHERE jti = ? AND state = 'active' AND expires_at > ${this.dialect.now}`,
        [jti],
      ),
    );
    return result.rows.length > 0;
  }

  /**
   * One transaction on one connection, two round trips for the winner (the conditional
   * UPDATE that decides it, then the INSERT of the successor); a loser reads the retired row
   * and, inside the grace, its successor, on the connection it already holds (asking the pool
   * for a second one while holding the first starves a small pool under a race).
   */
  rotate(
    oldJti: string,
    newJti: string,
    ttl: number,
    options: StoreRotateOptions = {},
  ): Promise<RotateResult> {
    const t = this.tables.refresh;
    const now = this.dialect.now;
    const at = options.nowSeconds ?? this.nowSeconds();
    const grace = Math.max(0, options.graceSeconds ?? 0);
    return this.run(() =>
      this.dialect.transaction(
        this.pool,
        async (sql): Promise<RotateResult> => {
          const won = await sql(
            `UPDATE ${t} SET state = 'rotated', successor_jti = ?, rotated_at = ?
           WHERE jti = ? AND state = 'active' AND expires_at > ${now}`,
            [newJti, at, oldJti],
          );
          if (won.affected === 1) {
            // The successor inherits user and family from the retired row, in the same statement.
            await sql(
              `INSERT INTO ${t} (jti, user_id, family_id, state, expires_at)
             SELECT ?, user_id, family_id, 'active', ${this.dialect.nowPlus('?')} FROM ${t} WHERE jti = ?`,
              [newJti, wholeSeconds(ttl), oldJti],
            );
            const [row] = (await sql(`SELECT user_id, family_id FROM ${t} WHERE jti = ?`, [newJti]))
              .rows;
            return {
              status: 'rotated',
              userId: String(row!.user_id),
              familyId: String(row!.family_id),
              issuedAt: at,
            };
          }
          const [known] = (
            await sql(
              `SELECT o.user_id, o.family_id, o.state, o.successor_jti, o.rotated_at, n.state AS successor_state
             FROM ${t} o LEFT JOIN ${t} n ON n.jti = o.successor_jti AND n.expires_at > ${now}
             WHERE o.jti = ? AND o.expires_at > ${now}`,
              [oldJti],
            )
          ).rows;
          if (known === undefined) return { status: 'unknown' };
          const userId = String(known.user_id);
          const familyId = String(known.family_id);
          const rotatedAt = known.rotated_at === null ? undefined : Number(known.rotated_at);
          if (
            known.state === 'rotated' &&
            typeof known.successor_jti === 'string' &&
            rotatedAt !== undefined &&
            grace > 0 &&
            at - rotatedAt <= grace &&
            known.successor_state === 'active'
          ) {
            return {
              status: 'replayed',
              userId,
              familyId,
              jti: known.successor_jti,
              issuedAt: rotatedAt,
            };
          }
          return { status: 'reused', userId, familyId };
        },
        options.deadline,
      ),
    );
  }

  async revoke(jti: string): Promise<void> {
    await this.run(() =>
      this.sql(
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
      this.sql(
        `UPDATE ${this.tables.refresh} SET state = 'revoked'
         WHERE ${column} = ? AND state = 'active' AND expires_at > ${this.dialect.now}`,
        [value],
      ),
    );
    return result.affected;
  }

  /** Delete expired rows (retired ones included); resolves to how many went. */
  async purgeExpired(): Promise<number> {
    const result = await this.run(() =>
      this.sql(`DELETE FROM ${this.tables.refresh} WHERE expires_at <= ${this.dialect.now}`),
    );
    return result.affected;
  }
}

const SESSION_COLUMNS = [
  'id',
  'user_id',
  'family_id',
  'provider',
  'access_jti',
  'access_expires_at',
  'refresh_token_hash',
  'refresh_expires_at',
  'created_at',
  'last_used_at',
  'user_agent',
  'ip',
] as const;

function toSession(row: Record<string, unknown>): SessionRecord {
  const session: SessionRecord = {
    id: String(row.id),
    userId: String(row.user_id),
    familyId: String(row.family_id),
    provider: String(row.provider),
    accessJti: String(row.access_jti),
    accessExpiresAt: Number(row.access_expires_at),
    refreshTokenHash: String(row.refresh_token_hash),
    refreshExpiresAt: Number(row.refresh_expires_at),
    createdAt: Number(row.created_at),
    lastUsedAt: Number(row.last_used_at),
  };
  if (row.user_agent !== null && row.user_agent !== undefined)
    session.userAgent = String(row.user_agent);
  if (row.ip !== null && row.ip !== undefined) session.ip = String(row.ip);
  return session;
}

/** Sessions in one table; times are epoch seconds of the application's clock. */
export class SqlSessionStore<Pool> extends SqlStore<Pool> implements SessionStore {
  async create(session: SessionRecord): Promise<void> {
    const s = clipSession(session);
    if (s.refreshExpiresAt <= this.nowSeconds()) return; // born expired: nothing to keep
    await this.run(() =>
      this.sql(
        `INSERT INTO ${this.tables.sessions} (${SESSION_COLUMNS.join(', ')})
         VALUES (${SESSION_COLUMNS.map(() => '?').join(', ')})`,
        [
          s.id,
          s.userId,
          s.familyId,
          s.provider,
          s.accessJti,
          s.accessExpiresAt,
          s.refreshTokenHash,
          s.refreshExpiresAt,
          s.createdAt,
          s.lastUsedAt,
          s.userAgent ?? null,
          s.ip ?? null,
        ],
      ),
    );
  }

  advance(
    userId: string,
    familyId: string,
    update: SessionAdvance,
  ): Promise<SessionRecord | undefined> {
    const t = this.tables.sessions;
    return this.run(() =>
      this.dialect.transaction(this.pool, async (sql) => {
        const changed = await sql(
          `UPDATE ${t} SET access_jti = ?, access_expires_at = ?, refresh_token_hash = ?,
             refresh_expires_at = ?, last_used_at = ?
           WHERE user_id = ? AND family_id = ? AND refresh_expires_at > ?`,
          [
            update.accessJti,
            update.accessExpiresAt,
            update.refreshTokenHash,
            update.refreshExpiresAt,
            update.lastUsedAt,
            userId,
            familyId,
            this.nowSeconds(),
          ],
        );
        if (changed.affected === 0) return undefined;
        const [row] = (
          await sql(`SELECT * FROM ${t} WHERE user_id = ? AND family_id = ?`, [userId, familyId])
        ).rows;
        return row === undefined ? undefined : toSession(row);
      }),
    );
  }

  get(userId: string, sessionId: string): Promise<SessionRecord | undefined> {
    return this.#one('id', userId, sessionId);
  }

  getByFamily(userId: string, familyId: string): Promise<SessionRecord | undefined> {
    return this.#one('family_id', userId, familyId);
  }

  async list(userId: string, limit: number = MAX_LISTED_SESSIONS): Promise<SessionRecord[]> {
    const result = await this.run(() =>
      this.sql(
        `SELECT * FROM ${this.tables.sessions} WHERE user_id = ? AND refresh_expires_at > ?
         ORDER BY created_at DESC, id ASC LIMIT ${boundedListLimit(limit)}`,
        [userId, this.nowSeconds()],
      ),
    );
    return result.rows.map(toSession);
  }

  revoke(userId: string, sessionId: string): Promise<SessionRecord | undefined> {
    return this.#end('id', userId, sessionId);
  }

  revokeByFamily(userId: string, familyId: string): Promise<SessionRecord | undefined> {
    return this.#end('family_id', userId, familyId);
  }

  revokeAll(userId: string): Promise<SessionRecord[]> {
    const t = this.tables.sessions;
    return this.run(() =>
      this.dialect.transaction(this.pool, async (sql) => {
        const { rows } = await sql(
          `SELECT * FROM ${t} WHERE user_id = ? AND refresh_expires_at > ?
           ORDER BY created_at DESC, id ASC FOR UPDATE`,
          [userId, this.nowSeconds()],
        );
        await sql(`DELETE FROM ${t} WHERE user_id = ?`, [userId]);
        return rows.map(toSession);
      }),
    );
  }

  /** Delete expired sessions; resolves to how many went. */
  async purgeExpired(): Promise<number> {
    const result = await this.run(() =>
      this.sql(`DELETE FROM ${this.tables.sessions} WHERE refresh_expires_at <= ?`, [
        this.nowSeconds(),
      ]),
    );
    return result.affected;
  }

  async #one(
    column: 'id' | 'family_id',
    userId: string,
    value: string,
  ): Promise<SessionRecord | undefined> {
    const result = await this.run(() =>
      this.sql(
        `SELECT * FROM ${this.tables.sessions}
         WHERE ${column} = ? AND user_id = ? AND refresh_expires_at > ?`,
        [value, userId, this.nowSeconds()],
      ),
    );
    const [row] = result.rows;
    return row === undefined ? undefined : toSession(row);
  }

  #end(
    column: 'id' | 'family_id',
    userId: string,
    value: string,
  ): Promise<SessionRecord | undefined> {
    const t = this.tables.sessions;
    return this.run(() =>
      this.dialect.transaction(this.pool, async (sql) => {
        const [row] = (
          await sql(
            `SELECT * FROM ${t} WHERE ${column} = ? AND user_id = ? AND refresh_expires_at > ? FOR UPDATE`,
            [value, userId, this.nowSeconds()],
          )
        ).rows;
        if (row === undefined) return undefined;
        // Only one concurrent revoke deletes the row; the others report nothing ended.
        const gone = await sql(`DELETE FROM ${t} WHERE id = ?`, [row.id]);
        return gone.affected === 1 ? toSession(row) : undefined;
      }),
    );
  }
}
