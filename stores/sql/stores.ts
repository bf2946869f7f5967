/**
 * The SQL stores, written once over a `SqlDialect`: parameterised queries only, expired rows
 * ignored by every read, the rotation winner decided by one conditional UPDATE inside a
 * transaction. `PostgresXxxStore` and `MysqlXxxStore` are these classes bound to a dialect.
 */
import { ConfigurationError } from '../../lib/core/errors';
import { storeFailure } from '../../lib/core/store-errors';
import {
  MAX_LISTED_SESSIONS,
  type RefreshTokenRegistration,
  type RefreshTokenStore,
  type RevocationStore,
  type StoreRotation,
  type SessionAdvance,
  type SessionRecord,
  type SessionStore,
  type StoreRotationOptions,
} from '../../lib/security/store-contracts';
import { boundedListLimit, clipSession } from '../session-fields';
import type { SqlDialect, SqlResult, SqlRunner, SqlStatement } from './dialect';
import { sqlSchema } from './schema';
import { tableNames, type SqlTables } from './tables';

export interface SqlStoreOptions<Pool> {
  pool: Pool;
  /** Table name prefix ([A-Za-z0-9_]). Default `auth_sdk_`. */
  tablePrefix?: string | undefined;
  /** Milliseconds since the epoch (default `Date.now`): session times and rotation grace. */
  clock?: (() => number) | undefined;
}

/** MySQL error numbers the stores act on. */
const ER_SP_ALREADY_EXISTS = 1304;
const ER_SP_DOES_NOT_EXIST = 1305;
const ER_PROCACCESS_DENIED_ERROR = 1370;
const ER_SIGNAL_EXCEPTION = 1644;

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
    const { create, added, routines } = sqlSchema(this.dialect, this.#prefix);
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
      for (const routine of routines) await this.#createRoutine(routine.name, routine.create);
    });
  }

  /**
   * CREATE PROCEDURE when missing (MySQL 8 before 8.0.29 has no IF NOT EXISTS, and OR REPLACE
   * would drop it under running services). Services starting together may both see it
   * missing: the loser's "already exists" (1304) is success.
   */
  async #createRoutine(name: string, create: string): Promise<void> {
    const present = await this.sql(
      `SELECT 1 AS hit FROM information_schema.routines
       WHERE routine_schema = DATABASE() AND routine_name = ? AND routine_type = 'PROCEDURE'`,
      [name],
    );
    if (present.rows.length > 0) return;
    await this.sql(create).catch((err: unknown) => {
      if ((err as { errno?: unknown }).errno !== ER_SP_ALREADY_EXISTS) throw err;
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

export interface SqlRefreshTokenStoreOptions<Pool> extends SqlStoreOptions<Pool> {
  /**
   * The session store (on the same pool) of the auth flows: a rotation then advances the
   * session of its family in the same atomic step (PostgreSQL: the same statement).
   */
  sessions?: SqlSessionStore<Pool> | undefined;
}

/** What one `rotate` call asks for. */
interface RotationPlan {
  oldJti: string;
  newJti: string;
  ttl: number;
  at: number;
  userId: string;
  advance: { family: string; update: SessionAdvance } | undefined;
}

/** What a rotation read: the winner's row and session, or the retired row for a loser. */
interface RotationOutcome {
  won: Record<string, unknown> | undefined;
  session: unknown;
  retired: Record<string, unknown> | undefined;
}

const ABANDONED = 'rotation abandoned: the caller stopped waiting';

/** Sessions tables of the session stores, by store (kept off their public surface). */
const sessionTables = new WeakMap<object, { pool: unknown; table: string }>();

export class SqlRefreshTokenStore<Pool> extends SqlStore<Pool> implements RefreshTokenStore {
  readonly #sessionTable: string | undefined;
  /** MySQL: CALL the rotation procedure (until one finds it missing or not executable). */
  #procedure: boolean;
  /** The server's clock minus ours (ms) as a CALL measured it, ± error, and when. */
  #serverClock: { offset: number; error: number; at: number } | undefined;

  constructor(dialect: SqlDialect<Pool>, options: SqlRefreshTokenStoreOptions<Pool>) {
    super(dialect, options);
    if (options.sessions !== undefined) {
      const linked = sessionTables.get(options.sessions);
      if (linked === undefined || linked.pool !== options.pool) {
        throw new ConfigurationError(
          `${this.constructor.name}: \`sessions\` must be a session store of the same database on the same pool`,
        );
      }
      this.#sessionTable = linked.table;
    }
    // The procedure advances the sessions table of its own prefix only.
    this.#procedure =
      dialect.call !== undefined &&
      (this.#sessionTable === undefined || this.#sessionTable === this.tables.sessions);
  }

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

  async isValid(jti: string, userId: string): Promise<boolean> {
    const result = await this.run(() =>
      this.sql(
        `SELECT 1 AS hit FROM ${this.tables.refresh}
         WHERE jti = ? AND user_id = ? AND state = 'active' AND expires_at > ${this.dialect.now}`,
        [jti, userId],
      ),
    );
    return result.rows.length > 0;
  }

  /**
   * The winner is decided by one conditional UPDATE of the presented row; the successor
   * inherits its user and family in the same transaction, the session of the family (with
   * `sessions`) advances in it, and the retired row is read back for a caller that did not
   * win (a replay inside the grace, or reuse). MySQL: one CALL of the rotation procedure
   * (`migrate()` creates it), else the batch. The statements need no answer in between:
   * PostgreSQL sends them in one round trip and commits in a second; MySQL's batch runs them
   * one by one. Past the caller's deadline the transaction rolls back instead of committing.
   */
  rotate(
    oldJti: string,
    newJti: string,
    ttl: number,
    options: StoreRotationOptions,
  ): Promise<StoreRotation> {
    const plan: RotationPlan = {
      oldJti,
      newJti,
      ttl: wholeSeconds(ttl),
      at: options.nowSeconds ?? this.nowSeconds(),
      userId: options.userId,
      advance:
        this.#sessionTable === undefined ||
        options.familyId === undefined ||
        options.session === undefined
          ? undefined
          : { family: options.familyId, update: options.session },
    };
    const grace = Math.max(0, options.graceSeconds ?? 0);
    return this.run(async () => {
      const called = this.#procedure ? await this.#called(plan, options.deadline) : undefined;
      const outcome = called ?? (await this.#batched(plan, options.deadline));
      if (outcome.won === undefined) return this.#judge(plan, grace, outcome.retired);
      return this.#rotated(plan, String(outcome.won.rotated_family), outcome.session);
    });
  }

  /** The rotation as statements in one transaction (PostgreSQL; MySQL without the procedure). */
  async #batched(plan: RotationPlan, deadline: number | undefined): Promise<RotationOutcome> {
    const postgres = this.dialect.name === 'postgres';
    const statements = postgres ? this.#postgresRotation(plan) : this.#mysqlRotation(plan);
    const results = await this.dialect.batch(this.pool, statements, deadline);
    const retired = results.at(-1)!.rows[0];
    if (postgres) {
      const won = results[0]!.rows[0];
      // row_to_json: an object, or its text when the pool's type parsers leave json alone.
      const session: unknown = won?.session;
      return { won, session: typeof session === 'string' ? JSON.parse(session) : session, retired };
    }
    const won = results[0]!.affected === 1 ? results.at(-2)!.rows[0] : undefined;
    return { won, session: won?.id == null ? null : won, retired };
  }

  /**
   * MySQL: the rotation as one CALL. Resolves to undefined when the procedure is missing or
   * not executable (tables from the shipped .sql without it, a DML-only account): the store
   * then uses the batch for the rest of its life.
   */
  async #called(
    plan: RotationPlan,
    deadline: number | undefined,
  ): Promise<RotationOutcome | undefined> {
    const sent = Date.now();
    const budget = deadline === undefined ? null : deadline - sent;
    if (budget !== null && budget <= 0) throw new Error(ABANDONED);
    const u = plan.advance?.update;
    const values = [
      plan.oldJti,
      plan.newJti,
      plan.userId,
      plan.at,
      plan.ttl,
      plan.advance?.family ?? null,
      u?.accessJti ?? null,
      u?.accessExpiresAt ?? null,
      u?.refreshTokenHash ?? null,
      u?.refreshExpiresAt ?? null,
      u?.lastUsedAt ?? null,
      budget,
      this.#serverDeadline(deadline),
    ];
    let sets: SqlResult['rows'][];
    try {
      sets = await this.dialect.call!(this.pool, this.tables.rotate, values);
    } catch (err) {
      const { errno, message } = err as { errno?: unknown; message?: unknown };
      if (errno === ER_SIGNAL_EXCEPTION) {
        this.#learnServerClock(/server_ms (\d+)/.exec(String(message))?.[1], sent, Date.now());
      }
      if (errno !== ER_SP_DOES_NOT_EXIST && errno !== ER_PROCACCESS_DENIED_ERROR) throw err;
      this.#procedure = false;
      return undefined;
    }
    const row = sets[0]?.[0];
    this.#learnServerClock(row?.server_ms, sent, Date.now());
    if (row === undefined) return { won: undefined, session: undefined, retired: undefined };
    if (Number(row.won) !== 1) return { won: undefined, session: undefined, retired: row };
    return { won: row, session: row.id == null ? null : row, retired: undefined };
  }

  /**
   * The caller's deadline on the server's clock: a CALL that waited in a hung server's socket
   * starts late, which only the server's clock can tell. Until a CALL has measured the
   * server's clock, the clocks are taken to agree (a server ahead by more than the budget then
   * abandons one rotation, whose answer measures it).
   */
  #serverDeadline(deadline: number | undefined): number | null {
    return deadline === undefined ? null : Math.round(deadline + (this.#serverClock?.offset ?? 0));
  }

  /**
   * The server's clock minus ours from a CALL's `server_ms`, read just before the server
   * answered: within the round trip (a tighter measure replaces it, any after a minute, since
   * clocks get stepped). It errs towards a server behind, so towards abandoning early.
   */
  #learnServerClock(serverMs: unknown, sent: number, received: number): void {
    if (serverMs === null || serverMs === undefined) return;
    const error = received - sent;
    const known = this.#serverClock;
    if (known !== undefined && error > known.error && received - known.at < 60_000) return;
    this.#serverClock = { offset: Number(serverMs) - received, error, at: received };
  }

  /** The retired row as a caller that did not win reads it (last statement of a rotation). */
  #retiredRow(plan: RotationPlan): SqlStatement {
    const t = this.tables.refresh;
    const now = this.dialect.now;
    return {
      sql: `SELECT o.family_id, o.state, o.successor_jti, o.rotated_at, n.state AS successor_state
        FROM ${t} o LEFT JOIN ${t} n ON n.jti = o.successor_jti AND n.expires_at > ${now}
        WHERE o.jti = ? AND o.user_id = ? AND o.expires_at > ${now}`,
      values: [plan.oldJti, plan.userId],
    };
  }

  /**
   * PostgreSQL: the deciding UPDATE, the successor's INSERT and the session's UPDATE in one
   * statement (data-modifying CTEs), which returns a row only to the winner; then the retired row.
   */
  #postgresRotation(plan: RotationPlan): SqlStatement[] {
    const t = this.tables.refresh;
    const values: unknown[] = [
      plan.newJti,
      plan.at,
      plan.oldJti,
      plan.userId,
      plan.newJti,
      plan.ttl,
    ];
    let session = '';
    let sessionColumn = 'NULL AS session';
    if (plan.advance !== undefined) {
      const st = this.#sessionTable!;
      const u = plan.advance.update;
      session = `, sess AS (
        UPDATE ${st} SET access_jti = ?, access_expires_at = ?, refresh_token_hash = ?,
          refresh_expires_at = ?, last_used_at = ?
        FROM won WHERE ${st}.user_id = won.user_id AND ${st}.family_id = won.family_id
          AND won.family_id = ? AND ${st}.refresh_expires_at > ?
        RETURNING ${st}.*)`;
      sessionColumn = '(SELECT row_to_json(sess) FROM sess) AS session';
      values.push(
        u.accessJti,
        u.accessExpiresAt,
        u.refreshTokenHash,
        u.refreshExpiresAt,
        u.lastUsedAt,
        plan.advance.family,
        plan.at,
      );
    }
    const rotation = {
      sql: `WITH won AS (
        UPDATE ${t} SET state = 'rotated', successor_jti = ?, rotated_at = ?
        WHERE jti = ? AND user_id = ? AND state = 'active' AND expires_at > now()
        RETURNING user_id, family_id
      ), successor AS (
        INSERT INTO ${t} (jti, user_id, family_id, state, expires_at)
        SELECT ?, user_id, family_id, 'active', now() + ? * interval '1 second' FROM won
        RETURNING jti
      )${session}
      SELECT won.family_id AS rotated_family, ${sessionColumn} FROM won`,
      values,
    };
    return [rotation, this.#retiredRow(plan)];
  }

  /**
   * MySQL: the deciding UPDATE (the winner is who changed a row); the successor and the
   * session, written only when this call retired the row; the read-back of both; the retired row.
   */
  #mysqlRotation(plan: RotationPlan): SqlStatement[] {
    const t = this.tables.refresh;
    const now = this.dialect.now;
    // Matches the retired row only when this call retired it (its successor is `newJti`).
    const mine = `o.jti = ? AND o.user_id = ? AND o.state = 'rotated' AND o.successor_jti = ? AND o.rotated_at = ?`;
    const mineValues = [plan.oldJti, plan.userId, plan.newJti, plan.at];
    const statements: SqlStatement[] = [
      {
        sql: `UPDATE ${t} SET state = 'rotated', successor_jti = ?, rotated_at = ?
          WHERE jti = ? AND user_id = ? AND state = 'active' AND expires_at > ${now}`,
        values: [plan.newJti, plan.at, plan.oldJti, plan.userId],
      },
      {
        sql: `INSERT INTO ${t} (jti, user_id, family_id, state, expires_at)
          SELECT ?, o.user_id, o.family_id, 'active', ${this.dialect.nowPlus('?')} FROM ${t} o WHERE ${mine}`,
        values: [plan.newJti, plan.ttl, ...mineValues],
      },
    ];
    const advance = plan.advance;
    if (advance === undefined) {
      statements.push({
        sql: `SELECT o.family_id AS rotated_family FROM ${t} o WHERE ${mine}`,
        values: mineValues,
      });
    } else {
      const st = this.#sessionTable!;
      const u = advance.update;
      statements.push(
        {
          sql: `UPDATE ${st} s JOIN ${t} o ON ${mine}
              AND s.user_id = o.user_id AND s.family_id = o.family_id
            SET s.access_jti = ?, s.access_expires_at = ?, s.refresh_token_hash = ?,
              s.refresh_expires_at = ?, s.last_used_at = ?
            WHERE o.family_id = ? AND s.refresh_expires_at > ?`,
          values: [
            ...mineValues,
            u.accessJti,
            u.accessExpiresAt,
            u.refreshTokenHash,
            u.refreshExpiresAt,
            u.lastUsedAt,
            advance.family,
            plan.at,
          ],
        },
        {
          sql: `SELECT o.family_id AS rotated_family, s.* FROM ${t} o
            LEFT JOIN ${st} s ON s.user_id = o.user_id AND s.family_id = o.family_id
              AND s.refresh_expires_at > ?
            WHERE ${mine}`,
          values: [plan.at, ...mineValues],
        },
      );
    }
    statements.push(this.#retiredRow(plan));
    return statements;
  }

  /** The rotated result, with the advanced session when one was planned for this family. */
  #rotated(plan: RotationPlan, familyId: string, session: unknown): StoreRotation {
    const rotated: StoreRotation = {
      status: 'rotated',
      userId: plan.userId,
      familyId,
      issuedAt: plan.at,
    };
    if (plan.advance !== undefined && plan.advance.family === familyId) {
      rotated.session =
        session === null || session === undefined
          ? null
          : toSession(session as Record<string, unknown>);
    }
    return rotated;
  }

  /** A presentation that did not win: a replay inside the grace, reuse, or unknown. */
  #judge(
    plan: RotationPlan,
    grace: number,
    known: Record<string, unknown> | undefined,
  ): StoreRotation {
    if (known === undefined) return { status: 'unknown' };
    const userId = plan.userId;
    const familyId = String(known.family_id);
    const rotatedAt = known.rotated_at === null ? undefined : Number(known.rotated_at);
    if (
      known.state === 'rotated' &&
      typeof known.successor_jti === 'string' &&
      rotatedAt !== undefined &&
      grace > 0 &&
      plan.at - rotatedAt <= grace &&
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
  }

  async revoke(jti: string, userId: string): Promise<void> {
    await this.run(() =>
      this.sql(
        `UPDATE ${this.tables.refresh} SET state = 'revoked'
         WHERE jti = ? AND user_id = ? AND state = 'active'`,
        [jti, userId],
      ),
    );
  }

  revokeFamily(familyId: string, userId: string): Promise<number> {
    return this.#revokeWhere(userId, familyId);
  }

  revokeUser(userId: string): Promise<number> {
    return this.#revokeWhere(userId);
  }

  /** Revoke the active tokens of `userId`, of one family when `familyId` is given. */
  async #revokeWhere(userId: string, familyId?: string): Promise<number> {
    const family = familyId === undefined ? '' : 'AND family_id = ?';
    const result = await this.run(() =>
      this.sql(
        `UPDATE ${this.tables.refresh} SET state = 'revoked'
         WHERE user_id = ? ${family} AND state = 'active' AND expires_at > ${this.dialect.now}`,
        familyId === undefined ? [userId] : [userId, familyId],
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
