#!/usr/bin/env node
/**
 * `npx auth-sdk-m8 <command>`: start-up checks and key generation for operators.
 *   check-config [--env-file F]... [--full]   validate settings + run checkConfigHealth
 *   keygen --alg HS256                     print two secrets and the issuer/consumer env lines
 *   keygen --alg ES256|RS256 --out DIR     write a key pair, print the kid, JWKS and env lines
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type Joi from 'joi';
import { ConfigurationError } from '../core/errors';
import { findDotenv, readDotenv } from '../core/settings/dotenv';
import { checkConfigHealth } from '../core/settings/health';
import { loadSettings } from '../core/settings/load';
import { authSettingsSchema, commonSettingsSchema } from '../core/settings/schema';
import { DEFAULT_SECRETS_DIR, readSecretsDir } from '../core/settings/secrets-dir';
import { SECRET_KEY_RULE } from '../core/secret-rule';
import { TokenIssuer } from '../security/token-issuer';
import { mysqlDialect } from '../../stores/sql/mysql/dialect';
import { postgresDialect } from '../../stores/sql/postgres/dialect';
import { routineScript, sqlSchema } from '../../stores/sql/schema';
import { GENERATED_SECRET_LENGTH, generateSecret } from './secret';

const USAGE = `Usage: auth-sdk-m8 <command> [options]

Commands:
  check-config   Validate the settings (env + .env) and run the start-up health checks
  keygen         Generate HS256 secrets, or an ES256/RS256 key pair and its JWKS, with .env lines
  migrate        Print the SQL that creates the tables of the PostgreSQL or MySQL stores

Run "auth-sdk-m8 <command> --help" for the options of a command, "auth-sdk-m8 --version" for the version.`;

const CHECK_USAGE = `Usage: auth-sdk-m8 check-config [--env-file FILE]... [--secrets-dir DIR] [--full] [--has-store]

  --env-file FILE  read this .env (default: the nearest .env above the current folder);
                   repeat it for several files, later ones winning over earlier ones
  --dotenv FILE    the same as --env-file (Node itself stops with "node: FILE: not found",
                   exit 9, before this command runs when an --env-file FILE is missing)
  --secrets-dir DIR  Docker secrets folder, one file per variable (default: /run/secrets)
  --full           validate the full CommonSettings set (web, CORS, DB fields), not only the auth ones
  --has-store      a revocation/refresh store is wired in code (stateful/hybrid need no REDIS_*)
Exits 1 when a setting is invalid or a fatal finding is reported, 0 otherwise.`;

const MIGRATE_USAGE = `Usage: auth-sdk-m8 migrate --store postgres|mysql [--table-prefix PREFIX]

  Prints the statements store.migrate() runs (tables and indexes of the revocation, refresh
  and session stores; for MySQL also the rotation procedure, between DELIMITER lines), for a
  DBA to run as the tables' owner, e.g.
    npx auth-sdk-m8 migrate --store postgres | psql "$DATABASE_URL"
  A service can then run as a role with DML rights only (no DDL) and skip migrate(); on
  MySQL, grant it EXECUTE on the procedure too (without, a rotation takes 7 round trips, not 1).
  --table-prefix  the stores' tablePrefix ([A-Za-z0-9_], default auth_sdk_)`;

const KEYGEN_USAGE = `Usage: auth-sdk-m8 keygen --alg HS256
       auth-sdk-m8 keygen --alg ES256|RS256 --out DIR [--bits 2048|3072|4096] [--kid KID] [--force]

  --alg    HS256 (shared secrets, printed), ES256 (P-256, recommended) or RS256
  --out    ES256/RS256: folder for private.pem (mode 0600) and public.pem (mode 0644)
  --bits   RSA modulus size for RS256 (default 3072)
  --kid    key id (default: the RFC 7638 thumbprint)
  --force  overwrite existing files
Prints the .env lines of an issuer and of a consumer.`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Wrong command line: the message, then the usage, exit 2. */
class UsageError extends Error {}

/** A plain failure the user can fix (a missing file): the message only, exit 1. */
class CliError extends Error {}

const PACKAGE_NAME = 'auth-sdk-m8';

/**
 * The version in our package.json, found from this file upwards: dist/cli.cjs (installed
 * package) and lib/cli/index.ts (tsx, tests) both sit two folders or fewer below it. Under
 * ESM without `__dirname` (tsx), the script path stands in for this file.
 */
export function packageVersion(): string {
  const starts: string[] = [];
  if (typeof __dirname === 'string') starts.push(__dirname);
  const script = process.argv[1];
  if (script !== undefined && fs.existsSync(script)) {
    starts.push(path.dirname(fs.realpathSync(script)));
  }
  for (const start of starts) {
    let dir = start;
    for (;;) {
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file)) {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as {
          name?: unknown;
          version?: unknown;
        };
        if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new CliError(`cannot find the package.json of ${PACKAGE_NAME} to read its version.`);
}

export function runCli(argv: string[], io: CliIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check-config':
        return checkConfig(rest, io);
      case 'keygen':
        return keygen(rest, io);
      case 'migrate':
        return migrate(rest, io);
      case '--version':
      case '-v':
      case 'version':
        io.out(packageVersion());
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } catch (err) {
    if (
      err instanceof UsageError ||
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.err(`Error: ${(err as Error).message}\n`);
      io.err(
        command === 'keygen'
          ? KEYGEN_USAGE
          : command === 'check-config'
            ? CHECK_USAGE
            : command === 'migrate'
              ? MIGRATE_USAGE
              : USAGE,
      );
      return 2;
    }
    if (err instanceof ConfigurationError || err instanceof CliError) {
      io.err(`Error: ${err.message}`);
      return 1;
    }
    io.err(`Error: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}

function checkConfig(args: string[], io: CliIo): number {
  const { values } = parseArgs({
    args,
    options: {
      'env-file': { type: 'string', multiple: true },
      dotenv: { type: 'string', multiple: true },
      'secrets-dir': { type: 'string' },
      full: { type: 'boolean' },
      'has-store': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.out(CHECK_USAGE);
    return 0;
  }
  const given = [
    ...(values['env-file'] ?? []).map((file) => ({ flag: '--env-file', file })),
    ...(values.dotenv ?? []).map((file) => ({ flag: '--dotenv', file })),
  ];
  const envFiles: string[] = [];
  for (const { flag, file } of given) {
    const resolved = path.resolve(io.cwd, file);
    if (!fs.existsSync(resolved))
      throw new CliError(`${flag} ${file}: no such file (${resolved}).`);
    envFiles.push(resolved);
  }
  const sources = {
    env: io.env,
    // Passing env turns the defaults off, so ask for them explicitly.
    envFiles: envFiles.length > 0 ? envFiles : [findDotenv(io.cwd)].filter(isString),
    secretsDir: values['secrets-dir'] ?? DEFAULT_SECRETS_DIR,
    schema: values.full ? commonSettingsSchema : authSettingsSchema,
  };
  let settings;
  try {
    settings = loadSettings({
      env: sources.env,
      envFile: sources.envFiles,
      secretsDir: sources.secretsDir,
      schema: sources.schema,
    });
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    io.err('Invalid settings:');
    for (const finding of err.findings) io.err(`  - ${finding}`);
    return 1;
  }
  const logger = {
    warn: (m: string) => io.out(`warning: ${m}`),
    error: (m: string) => io.err(`FATAL: ${m}`),
  };
  const defaulted = defaultedSettings(sources);
  const mark = (name: string): string => (defaulted.includes(name) ? ' (default)' : '');
  try {
    const report = checkConfigHealth(settings, logger, {
      hasStore: values['has-store'] ?? false,
      defaulted,
    });
    io.out(
      `OK: settings are valid (${settings.ACCESS_TOKEN_ALGORITHM}${mark('ACCESS_TOKEN_ALGORITHM')}, TOKEN_MODE=${settings.TOKEN_MODE}${mark('TOKEN_MODE')}, AUTH_SERVICE_ROLE=${settings.AUTH_SERVICE_ROLE}${mark('AUTH_SERVICE_ROLE')}, ${report.warnings.length} warning(s)).`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    io.err(`${err.findings.length} fatal finding(s): the service would refuse to start.`);
    return 1;
  }
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}

/**
 * The schema's settings that have a default and that no source sets (not the env, a .env
 * file or the secrets folder; an empty value counts as unset, as in `loadSettings`).
 */
function defaultedSettings(sources: {
  env: Record<string, string | undefined>;
  envFiles: readonly string[];
  secretsDir: string;
  schema: Joi.ObjectSchema;
}): string[] {
  const keys = (sources.schema.describe().keys ?? {}) as Record<
    string,
    { flags?: { default?: unknown } }
  >;
  const withDefault = Object.keys(keys).filter((name) => keys[name]?.flags?.default !== undefined);
  const layers: Record<string, string | undefined>[] = [
    sources.env,
    readSecretsDir(sources.secretsDir, withDefault, []),
  ];
  for (const file of sources.envFiles) {
    try {
      layers.push(readDotenv(file, sources.env));
    } catch {
      // loadSettings has reported it already.
    }
  }
  const given = (name: string): boolean =>
    layers.some((layer) => (layer[name] ?? '').trim() !== '');
  return withDefault.filter((name) => !given(name));
}

function migrate(args: string[], io: CliIo): number {
  const { values } = parseArgs({
    args,
    options: {
      store: { type: 'string' },
      'table-prefix': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.out(MIGRATE_USAGE);
    return 0;
  }
  const dialect =
    values.store === 'postgres'
      ? postgresDialect
      : values.store === 'mysql'
        ? mysqlDialect
        : undefined;
  if (dialect === undefined) throw new UsageError('--store must be postgres or mysql.');
  const { create, added, routines } = sqlSchema(dialect, values['table-prefix']);
  io.out(`-- auth-sdk-m8 ${dialect.name} tables (what store.migrate() runs)`);
  for (const statement of create) io.out(`${statement};\n`);
  for (const line of routineScript(routines)) io.out(line);
  io.out('-- Tables created by auth-sdk-m8 0.1 also need:');
  for (const a of added) io.out(`-- ${dialect.addColumn(a.table, a.column, a.type)};`);
  return 0;
}

function keygen(args: string[], io: CliIo): number {
  const { values } = parseArgs({
    args,
    options: {
      alg: { type: 'string' },
      out: { type: 'string' },
      bits: { type: 'string' },
      kid: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.out(KEYGEN_USAGE);
    return 0;
  }
  const alg = values.alg;
  if (alg === 'HS256') {
    if (values.out !== undefined || values.bits !== undefined || values.kid !== undefined) {
      throw new UsageError('--out, --bits and --kid are for ES256/RS256; HS256 writes no file.');
    }
    return keygenSecret(io);
  }
  if (alg !== 'ES256' && alg !== 'RS256') {
    throw new UsageError('--alg must be HS256, ES256 or RS256.');
  }
  if (!values.out) throw new UsageError('--out DIR is required for ES256/RS256.');
  const bits = Number(values.bits ?? 3072);
  if (alg === 'RS256' && ![2048, 3072, 4096].includes(bits)) {
    throw new UsageError('--bits must be 2048, 3072 or 4096.');
  }
  const dir = path.resolve(io.cwd, values.out);
  const privatePath = path.join(dir, 'private.pem');
  const publicPath = path.join(dir, 'public.pem');
  if (!values.force && (fs.existsSync(privatePath) || fs.existsSync(publicPath))) {
    throw new UsageError(`${privatePath} or ${publicPath} exists; pass --force to overwrite.`);
  }
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: bits });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }), {
    mode: 0o600,
  });
  fs.chmodSync(privatePath, 0o600);
  fs.writeFileSync(publicPath, publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o644 });
  fs.chmodSync(publicPath, 0o644);
  const kid = values.kid ?? TokenIssuer.thumbprint(publicKey);
  const issuer = new TokenIssuer({
    accessKeys: [{ secret: { key: privateKey, algorithm: alg }, kid }],
  });
  io.out(`Wrote ${privatePath} (0600) and ${publicPath} (0644).`);
  io.out(`kid: ${kid}`);
  io.out('JWKS:');
  io.out(JSON.stringify(issuer.jwks(), null, 2));
  io.out('Issuer .env (the service that signs tokens):');
  io.out('AUTH_SERVICE_ROLE=issuer');
  io.out(`ACCESS_TOKEN_ALGORITHM=${alg}`);
  io.out(`ACCESS_PRIVATE_KEY_FILE=${privatePath}`);
  io.out(`ACCESS_PUBLIC_KEY_FILE=${publicPath}`);
  io.out(`ACCESS_KEY_ID=${kid}`);
  io.out(`REFRESH_SECRET_KEY=${generateSecret()}`);
  io.out(TOKEN_MODE_NOTE);
  io.out('');
  io.out('Consumer .env (services that only validate tokens; copy public.pem, never private.pem):');
  io.out('AUTH_SERVICE_ROLE=consumer');
  io.out(`ACCESS_TOKEN_ALGORITHM=${alg}`);
  io.out(`ACCESS_PUBLIC_KEY_FILE=${publicPath}`);
  io.out(`# or, instead of ACCESS_PUBLIC_KEY_FILE: JWKS_URI=https://<issuer host>${JWKS_PATH}`);
  io.out(TOKEN_MODE_NOTE);
  return 0;
}

const JWKS_PATH = '/.well-known/jwks.json';

const TOKEN_MODE_NOTE =
  '# TOKEN_MODE: stateful (the default) and hybrid need REDIS_HOST + REDIS_PASSWORD or a store wired in code; stateless needs neither';

/** `keygen --alg HS256`: two secrets inside the secret rule and the .env lines that use them. */
function keygenSecret(io: CliIo): number {
  const access = generateSecret();
  const refresh = generateSecret();
  io.out(
    `Generated ACCESS_SECRET_KEY and REFRESH_SECRET_KEY: ${GENERATED_SECRET_LENGTH} random characters each, ${SECRET_KEY_RULE}.`,
  );
  io.out('Issuer .env (the service that signs tokens):');
  io.out('AUTH_SERVICE_ROLE=issuer');
  io.out('ACCESS_TOKEN_ALGORITHM=HS256');
  io.out(`ACCESS_SECRET_KEY=${access}`);
  io.out(`REFRESH_SECRET_KEY=${refresh}`);
  io.out(TOKEN_MODE_NOTE);
  io.out('');
  io.out('Consumer .env (services that only validate tokens; the same ACCESS_SECRET_KEY):');
  io.out('AUTH_SERVICE_ROLE=consumer');
  io.out('ACCESS_TOKEN_ALGORITHM=HS256');
  io.out(`ACCESS_SECRET_KEY=${access}`);
  io.out(TOKEN_MODE_NOTE);
  return 0;
}

/* c8 ignore next 12 */
const isMain =
  typeof require !== 'undefined' && typeof module !== 'undefined'
    ? require.main === module
    : process.argv[1] !== undefined && /cli(\/index)?\.(c?js|ts)$/.test(process.argv[1]);
if (isMain) {
  process.exitCode = runCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    cwd: process.cwd(),
  });
}
