import { tableNames } from '../common';

/** The PostgreSQL schema (also shipped as `stores/sql/migrations/postgres.sql`). */
export function postgresSchema(prefix?: string): string[] {
  const t = tableNames(prefix);
  return [
    `CREATE TABLE IF NOT EXISTS ${t.revoked} (
  jti TEXT PRIMARY KEY,
  expires_at TIMESTAMPTZ NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS ${t.revoked}_expires_idx ON ${t.revoked} (expires_at)`,
    `CREATE TABLE IF NOT EXISTS ${t.refresh} (
  jti TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  family_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'rotated', 'revoked')),
  expires_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`,
    `CREATE INDEX IF NOT EXISTS ${t.refresh}_family_idx ON ${t.refresh} (family_id)`,
    `CREATE INDEX IF NOT EXISTS ${t.refresh}_user_idx ON ${t.refresh} (user_id)`,
    `CREATE INDEX IF NOT EXISTS ${t.refresh}_expires_idx ON ${t.refresh} (expires_at)`,
  ];
}
