-- auth-sdk-m8 postgres schema (table prefix auth_sdk_). Generated from stores/sql/postgres/schema.ts;
-- store.migrate() runs the same statements. A test keeps this file in step.
CREATE TABLE IF NOT EXISTS auth_sdk_revoked_tokens (
  jti TEXT PRIMARY KEY,
  expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX IF NOT EXISTS auth_sdk_revoked_tokens_expires_idx ON auth_sdk_revoked_tokens (expires_at);

CREATE TABLE IF NOT EXISTS auth_sdk_refresh_tokens (
  jti TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  family_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'rotated', 'revoked')),
  expires_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS auth_sdk_refresh_tokens_family_idx ON auth_sdk_refresh_tokens (family_id);

CREATE INDEX IF NOT EXISTS auth_sdk_refresh_tokens_user_idx ON auth_sdk_refresh_tokens (user_id);

CREATE INDEX IF NOT EXISTS auth_sdk_refresh_tokens_expires_idx ON auth_sdk_refresh_tokens (expires_at);
