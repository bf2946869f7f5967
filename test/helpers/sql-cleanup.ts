/** What `migrate()` created under a table prefix, as DROP statements for a test's cleanup. */
import { tableNames } from '../../stores/sql/tables';

export function dropStatements(service: 'postgres' | 'mysql', prefix: string): string[] {
  const t = tableNames(prefix);
  const tables = `DROP TABLE IF EXISTS ${t.revoked}, ${t.refresh}, ${t.sessions}, ${t.rateLimits}`;
  // MySQL: the stored procedures too (a routine outlives its tables).
  const procedures = [t.rotate, t.rateLimit].map((name) => `DROP PROCEDURE IF EXISTS ${name}`);
  return service === 'mysql' ? [tables, ...procedures] : [tables];
}
