#!/usr/bin/env node
/**
 * `npx auth-sdk-m8 <command>`: start-up checks and key generation for operators.
 *   check-config [--env-file F]... [--full]   validate settings + run checkConfigHealth
 *   keygen --alg ES256|RS256 --out DIR     write a key pair, print the kid, JWKS and env lines
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigurationError } from '../core/errors';
import { findDotenv } from '../core/settings/dotenv';
import { checkConfigHealth } from '../core/settings/health';
import { loadSettings } from '../core/settings/load';
import { commonSettingsSchema } from '../core/settings/schema';
import { DEFAULT_SECRETS_DIR } from '../core/settings/secrets-dir';
import { TokenIssuer } from '../security/token-issuer';

const USAGE = `Usage: auth-sdk-m8 <command> [options]

Commands:
  check-config   Validate the settings (env + .env) and run the start-up health checks
  keygen         Generate an ES256 or RS256 signing key pair and print its JWKS

Run "auth-sdk-m8 <command> --help" for the options of a command.`;

const CHECK_USAGE = `Usage: auth-sdk-m8 check-config [--env-file FILE]... [--secrets-dir DIR] [--full] [--has-store]

  --env-file FILE  read this .env (default: the nearest .env above the current folder);
                   repeat it for several files, later ones winning over earlier ones
  --secrets-dir DIR  Docker secrets folder, one file per variable (default: /run/secrets)
  --full           validate the full CommonSettings set (web, CORS, DB fields), not only the auth ones
  --has-store      a revocation/refresh store is wired in code (stateful/hybrid need no REDIS_*)
Exits 1 when a setting is invalid or a fatal finding is reported, 0 otherwise.`;

const KEYGEN_USAGE = `Usage: auth-sdk-m8 keygen --alg ES256|RS256 --out DIR [--bits 2048|3072|4096] [--kid KID] [--force]

  --alg    ES256 (P-256, recommended) or RS256
  --out    folder for private.pem (mode 0600) and public.pem (mode 0644)
  --bits   RSA modulus size for RS256 (default 3072)
  --kid    key id (default: the RFC 7638 thumbprint)
  --force  overwrite existing files`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

class UsageError extends Error {}

export function runCli(argv: string[], io: CliIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check-config':
        return checkConfig(rest, io);
      case 'keygen':
        return keygen(rest, io);
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
        command === 'keygen' ? KEYGEN_USAGE : command === 'check-config' ? CHECK_USAGE : USAGE,
      );
      return 2;
    }
    if (err instanceof ConfigurationError) {
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
  const envFiles = values['env-file'] ?? [];
  for (const envFile of envFiles) {
    if (!fs.existsSync(envFile)) throw new UsageError(`--env-file ${envFile} does not exist.`);
  }
  let settings;
  try {
    settings = loadSettings({
      env: io.env,
      // Passing env turns the defaults off, so ask for them explicitly.
      envFile: envFiles.length > 0 ? envFiles : (findDotenv(io.cwd) ?? false),
      secretsDir: values['secrets-dir'] ?? DEFAULT_SECRETS_DIR,
      schema: values.full ? commonSettingsSchema : undefined,
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
  try {
    const report = checkConfigHealth(settings, logger, { hasStore: values['has-store'] ?? false });
    io.out(
      `OK: settings are valid (${settings.ACCESS_TOKEN_ALGORITHM}, TOKEN_MODE=${settings.TOKEN_MODE}, ${report.warnings.length} warning(s)).`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    io.err(`${err.findings.length} fatal finding(s): the service would refuse to start.`);
    return 1;
  }
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
  if (alg !== 'ES256' && alg !== 'RS256') throw new UsageError('--alg must be ES256 or RS256.');
  if (!values.out) throw new UsageError('--out DIR is required.');
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
  io.out('Issuer .env:');
  io.out(`ACCESS_TOKEN_ALGORITHM=${alg}`);
  io.out(`ACCESS_PRIVATE_KEY_FILE=${privatePath}`);
  io.out(`ACCESS_PUBLIC_KEY_FILE=${publicPath}`);
  io.out(`ACCESS_KEY_ID=${kid}`);
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
