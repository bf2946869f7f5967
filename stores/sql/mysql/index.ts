export {
  MysqlRevocationStore,
  MysqlRefreshTokenStore,
  type MysqlStoreOptions,
  type MysqlPoolLike,
  type MysqlConnectionLike,
} from './stores';
export { mysqlSchema } from './schema';
export { DEFAULT_TABLE_PREFIX } from '../common';
