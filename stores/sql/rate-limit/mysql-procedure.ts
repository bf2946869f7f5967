/**
 * MySQL/MariaDB: the counting of a `hitMany` as a stored procedure, so that it is one round
 * trip (a CALL): each key's upsert and read-back in one transaction, keys and values passed
 * as JSON arrays (no JSON_TABLE: MariaDB before 10.6 lacks it). It answers one row whose
 * `counts` is a JSON array of `[hits, seconds left]`, in the order of the keys.
 */
import type { ColumnTypes } from '../dialect';
import {
  parameterDeclarations,
  TRANSACTION_START,
  type ProcedureParameter,
} from '../mysql/procedures';
import { RATE_LIMIT_KEY_LENGTH } from '../schema';
import type { SqlTables } from '../tables';
import type { KeyHits } from './strategy';

const JSON_TEXT = 'LONGTEXT CHARACTER SET utf8mb4';

/** The procedure's parameters, in order (CREATE PROCEDURE and CALL both read this list). */
export const RATE_LIMIT_PARAMETERS: ReadonlyArray<ProcedureParameter<readonly KeyHits[]>> = [
  {
    name: 'p_keys',
    type: () => JSON_TEXT,
    value: (rows) => JSON.stringify(rows.map((r) => r.key)),
  },
  {
    name: 'p_hits',
    type: () => JSON_TEXT,
    value: (rows) => JSON.stringify(rows.map((r) => r.hits)),
  },
  {
    name: 'p_windows',
    type: () => JSON_TEXT,
    value: (rows) => JSON.stringify(rows.map((r) => r.windowSeconds)),
  },
];

/** Whole seconds left of the window ending at `expires_at` (at least 1). */
export const MYSQL_RESET_IN =
  'GREATEST(1, CEIL(TIMESTAMPDIFF(MICROSECOND, NOW(3), expires_at) / 1000000))';

/**
 * The upsert of one key: a window that has ended restarts at these hits. MySQL assigns left
 * to right: `hits` is decided on the old `expires_at`, which is changed last.
 */
export function mysqlUpsert(table: string, rows: string): string {
  return `INSERT INTO ${table} (rl_key, hits, expires_at) VALUES ${rows}
      ON DUPLICATE KEY UPDATE
        hits = IF(expires_at <= NOW(3), VALUES(hits), hits + VALUES(hits)),
        expires_at = IF(expires_at <= NOW(3), VALUES(expires_at), expires_at)`;
}

/** `CREATE PROCEDURE <prefix>rate_limit_v1`. SQL SECURITY INVOKER, as the rotation's. */
export function rateLimitProcedure(types: ColumnTypes, t: SqlTables): string {
  const item = (array: string) => `JSON_EXTRACT(${array}, CONCAT('$[', v_i, ']'))`;
  return `CREATE PROCEDURE ${t.rateLimit}(
  ${parameterDeclarations(RATE_LIMIT_PARAMETERS, types)}
)
SQL SECURITY INVOKER
MODIFIES SQL DATA
BEGIN
  DECLARE v_i INT DEFAULT 0;
  DECLARE v_key ${types.text(RATE_LIMIT_KEY_LENGTH)};
  DECLARE v_hits BIGINT;
  DECLARE v_window BIGINT;
  DECLARE v_counts ${JSON_TEXT} DEFAULT '[]';
  ${TRANSACTION_START}
  WHILE v_i < JSON_LENGTH(p_keys) DO
    SET v_key = JSON_UNQUOTE(${item('p_keys')});
    SET v_hits = CAST(JSON_UNQUOTE(${item('p_hits')}) AS SIGNED);
    SET v_window = CAST(JSON_UNQUOTE(${item('p_windows')}) AS SIGNED);
    ${mysqlUpsert(t.rateLimits, '(v_key, v_hits, NOW(3) + INTERVAL v_window SECOND)')};
    SELECT JSON_ARRAY_APPEND(v_counts, '$', JSON_ARRAY(hits, ${MYSQL_RESET_IN}))
      INTO v_counts FROM ${t.rateLimits} WHERE rl_key = v_key;
    SET v_i = v_i + 1;
  END WHILE;
  COMMIT;
  SELECT v_counts AS counts;
END`;
}
