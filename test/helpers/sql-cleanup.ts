/** What `migrate()` created under a table prefix, as DROP statements for a test's cleanup. */
import { tableNames } from '../../stores/sql/tables';

export function dropStatements(service: 'postgres' | 'mysql', prefix: string): string[] {
  const t = tableNames(prefix);
  const tables = `DROP TABLE IF EXISTS ${t.revoked}, ${t.refresh}, ${t.sessions}`;
  // MySQL: the rotation's stored procedure too (a routine outlives its tables).
  return service === 'mysql' ? [tables, `DROP PROCEDURE IF EXISTS ${t.rotate}`] : [tables];
}
