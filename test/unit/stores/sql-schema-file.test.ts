/**
 * The shipped schema files (`stores/sql/migrations/<dialect>.sql`, for a DML-only service whose
 * tables an operator creates) are exactly what `schemaFile` generates from the schema the
 * stores' `migrate()` runs: regenerate them with it when the schema changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { mysqlDialect } from '../../../stores/sql/mysql/dialect';
import { postgresDialect } from '../../../stores/sql/postgres/dialect';
import { schemaFile } from '../../../stores/sql/schema';

describe.each([
  ['postgres', postgresDialect],
  ['mysql', mysqlDialect],
] as const)('stores/sql/migrations/%s.sql', (name, dialect) => {
  it('is what schemaFile() generates', () => {
    const shipped = fs.readFileSync(
      path.join(__dirname, `../../../stores/sql/migrations/${name}.sql`),
      'utf8',
    );
    expect(shipped).toBe(schemaFile(dialect));
  });
});
