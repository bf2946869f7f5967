/** What `createPgPool` and `createMysqlPool` take, and how it becomes the driver's options. */
import { revealSecret, type SecretValue } from '../../lib/core/settings/secret';
import type { Logger } from '../../lib/core/types';

/**
 * The pool's options: the settings' database fields (`DB_*`, so that a `CommonSettings`
 * object can be passed as it is), and the driver's own pool options over them.
 */
export interface SqlPoolOptions<DriverOptions> {
  DB_HOST?: string | undefined;
  DB_PORT?: number | undefined;
  DB_DATABASE?: string | undefined;
  DB_USER?: string | undefined;
  DB_PASSWORD?: SecretValue | string | undefined;
  /** The driver's own pool options (size, TLS, …); they win over the `DB_*` fields. */
  driver?: DriverOptions | undefined;
  /** How long opening a connection may take, in ms (default 2000). */
  connectTimeoutMs?: number | undefined;
  /** Where connection errors are reported (at most once every 10 s). */
  logger?: Logger | undefined;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 2000;

/**
 * The driver options: the connect timeout under the driver's name for it (`timeoutOption`),
 * the `DB_*` fields, then `driver` over them; an undefined field erases nothing.
 */
export function driverOptions<DriverOptions extends object>(
  options: SqlPoolOptions<DriverOptions>,
  timeoutOption: string,
): DriverOptions {
  const fields: Record<string, unknown> = {
    [timeoutOption]: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    host: options.DB_HOST,
    port: options.DB_PORT,
    database: options.DB_DATABASE,
    user: options.DB_USER,
    password: revealSecret(options.DB_PASSWORD),
    ...options.driver,
  };
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as DriverOptions;
}
