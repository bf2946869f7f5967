-- auth-sdk-m8 mysql schema (table prefix auth_sdk_). Generated from stores/sql/schema.ts;
-- store.migrate() runs the same statements. A test keeps this file in step.
-- Tables of an earlier release may lack these columns; migrate() adds them, or run:
-- ALTER TABLE auth_sdk_refresh_tokens ADD COLUMN successor_jti VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
-- ALTER TABLE auth_sdk_refresh_tokens ADD COLUMN rotated_at BIGINT NULL;
-- ALTER TABLE auth_sdk_refresh_tokens ADD COLUMN issued_at BIGINT NULL;

CREATE TABLE IF NOT EXISTS auth_sdk_revoked_tokens (
  jti VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  expires_at DATETIME(3) NOT NULL,
  INDEX auth_sdk_revoked_tokens_expires_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS auth_sdk_refresh_tokens (
  jti VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  user_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  family_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  state VARCHAR(16) NOT NULL,
  expires_at DATETIME(3) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  successor_jti VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  rotated_at BIGINT NULL,
  issued_at BIGINT NULL,
  INDEX auth_sdk_refresh_tokens_family_idx (family_id),
  INDEX auth_sdk_refresh_tokens_user_idx (user_id),
  INDEX auth_sdk_refresh_tokens_expires_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS auth_sdk_sessions (
  id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  user_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  family_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  provider VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  access_jti VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  access_expires_at BIGINT NOT NULL,
  refresh_token_hash VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  refresh_expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL,
  user_agent VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  ip VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  INDEX auth_sdk_sessions_user_idx (user_id, created_at),
  INDEX auth_sdk_sessions_family_idx (user_id, family_id),
  INDEX auth_sdk_sessions_expires_idx (refresh_expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS auth_sdk_rate_limits (
  rl_key VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  hits BIGINT NOT NULL,
  expires_at DATETIME(3) NOT NULL,
  INDEX auth_sdk_rate_limits_expires_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- auth_sdk_rotate_v2: fails when it exists already (migrate() creates it only when missing).
DELIMITER //
CREATE PROCEDURE auth_sdk_rotate_v2(
  IN p_old VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  IN p_new VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  IN p_user VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  IN p_at BIGINT,
  IN p_ttl BIGINT,
  IN p_family VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  IN p_access_jti VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  IN p_access_expires_at BIGINT,
  IN p_hash VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  IN p_refresh_expires_at BIGINT,
  IN p_last_used_at BIGINT,
  IN p_budget_ms BIGINT,
  IN p_deadline_ms BIGINT
)
SQL SECURITY INVOKER
MODIFIES SQL DATA
BEGIN
  DECLARE v_started DATETIME(6) DEFAULT SYSDATE(6);
  DECLARE v_won INT DEFAULT 0;
  DECLARE v_family VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL;
  DECLARE v_abandoned VARCHAR(128) DEFAULT NULL;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;
  START TRANSACTION;
  UPDATE auth_sdk_refresh_tokens SET state = 'rotated', successor_jti = p_new, rotated_at = p_at
    WHERE jti = p_old AND user_id = p_user AND state = 'active' AND expires_at > NOW(3);
  SET v_won = ROW_COUNT();
  IF v_won = 1 THEN
    SELECT family_id INTO v_family FROM auth_sdk_refresh_tokens WHERE jti = p_old;
    INSERT INTO auth_sdk_refresh_tokens (jti, user_id, family_id, state, expires_at, issued_at)
      VALUES (p_new, p_user, v_family, 'active', NOW(3) + INTERVAL p_ttl SECOND, p_at);
    IF p_family IS NOT NULL AND p_family = v_family THEN
      UPDATE auth_sdk_sessions SET access_jti = p_access_jti, access_expires_at = p_access_expires_at,
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
    SELECT 1 AS won, v_family AS rotated_family, ROUND(UNIX_TIMESTAMP(SYSDATE(3)) * 1000) AS server_ms, s.*
      FROM (SELECT 1 AS one) one LEFT JOIN auth_sdk_sessions s ON p_family IS NOT NULL
        AND s.user_id = p_user AND s.family_id = v_family AND s.refresh_expires_at > p_at;
  ELSE
    SELECT 0 AS won, ROUND(UNIX_TIMESTAMP(SYSDATE(3)) * 1000) AS server_ms, o.family_id, o.state, o.successor_jti, o.rotated_at,
        n.state AS successor_state
      FROM auth_sdk_refresh_tokens o LEFT JOIN auth_sdk_refresh_tokens n
        ON n.jti = o.successor_jti AND n.expires_at > NOW(3)
      WHERE o.jti = p_old AND o.user_id = p_user AND o.expires_at > NOW(3);
  END IF;
  COMMIT;
END//
DELIMITER ;

-- auth_sdk_rate_limit_v1: fails when it exists already (migrate() creates it only when missing).
DELIMITER //
CREATE PROCEDURE auth_sdk_rate_limit_v1(
  IN p_keys LONGTEXT CHARACTER SET utf8mb4,
  IN p_hits LONGTEXT CHARACTER SET utf8mb4,
  IN p_windows LONGTEXT CHARACTER SET utf8mb4
)
SQL SECURITY INVOKER
MODIFIES SQL DATA
BEGIN
  DECLARE v_i INT DEFAULT 0;
  DECLARE v_key VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
  DECLARE v_hits BIGINT;
  DECLARE v_window BIGINT;
  DECLARE v_counts LONGTEXT CHARACTER SET utf8mb4 DEFAULT '[]';
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;
  START TRANSACTION;
  WHILE v_i < JSON_LENGTH(p_keys) DO
    SET v_key = JSON_UNQUOTE(JSON_EXTRACT(p_keys, CONCAT('$[', v_i, ']')));
    SET v_hits = CAST(JSON_UNQUOTE(JSON_EXTRACT(p_hits, CONCAT('$[', v_i, ']'))) AS SIGNED);
    SET v_window = CAST(JSON_UNQUOTE(JSON_EXTRACT(p_windows, CONCAT('$[', v_i, ']'))) AS SIGNED);
    INSERT INTO auth_sdk_rate_limits (rl_key, hits, expires_at) VALUES (v_key, v_hits, NOW(3) + INTERVAL v_window SECOND)
      ON DUPLICATE KEY UPDATE
        hits = IF(expires_at <= NOW(3), VALUES(hits), hits + VALUES(hits)),
        expires_at = IF(expires_at <= NOW(3), VALUES(expires_at), expires_at);
    SELECT JSON_ARRAY_APPEND(v_counts, '$', JSON_ARRAY(hits, GREATEST(1, CEIL(TIMESTAMPDIFF(MICROSECOND, NOW(3), expires_at) / 1000000))))
      INTO v_counts FROM auth_sdk_rate_limits WHERE rl_key = v_key;
    SET v_i = v_i + 1;
  END WHILE;
  COMMIT;
  SELECT v_counts AS counts;
END//
DELIMITER ;
