/** The shared store contracts on the machine's PostgreSQL (CI fails if it is unreachable). */
import pg from 'pg';
import {
  PostgresRateLimitStore,
  PostgresRefreshTokenStore,
  PostgresRevocationStore,
  PostgresSessionStore,
  postgresSchema,
} from 'auth-sdk-m8/stores/postgres';
import { services } from '../helpers/services';
import { describeSqlStores } from './sql-stores';

describeSqlStores({
  service: 'postgres',
  title: 'PostgreSQL stores',
  openPool: (max) => new pg.Pool({ ...services.postgres, max }),
  unreachablePool: () =>
    new pg.Pool({ ...services.postgres, port: 1, connectionTimeoutMillis: 500 }),
  query: (pool, sql) => pool.query(sql),
  closePool: (pool) => pool.end(),
  Revocation: PostgresRevocationStore,
  Refresh: PostgresRefreshTokenStore,
  Sessions: PostgresSessionStore,
  RateLimit: PostgresRateLimitStore,
  schema: postgresSchema,
  legacyRefreshTable: (name) => `CREATE TABLE ${name} (
  jti TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  family_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'rotated', 'revoked')),
  expires_at TIMESTAMPTZ NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`,
});
