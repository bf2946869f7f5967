/**
 * MySQL/MariaDB: the rotation as a stored procedure, so that it is one round trip (a CALL)
 * instead of a statement per round trip. It does what `SqlRefreshTokenStore`'s batch does,
 * in the same order, and answers one result set.
 */
import type { SqlDialect } from './dialect';
import type { SqlTables } from './tables';

/** The CALL's values, in order (see `rotateProcedure`). */
export const ROTATE_PARAMETERS = [
  'p_old',
  'p_new',
  'p_user',
  'p_at',
  'p_ttl',
  'p_family',
  'p_access_jti',
  'p_access_expires_at',
  'p_hash',
  'p_refresh_expires_at',
  'p_last_used_at',
  'p_budget_ms',
  'p_deadline_ms',
] as const;

/**
 * `CREATE PROCEDURE <prefix>rotate_v1`: the deciding UPDATE; when it changed the row, the
 * successor and (with `p_family`, when it is the row's family) the session advance; then
 * ROLLBACK and SIGNAL when the caller has stopped waiting (more than `p_budget_ms` spent
 * inside, or the server clock past `p_deadline_ms`: a CALL can wait in a hung server's socket
 * before it starts), the server's time in the message; else one result set and COMMIT. The result: `won` = 1 with the family and
 * the session's columns (NULL without one), or `won` = 0 with the retired row (no row: unknown).
 * SQL SECURITY INVOKER: it can do no more than its caller, and needs no definer account.
 */
export function rotateProcedure(dialect: SqlDialect<unknown>, t: SqlTables): string {
  const { id, text, bigint } = dialect.types;
  const types: Record<(typeof ROTATE_PARAMETERS)[number], string> = {
    p_old: id,
    p_new: id,
    p_user: id,
    p_at: bigint,
    p_ttl: bigint,
    p_family: id,
    p_access_jti: id,
    p_access_expires_at: bigint,
    p_hash: text(128),
    p_refresh_expires_at: bigint,
    p_last_used_at: bigint,
    p_budget_ms: bigint,
    p_deadline_ms: bigint,
  };
  const parameters = ROTATE_PARAMETERS.map((p) => `IN ${p} ${types[p]}`).join(',\n  ');
  const serverMs = 'ROUND(UNIX_TIMESTAMP(SYSDATE(3)) * 1000) AS server_ms';
  return `CREATE PROCEDURE ${t.rotate}(
  ${parameters}
)
SQL SECURITY INVOKER
MODIFIES SQL DATA
BEGIN
  DECLARE v_started DATETIME(6) DEFAULT SYSDATE(6);
  DECLARE v_won INT DEFAULT 0;
  DECLARE v_family ${id} DEFAULT NULL;
  DECLARE v_abandoned VARCHAR(128) DEFAULT NULL;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;
  START TRANSACTION;
  UPDATE ${t.refresh} SET state = 'rotated', successor_jti = p_new, rotated_at = p_at
    WHERE jti = p_old AND user_id = p_user AND state = 'active' AND expires_at > NOW(3);
  SET v_won = ROW_COUNT();
  IF v_won = 1 THEN
    SELECT family_id INTO v_family FROM ${t.refresh} WHERE jti = p_old;
    INSERT INTO ${t.refresh} (jti, user_id, family_id, state, expires_at)
      VALUES (p_new, p_user, v_family, 'active', NOW(3) + INTERVAL p_ttl SECOND);
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
