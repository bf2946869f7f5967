/** Table names of the SQL stores, from a prefix that can only hold [A-Za-z0-9_]. */
import { ConfigurationError } from '../../lib/core/errors';

export const DEFAULT_TABLE_PREFIX = 'auth_sdk_';
const SAFE_NAME = /^[A-Za-z0-9_]{1,48}$/;

export interface SqlTables {
  revoked: string;
  refresh: string;
  sessions: string;
  rateLimits: string;
  /**
   * MySQL/MariaDB: the stored procedure of a rotation (≤ 57 characters, under the 64 limit).
   * Its version goes up whenever its body changes: `migrate()` never replaces a routine.
   */
  rotate: string;
  /** MySQL/MariaDB: the stored procedure of a `hitMany` (≤ 61 characters; versioned too). */
  rateLimit: string;
}

/** The prefix is spliced into SQL (it cannot be a bind parameter), hence the strict check. */
export function tableNames(prefix: string = DEFAULT_TABLE_PREFIX): SqlTables {
  if (!SAFE_NAME.test(prefix)) {
    throw new ConfigurationError(
      `tablePrefix ${JSON.stringify(prefix)} may only contain letters, digits and _ (at most 48).`,
    );
  }
  return {
    revoked: `${prefix}revoked_tokens`,
    refresh: `${prefix}refresh_tokens`,
    sessions: `${prefix}sessions`,
    rateLimits: `${prefix}rate_limits`,
    rotate: `${prefix}rotate_v2`,
    rateLimit: `${prefix}rate_limit_v1`,
  };
}
