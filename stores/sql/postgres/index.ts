export {
  PostgresRevocationStore,
  PostgresRefreshTokenStore,
  type PostgresStoreOptions,
  type PgPoolLike,
  type PgClientLike,
} from './stores';
export { postgresSchema } from './schema';
export { DEFAULT_TABLE_PREFIX } from '../common';
