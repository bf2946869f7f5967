/** Sessions in one SQL table; times are epoch seconds of the application's clock. */
import {
  MAX_LISTED_SESSIONS,
  type SessionAdvance,
  type SessionRecord,
  type SessionStore,
} from '../../lib/security/store-contracts';
import { boundedListLimit, clipSession } from '../session-fields';
import type { SqlDialect } from './dialect';
import {
  advanceAssignments,
  advanceValues,
  SESSION_COLUMNS,
  sessionValues,
  toSession,
} from './session-rows';
import { SqlStore, type SqlStoreOptions } from './store-base';

/** Sessions tables of the session stores, by store (kept off their public surface). */
const sessionTables = new WeakMap<object, { pool: unknown; table: string }>();

/**
 * The sessions table of `sessions` when it is a SQL session store on `pool`, for a refresh
 * store that advances sessions in its rotation; undefined otherwise.
 */
export function linkedSessionTable(sessions: object, pool: unknown): string | undefined {
  const linked = sessionTables.get(sessions);
  return linked !== undefined && linked.pool === pool ? linked.table : undefined;
}

export class SqlSessionStore<Pool> extends SqlStore<Pool> implements SessionStore {
  constructor(dialect: SqlDialect<Pool>, options: SqlStoreOptions<Pool>) {
    super(dialect, options);
    sessionTables.set(this, { pool: options.pool, table: this.tables.sessions });
  }

  async create(session: SessionRecord): Promise<void> {
    const s = clipSession(session);
    if (s.refreshExpiresAt <= this.nowSeconds()) return; // born expired: nothing to keep
    await this.run(() =>
      this.sql(
        `INSERT INTO ${this.tables.sessions} (${SESSION_COLUMNS.join(', ')})
         VALUES (${SESSION_COLUMNS.map(() => '?').join(', ')})`,
        sessionValues(s),
      ),
    );
  }

  advance(
    userId: string,
    familyId: string,
    update: SessionAdvance,
  ): Promise<SessionRecord | undefined> {
    const t = this.tables.sessions;
    return this.transaction(async (sql) => {
      const changed = await sql(
        `UPDATE ${t} SET ${advanceAssignments()}
           WHERE user_id = ? AND family_id = ? AND refresh_expires_at > ?`,
        [...advanceValues(update), userId, familyId, this.nowSeconds()],
      );
      if (changed.affected === 0) return undefined;
      const [row] = (
        await sql(`SELECT * FROM ${t} WHERE user_id = ? AND family_id = ?`, [userId, familyId])
      ).rows;
      return row === undefined ? undefined : toSession(row);
    });
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
    return this.transaction(async (sql) => {
      const { rows } = await sql(
        `SELECT * FROM ${t} WHERE user_id = ? AND refresh_expires_at > ?
           ORDER BY created_at DESC, id ASC FOR UPDATE`,
        [userId, this.nowSeconds()],
      );
      await sql(`DELETE FROM ${t} WHERE user_id = ?`, [userId]);
      return rows.map(toSession);
    });
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
    return this.transaction(async (sql) => {
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
    });
  }
}
