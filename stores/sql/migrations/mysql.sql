-- auth-sdk-m8 mysql schema (table prefix auth_sdk_). Generated from stores/sql/mysql/schema.ts;
-- store.migrate() runs the same statements. A test keeps this file in step.
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
  INDEX auth_sdk_refresh_tokens_family_idx (family_id),
  INDEX auth_sdk_refresh_tokens_user_idx (user_id),
  INDEX auth_sdk_refresh_tokens_expires_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
