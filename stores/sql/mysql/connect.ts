/**
 * `createMysqlPool`: a mysql2 pool that a lost connection cannot crash. mysql2 emits 'error'
 * on a pooled connection whose server goes away; its pool listens only `once` per
 * connection, so a second error event of that connection would be an uncaught exception.
 */
import type { Pool, PoolOptions } from 'mysql2/promise';
import { connectionErrorListener } from '../../connection-errors';
import { driverOptions, type SqlPoolOptions } from '../pool-options';

export type MysqlPoolOptions = SqlPoolOptions<PoolOptions>;

/**
 * A `mysql2/promise` pool with an 'error' listener on every connection it opens (warnings
 * through `logger`, at most once every 10 s) and a bounded connect timeout
 * (`connectTimeoutMs`, default 2000; mysql2's default is 10 s), from the settings' `DB_*`
 * fields and/or the driver's own options (`driver`). `mysql2` is loaded here, not when the
 * entry is imported.
 */
export async function createMysqlPool(options: MysqlPoolOptions = {}): Promise<Pool> {
  const { createPool } = await import('mysql2/promise');
  const pool = createPool(driverOptions(options, 'connectTimeout'));
  const onError = connectionErrorListener('MySQL', options.logger);
  pool.on('connection', (connection) => {
    connection.on('error', onError);
  });
  return pool;
}
