/**
 * Family and user revocation of the SQL refresh-token store: mark every live token revoked,
 * then list them, such that a rotation racing the revocation either came first (its
 * successor is revoked and listed) or comes after (and finds its token revoked).
 *
 * Why not one `UPDATE … RETURNING`: PostgreSQL's statement waits for the rotation holding the
 * presented row, but the successor that rotation inserted is not in its snapshot, so it stays
 * active and unlisted; InnoDB's UPDATE through a secondary index takes gap locks, and the
 * rotation's INSERT into such a gap deadlocks with it (both seen on the servers). So: read the
 * tokens not yet revoked (a plain read, no locks), revoke those by primary key (record locks
 * only: a rotation holding one is waited for), and read again, until a read finds none.
 * Every successor is then seen: a rotation can only start from a token not yet revoked.
 */
import type {
  RefreshRevocationOptions,
  RevokedRefreshToken,
} from '../../lib/security/store-contracts';
import type { SqlDialect, SqlRunner } from './dialect';

/** Whose tokens: a user's, or one family of theirs. */
export interface RevocationScope {
  table: string;
  userId: string;
  familyId?: string | undefined;
}

/** More passes than any run of rotations could need (each one races a single revocation). */
const MAX_PASSES = 32;
/** Primary keys per UPDATE. */
const CHUNK = 500;

export async function revokeTokens(
  sql: SqlRunner,
  dialect: SqlDialect<unknown>,
  scope: RevocationScope,
  options: RefreshRevocationOptions = {},
): Promise<RevokedRefreshToken[]> {
  for (let pass = 0; pass < MAX_PASSES; pass += 1) {
    const rows = await liveTokens(sql, dialect, scope);
    const pending = rows.filter((row) => row.state !== 'revoked').map((row) => String(row.jti));
    if (pending.length === 0) return listed(rows, options.issuedSince);
    for (let i = 0; i < pending.length; i += CHUNK) {
      const chunk = pending.slice(i, i + CHUNK);
      await sql(
        `UPDATE ${scope.table} SET state = 'revoked'
         WHERE user_id = ? AND jti IN (${chunk.map(() => '?').join(', ')}) AND state <> 'revoked'`,
        [scope.userId, ...chunk],
      );
    }
  }
  throw new Error(`revocation unsettled after ${MAX_PASSES} passes: tokens kept rotating in`);
}

/** The scope's unexpired tokens, whatever their state. */
async function liveTokens(
  sql: SqlRunner,
  dialect: SqlDialect<unknown>,
  { table, userId, familyId }: RevocationScope,
): Promise<Array<Record<string, unknown>>> {
  const family = familyId === undefined ? '' : 'AND family_id = ?';
  const result = await sql(
    `SELECT jti, state, issued_at FROM ${table}
     WHERE user_id = ? ${family} AND expires_at > ${dialect.now}`,
    familyId === undefined ? [userId] : [userId, familyId],
  );
  return result.rows;
}

/** The revoked tokens issued since `since` (unknown issue times always). */
function listed(
  rows: Array<Record<string, unknown>>,
  since: number | undefined,
): RevokedRefreshToken[] {
  return rows.flatMap((row) => {
    // BIGINT comes back as a string from node-postgres, a number from mysql2.
    const issuedAt =
      row.issued_at === null || row.issued_at === undefined ? undefined : Number(row.issued_at);
    if (since !== undefined && issuedAt !== undefined && issuedAt < since) return [];
    return [{ jti: String(row.jti), issuedAt }];
  });
}
