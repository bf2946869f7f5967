import { tableNames } from '../common';

/**
 * The MySQL/MariaDB schema (also shipped as `stores/sql/migrations/mysql.sql`): utf8mb4 with a
 * binary collation, so ids are exact (case-sensitive, emoji-safe); millisecond timestamps.
 */
export function mysqlSchema(prefix?: string): string[] {
  const t = tableNames(prefix);
  return [
    `CREATE TABLE IF NOT EXISTS ${t.revoked} (
  jti VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  expires_at DATETIME(3) NOT NULL,
  INDEX ${t.revoked}_expires_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    `CREATE TABLE IF NOT EXISTS ${t.refresh} (
  jti VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  user_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  family_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  state VARCHAR(16) NOT NULL,
  expires_at DATETIME(3) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  INDEX ${t.refresh}_family_idx (family_id),
  INDEX ${t.refresh}_user_idx (user_id),
  INDEX ${t.refresh}_expires_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  ];
}
