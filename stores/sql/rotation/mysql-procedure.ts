/**
 * MySQL/MariaDB: the rotation as a stored procedure, so that it is one round trip (a CALL)
 * instead of a statement per round trip. It does what the batch of `mysql.ts` does, in the
 * same order, and answers one result set.
 */
import type { SessionAdvance } from '../../../lib/security/store-contracts';
import type { ColumnTypes } from '../dialect';
import {
  parameterDeclarations,
  TRANSACTION_START,
  type ProcedureParameter,
} from '../mysql/procedures';
import type { SqlTables } from '../tables';
import type { RotationPlan } from './strategy';

/** What one CALL passes besides the plan: the caller's time budget, on both clocks. */
export interface RotationCall {
  plan: RotationPlan;
  /** Milliseconds the caller still waits (null: no deadline). */
  budgetMs: number | null;
  /** The caller's deadline on the server's clock (epoch ms; null: no deadline). */
  serverDeadlineMs: number | null;
}

type RotationParameter = ProcedureParameter<RotationCall>;

/**
 * The procedure's parameters, in order. The CREATE PROCEDURE and the CALL are both built from
 * this one list, so a value cannot land in another parameter's place.
 */
export const ROTATE_PARAMETERS: readonly RotationParameter[] = [
  { name: 'p_old', type: (t) => t.id, value: (c) => c.plan.oldJti },
  { name: 'p_new', type: (t) => t.id, value: (c) => c.plan.newJti },
  { name: 'p_user', type: (t) => t.id, value: (c) => c.plan.userId },
  { name: 'p_at', type: (t) => t.bigint, value: (c) => c.plan.at },
  { name: 'p_ttl', type: (t) => t.bigint, value: (c) => c.plan.ttl },
  { name: 'p_family', type: (t) => t.id, value: (c) => c.plan.advance?.family ?? null },
  advanced('p_access_jti', (t) => t.id, 'accessJti'),
  advanced('p_access_expires_at', (t) => t.bigint, 'accessExpiresAt'),
  advanced('p_hash', (t) => t.text(128), 'refreshTokenHash'),
  advanced('p_refresh_expires_at', (t) => t.bigint, 'refreshExpiresAt'),
  advanced('p_last_used_at', (t) => t.bigint, 'lastUsedAt'),
  { name: 'p_budget_ms', type: (t) => t.bigint, value: (c) => c.budgetMs },
  { name: 'p_deadline_ms', type: (t) => t.bigint, value: (c) => c.serverDeadlineMs },
];

/** A parameter carrying one field of the session advance (NULL without one). */
function advanced(
  name: string,
  type: RotationParameter['type'],
  field: keyof SessionAdvance,
): RotationParameter {
  return { name, type, value: (c) => c.plan.advance?.update[field] ?? null };
}

/**
 * `CREATE PROCEDURE <prefix>rotate_v2`: the deciding UPDATE; when it changed the row, the
 * successor (issued at `p_at`) and (with `p_family`, when it is the row's family) the session
 * advance; then
 * ROLLBACK and SIGNAL when the caller has stopped waiting (more than `p_budget_ms` spent
 * inside, or the server clock past `p_deadline_ms`: a CALL can wait in a hung server's socket
 * before it starts), the server's time in the message; else one result set and COMMIT. The
 * result: `won` = 1 with the family and the session's columns (NULL without one), or `won` = 0
 * with the retired row (no row: unknown). SQL SECURITY INVOKER: it can do no more than its
 * caller, and needs no definer account.
 */
export function rotateProcedure(types: ColumnTypes, t: SqlTables): string {
  const parameters = parameterDeclarations(ROTATE_PARAMETERS, types);
  const serverMs = 'ROUND(UNIX_TIMESTAMP(SYSDATE(3)) * 1000) AS server_ms';
  return `CREATE PROCEDURE ${t.rotate}(
  ${parameters}
)
SQL SECURITY INVOKER
MODIFIES SQL DATA
BEGIN
  DECLARE v_started DATETIME(6) DEFAULT SYSDATE(6);
  DECLARE v_won INT DEFAULT 0;
  DECLARE v_family ${types.id} DEFAULT NULL;
  DECLARE v_abandoned VARCHAR(128) DEFAULT NULL;
  ${TRANSACTION_START}
  UPDATE ${t.refresh} SET state = 'rotated', successor_jti = p_new, rotated_at = p_at
    WHERE jti = p_old AND user_id = p_user AND state = 'active' AND expires_at > NOW(3);
  SET v_won = ROW_COUNT();
  IF v_won = 1 THEN
    SELECT family_id INTO v_family FROM ${t.refresh} WHERE jti = p_old;
    INSERT INTO ${t.refresh} (jti, user_id, family_id, state, expires_at, issued_at)
      VALUES (p_new, p_user, v_family, 'active', NOW(3) + INTERVAL p_ttl SECOND, p_at);
    IF p_family IS NOT NULL AND p_family = v_family THEN
      UPDATE ${t.sessions} SET access_jti = p_access_jti, access_expires_at = p_access_expires_at,
        refresh_token_hash = p_hash, refresh_expires_at = p_refresh_expires_at,
        last_used_at = p_last_used_at
        WHERE user_id = p_user AND family_id = v_family AND refresh_expires_at > p_at;
    END IF;
  END IF;
  IF TIMESTAMPDIFF(MICROSECOND, v_started, SYSDATE(6)) > p_budget_ms * 1000
    OR UNIX_TIMESTAMP(SYSDATE(3)) * 1000 > p_deadline_ms THEN
    ROLLBACK;
    SET v_abandoned = CONCAT('rotation abandoned: the caller stopped waiting (server_ms ',
      ROUND(UNIX_TIMESTAMP(SYSDATE(3)) * 1000), ')');
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_abandoned;
  END IF;
  IF v_won = 1 THEN
    SELECT 1 AS won, v_family AS rotated_family, ${serverMs}, s.*
      FROM (SELECT 1 AS one) one LEFT JOIN ${t.sessions} s ON p_family IS NOT NULL
        AND s.user_id = p_user AND s.family_id = v_family AND s.refresh_expires_at > p_at;
  ELSE
    SELECT 0 AS won, ${serverMs}, o.family_id, o.state, o.successor_jti, o.rotated_at,
        n.state AS successor_state
      FROM ${t.refresh} o LEFT JOIN ${t.refresh} n
        ON n.jti = o.successor_jti AND n.expires_at > NOW(3)
      WHERE o.jti = p_old AND o.user_id = p_user AND o.expires_at > NOW(3);
  END IF;
  COMMIT;
END`;
}
