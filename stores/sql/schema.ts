/**
 * The SQL schema of every store, written once for both dialects (shipped as
 * `stores/sql/migrations/*.sql`; `migrate()` runs the same statements).
 */
import type { AddedColumn, SqlDialect, SqlRoutine } from './dialect';
import { tableNames, type SqlTables } from './tables';

/** The longest rate-limit key kept as it is; a longer one is stored as its SHA-256. */
export const RATE_LIMIT_KEY_LENGTH = 512;

export interface SqlSchema {
  /** CREATE TABLE / CREATE INDEX statements, idempotent. */
  create: string[];
  /** Columns that older tables may lack. */
  added: AddedColumn[];
  /** Stored routines (MySQL: the rotation), each created when missing. */
  routines: SqlRoutine[];
}

/** One table: its columns and its secondary indexes (`[suffix, columns]`). */
interface TableDefinition {
  name: string;
  columns: string[];
  indexes: Array<[suffix: string, columns: string]>;
}

export function sqlSchema(dialect: SqlDialect<unknown>, prefix?: string): SqlSchema {
  const t = tableNames(prefix);
  const { id, bigint } = dialect.types;
  const added: AddedColumn[] = [
    { table: t.refresh, column: 'successor_jti', type: `${id} NULL` },
    { table: t.refresh, column: 'rotated_at', type: `${bigint} NULL` },
    // Epoch seconds; NULL for a row written before it was kept.
    { table: t.refresh, column: 'issued_at', type: `${bigint} NULL` },
  ];
  return {
    create: tables(dialect, t, added).flatMap((table) => createTable(dialect, table)),
    added,
    routines: dialect.routines(t),
  };
}

/** CREATE TABLE with its indexes, inline or as statements of their own. */
function createTable(dialect: SqlDialect<unknown>, { name, columns, indexes }: TableDefinition) {
  const inline = dialect.inlineIndexes
    ? indexes.map(([suffix, cols]) => `INDEX ${name}_${suffix} (${cols})`)
    : [];
  const create = `CREATE TABLE IF NOT EXISTS ${name} (\n  ${[...columns, ...inline].join(',\n  ')}\n)${dialect.tableOptions}`;
  const separate = dialect.inlineIndexes
    ? []
    : indexes.map(
        ([suffix, cols]) => `CREATE INDEX IF NOT EXISTS ${name}_${suffix} ON ${name} (${cols})`,
      );
  return [create, ...separate];
}

function tables(
  dialect: SqlDialect<unknown>,
  t: SqlTables,
  added: readonly AddedColumn[],
): TableDefinition[] {
  const { id, text, time, bigint } = dialect.types;
  return [
    {
      name: t.revoked,
      columns: [`jti ${id} NOT NULL PRIMARY KEY`, `expires_at ${time} NOT NULL`],
      indexes: [['expires_idx', 'expires_at']],
    },
    {
      name: t.refresh,
      columns: [
        `jti ${id} NOT NULL PRIMARY KEY`,
        `user_id ${id} NOT NULL`,
        `family_id ${id} NOT NULL`,
        dialect.enumColumn('state', ['active', 'rotated', 'revoked']),
        `expires_at ${time} NOT NULL`,
        `created_at ${time} NOT NULL DEFAULT ${dialect.timeDefault}`,
        ...added.filter((a) => a.table === t.refresh).map((a) => `${a.column} ${a.type}`),
      ],
      indexes: [
        ['family_idx', 'family_id'],
        ['user_idx', 'user_id'],
        ['expires_idx', 'expires_at'],
      ],
    },
    {
      name: t.sessions,
      columns: [
        `id ${text(64)} NOT NULL PRIMARY KEY`,
        `user_id ${id} NOT NULL`,
        `family_id ${id} NOT NULL`,
        `provider ${text(32)} NOT NULL`,
        `access_jti ${id} NOT NULL`,
        `access_expires_at ${bigint} NOT NULL`,
        `refresh_token_hash ${text(128)} NOT NULL`,
        `refresh_expires_at ${bigint} NOT NULL`,
        `created_at ${bigint} NOT NULL`,
        `last_used_at ${bigint} NOT NULL`,
        `user_agent ${text(512)} NULL`,
        `ip ${text(64)} NULL`,
      ],
      indexes: [
        ['user_idx', 'user_id, created_at'],
        ['family_idx', 'user_id, family_id'],
        ['expires_idx', 'refresh_expires_at'],
      ],
    },
    {
      name: t.rateLimits,
      columns: [
        `rl_key ${text(RATE_LIMIT_KEY_LENGTH)} NOT NULL PRIMARY KEY`,
        `hits ${bigint} NOT NULL`,
        `expires_at ${time} NOT NULL`,
      ],
      indexes: [['expires_idx', 'expires_at']],
    },
  ];
}

/** The routines as a script for the mysql client (their bodies hold `;`: another delimiter). */
export function routineScript(routines: readonly SqlRoutine[]): string[] {
  return routines.flatMap((r) => [
    `-- ${r.name}: fails when it exists already (migrate() creates it only when missing).`,
    'DELIMITER //',
    `${r.create}//`,
    'DELIMITER ;',
    '',
  ]);
}

/** The schema as one SQL file (what `stores/sql/migrations/<dialect>.sql` holds). */
export function schemaFile(dialect: SqlDialect<unknown>): string {
  const { create, added, routines } = sqlSchema(dialect);
  const alter = added.map((a) => `-- ${dialect.addColumn(a.table, a.column, a.type)};`);
  const routineLines = routineScript(routines);
  return [
    `-- auth-sdk-m8 ${dialect.name} schema (table prefix auth_sdk_). Generated from stores/sql/schema.ts;`,
    '-- store.migrate() runs the same statements. A test keeps this file in step.',
    '-- Tables of an earlier release may lack these columns; migrate() adds them, or run:',
    ...alter,
    '',
    ...create.map((s) => `${s};\n`),
    ...routineLines,
  ].join('\n');
}
