-- auth-sdk-m8 postgres schema (table prefix auth_sdk_). Generated from stores/sql/schema.ts;
-- store.migrate() runs the same statements. A test keeps this file in step.
-- Tables of an earlier release may lack these columns; migrate() adds them, or run:
-- ALTER TABLE auth_sdk_refresh_tokens ADD COLUMN IF NOT EXISTS successor_jti TEXT NULL;
-- ALTER TABLE auth_sdk_refresh_tokens ADD COLUMN IF NOT EXISTS rotated_at BIGINT NULL;
-- ALTER TABLE auth_sdk_refresh_tokens ADD COLUMN IF NOT EXISTS issued_at BIGINT NULL;

CREATE TABLE IF NOT EXISTS auth_sdk_revoked_tokens (
  jti TEXT NOT NULL PRIMARY KEY,
  expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX IF NOT EXISTS auth_sdk_revoked_tokens_expires_idx ON auth_sdk_revoked_tokens (expires_at);

CREATE TABLE IF NOT EXISTS auth_sdk_refresh_tokens (
  jti TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL,
  family_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'rotated', 'revoked')),
  expires_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  successor_jti TEXT NULL,
  rotated_at BIGINT NULL,
  issued_at BIGINT NULL
);

CREATE INDEX IF NOT EXISTS auth_sdk_refresh_tokens_family_idx ON auth_sdk_refresh_tokens (family_id);

CREATE INDEX IF NOT EXISTS auth_sdk_refresh_tokens_user_idx ON auth_sdk_refresh_tokens (user_id);

CREATE INDEX IF NOT EXISTS auth_sdk_refresh_tokens_expires_idx ON auth_sdk_refresh_tokens (expires_at);

CREATE TABLE IF NOT EXISTS auth_sdk_sessions (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL,
  family_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  access_jti TEXT NOT NULL,
  access_expires_at BIGINT NOT NULL,
  refresh_token_hash TEXT NOT NULL,
  refresh_expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT NOT NULL,
  user_agent TEXT NULL,
  ip TEXT NULL
);

CREATE INDEX IF NOT EXISTS auth_sdk_sessions_user_idx ON auth_sdk_sessions (user_id, created_at);

CREATE INDEX IF NOT EXISTS auth_sdk_sessions_family_idx ON auth_sdk_sessions (user_id, family_id);

CREATE INDEX IF NOT EXISTS auth_sdk_sessions_expires_idx ON auth_sdk_sessions (refresh_expires_at);

CREATE TABLE IF NOT EXISTS auth_sdk_rate_limits (
  rl_key TEXT NOT NULL PRIMARY KEY,
  hits BIGINT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX IF NOT EXISTS auth_sdk_rate_limits_expires_idx ON auth_sdk_rate_limits (expires_at);
