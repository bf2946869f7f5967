/**
 * `createPgPool`: a node-postgres pool that a lost connection cannot crash. pg-pool emits
 * 'error' on the pool when an idle client's connection dies (a server restart,
 * `pg_terminate_backend`, a failover); without a listener that is an uncaught exception.
 */
import type { Pool, PoolConfig } from 'pg';
import { connectionErrorListener } from '../../connection-errors';
import { driverOptions, type SqlPoolOptions } from '../pool-options';

export type PgPoolOptions = SqlPoolOptions<PoolConfig>;

/**
 * A `pg.Pool` with an 'error' listener (warnings through `logger`, at most once every 10 s)
 * and a bounded connect timeout (`connectTimeoutMs`, default 2000; pg waits forever by
 * default), from the settings' `DB_*` fields and/or the driver's own options (`driver`).
 * `pg` is loaded here, not when the entry is imported.
 */
export async function createPgPool(options: PgPoolOptions = {}): Promise<Pool> {
  const { Pool } = await import('pg');
  const pool = new Pool(driverOptions(options, 'connectionTimeoutMillis'));
  pool.on('error', connectionErrorListener('PostgreSQL', options.logger));
  return pool;
}
