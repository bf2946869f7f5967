-- auth-sdk-m8 mysql schema (table prefix auth_sdk_). Generated from stores/sql/schema.ts;
-- store.migrate() runs the same statements. A test keeps this file in step.
-- Tables created by 0.1 lack these columns; migrate() adds them, or run:
-- ALTER TABLE auth_sdk_refresh_tokens ADD COLUMN successor_jti VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
-- ALTER TABLE auth_sdk_refresh_tokens ADD COLUMN rotated_at BIGINT NULL;

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
