/** `auth-sdk-m8 migrate`: the SQL stores' schema as a script, for a DBA to run. */
import { mysqlDialect } from '../../../stores/sql/mysql/dialect';
import { postgresDialect } from '../../../stores/sql/postgres/dialect';
import { routineScript, sqlSchema } from '../../../stores/sql/schema';
import { parseOptions } from '../args';
import { printHelp } from '../output';
import { UsageError, type CliCommand, type CliIo } from '../command';

const USAGE = `Usage: auth-sdk-m8 migrate --store postgres|mysql [--table-prefix PREFIX]

  Prints the statements store.migrate() runs (tables and indexes of the revocation, refresh
  and session stores; for MySQL also the rotation procedure, between DELIMITER lines), for a
  DBA to run as the tables' owner, e.g.
    npx auth-sdk-m8 migrate --store postgres | psql "$DATABASE_URL"
  A service can then run as a role with DML rights only (no DDL) and skip migrate(); on
  MySQL, grant it EXECUTE on the procedure too (without, a rotation takes 7 round trips, not 1).
  --table-prefix  the stores' tablePrefix ([A-Za-z0-9_], default auth_sdk_)`;

const DIALECTS = { postgres: postgresDialect, mysql: mysqlDialect } as const;

function migrate(args: string[], io: CliIo): number {
  const values = parseOptions(args, {
    store: { type: 'string' },
    'table-prefix': { type: 'string' },
  });
  if (values.help) return printHelp(io, USAGE);
  const store = values.store;
  if (store !== 'postgres' && store !== 'mysql') {
    throw new UsageError('--store must be postgres or mysql.');
  }
  const dialect = DIALECTS[store];
  const { create, added, routines } = sqlSchema(dialect, values['table-prefix']);
  io.out(`-- auth-sdk-m8 ${dialect.name} tables (what store.migrate() runs)`);
  for (const statement of create) io.out(`${statement};\n`);
  for (const line of routineScript(routines)) io.out(line);
  io.out('-- Tables created by auth-sdk-m8 0.1 also need:');
  for (const a of added) io.out(`-- ${dialect.addColumn(a.table, a.column, a.type)};`);
  return 0;
}

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'Print the SQL that creates the tables of the PostgreSQL or MySQL stores',
  usage: USAGE,
  run: migrate,
};
