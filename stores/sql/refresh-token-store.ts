/**
 * Refresh tokens in one SQL table. The rotation winner is decided by one conditional UPDATE
 * inside a transaction, run by the dialect's rotation strategy (`rotation/`).
 */
import { ConfigurationError } from '../../lib/core/errors';
import type {
  RefreshRevocationOptions,
  RefreshTokenRegistration,
  RefreshTokenStore,
  RevokedRefreshToken,
  StoreRotation,
  StoreRotationOptions,
} from '../../lib/security/store-contracts';
import type { SqlDialect } from './dialect';
import type { RotationPlan, RotationStrategy } from './rotation/strategy';
import { toSession } from './session-rows';
import { linkedSessionTable, type SqlSessionStore } from './session-store';
import { SqlStore, wholeSeconds, type SqlStoreOptions } from './store-base';
import { revokeTokens } from './token-revocation';

export interface SqlRefreshTokenStoreOptions<Pool> extends SqlStoreOptions<Pool> {
  /**
   * The session store (on the same pool) of the auth flows: a rotation then advances the
   * session of its family in the same atomic step (PostgreSQL: the same statement).
   */
  sessions?: SqlSessionStore<Pool> | undefined;
}

export class SqlRefreshTokenStore<Pool> extends SqlStore<Pool> implements RefreshTokenStore {
  readonly #sessionTable: string | undefined;
  readonly #rotation: RotationStrategy;

  constructor(dialect: SqlDialect<Pool>, options: SqlRefreshTokenStoreOptions<Pool>) {
    super(dialect, options);
    if (options.sessions !== undefined) {
      this.#sessionTable = linkedSessionTable(options.sessions, options.pool);
      if (this.#sessionTable === undefined) {
        throw new ConfigurationError(
          `${this.constructor.name}: \`sessions\` must be a session store of the same database on the same pool`,
        );
      }
    }
    this.#rotation = dialect.rotation({
      pool: options.pool,
      dialect,
      tables: this.tables,
      sessionTable: this.#sessionTable,
    });
  }

  async register(
    jti: string,
    { userId, familyId, ttlSeconds: ttl, issuedAt }: RefreshTokenRegistration,
  ): Promise<void> {
    const d = this.dialect;
    await this.run(() =>
      this.sql(
        `INSERT INTO ${this.tables.refresh} (jti, user_id, family_id, state, expires_at, issued_at)
         VALUES (?, ?, ?, 'active', ${d.nowPlus('?')}, ?)
         ${d.upsert('jti', [
           `user_id = ${d.inserted('user_id')}`,
           `family_id = ${d.inserted('family_id')}`,
           `state = 'active'`,
           `expires_at = ${d.inserted('expires_at')}`,
           `issued_at = ${d.inserted('issued_at')}`,
           'successor_jti = NULL',
           'rotated_at = NULL',
         ])}`,
        [jti, userId, familyId, wholeSeconds(ttl), issuedAt ?? this.nowSeconds()],
      ),
    );
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
   * win (a replay inside the grace, reuse, or a revoked token). PostgreSQL: one statement and COMMIT, two round
   * trips; MySQL: one CALL of the rotation procedure (`migrate()` creates it), else a batch.
   * Past the caller's deadline the transaction rolls back instead of committing.
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
      const outcome = await this.#rotation.rotate(plan, options.deadline);
      if (!outcome.won) return judge(plan, grace, outcome.retired);
      return rotated(plan, outcome.familyId, outcome.session);
    });
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

  /** Every token of the family revoked, rotated ones too (`token-revocation.ts`: how, why). */
  revokeFamily(
    familyId: string,
    userId: string,
    options?: RefreshRevocationOptions,
  ): Promise<RevokedRefreshToken[]> {
    const scope = { table: this.tables.refresh, userId, familyId };
    return this.run(() => revokeTokens(this.sql, this.dialect, scope, options));
  }

  revokeUser(userId: string, options?: RefreshRevocationOptions): Promise<RevokedRefreshToken[]> {
    const scope = { table: this.tables.refresh, userId };
    return this.run(() => revokeTokens(this.sql, this.dialect, scope, options));
  }

  /** Delete expired rows (retired ones included); resolves to how many went. */
  purgeExpired(): Promise<number> {
    return this.purgeExpiredRows(this.tables.refresh);
  }
}

/** The rotated result, with the advanced session when one was planned for this family. */
function rotated(
  plan: RotationPlan,
  familyId: string,
  session: Record<string, unknown> | null,
): StoreRotation {
  const result: StoreRotation = {
    status: 'rotated',
    userId: plan.userId,
    familyId,
    issuedAt: plan.at,
  };
  if (plan.advance !== undefined && plan.advance.family === familyId) {
    result.session = session === null ? null : toSession(session);
  }
  return result;
}

/** A presentation that did not win: a replay inside the grace, reuse, revoked, or unknown. */
function judge(
  plan: RotationPlan,
  grace: number,
  known: Record<string, unknown> | undefined,
): StoreRotation {
  if (known === undefined) return { status: 'unknown' };
  const userId = plan.userId;
  const familyId = String(known.family_id);
  if (known.state === 'revoked') return { status: 'revoked', userId, familyId };
  const rotatedAt = known.rotated_at === null ? undefined : Number(known.rotated_at);
  if (
    known.state === 'rotated' &&
    typeof known.successor_jti === 'string' &&
    rotatedAt !== undefined &&
    grace > 0 &&
    plan.at - rotatedAt <= grace &&
    known.successor_state === 'active'
  ) {
    return { status: 'replayed', userId, familyId, jti: known.successor_jti, issuedAt: rotatedAt };
  }
  return { status: 'reused', userId, familyId };
}
