/** `auth-sdk-m8 check-config`: load the settings as a service would, then its start-up checks. */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../../core/errors';
import { checkConfigHealth } from '../../core/settings/health';
import { findDotenv } from '../../core/settings/dotenv';
import { loadSettings } from '../../core/settings/load';
import { authSettingsSchema, commonSettingsSchema } from '../../core/settings/schema';
import { DEFAULT_SECRETS_DIR } from '../../core/settings/secrets-dir';
import { parseOptions } from '../args';
import { CliError, type CliCommand, type CliIo } from '../command';
import { printHelp } from '../output';
import { defaultedSettings, type SettingsSources } from './defaulted-settings';

const USAGE = `Usage: auth-sdk-m8 check-config [--env-file FILE]... [--secrets-dir DIR] [--full] [--has-store]

  --env-file FILE  read this .env (default: the nearest .env above the current folder);
                   repeat it for several files, later ones winning over earlier ones
  --dotenv FILE    the same as --env-file (Node itself stops with "node: FILE: not found",
                   exit 9, before this command runs when an --env-file FILE is missing)
  --secrets-dir DIR  Docker secrets folder, one file per variable (default: /run/secrets)
  --full           validate the full CommonSettings set (web, CORS, DB fields), not only the auth ones
  --has-store      a revocation/refresh store is wired in code (stateful/hybrid need no REDIS_*)
Exits 1 when a setting is invalid or a fatal finding is reported, 0 otherwise.`;

type Settings = ReturnType<typeof loadSettings>;

function checkConfig(args: string[], io: CliIo): number {
  const values = parseOptions(args, {
    'env-file': { type: 'string', multiple: true },
    dotenv: { type: 'string', multiple: true },
    'secrets-dir': { type: 'string' },
    full: { type: 'boolean' },
    'has-store': { type: 'boolean' },
  });
  if (values.help) return printHelp(io, USAGE);
  const envFiles = givenEnvFiles(values['env-file'] ?? [], values.dotenv ?? [], io.cwd);
  const sources: SettingsSources = {
    env: io.env,
    // Passing env turns the defaults off, so ask for them explicitly.
    envFiles: envFiles.length > 0 ? envFiles : [findDotenv(io.cwd)].filter(isString),
    secretsDir: values['secrets-dir'] ?? DEFAULT_SECRETS_DIR,
    schema: values.full ? commonSettingsSchema : authSettingsSchema,
  };
  const settings = loadOrReport(sources, io);
  if (settings === undefined) return 1;
  return reportHealth(settings, defaultedSettings(sources), values['has-store'] ?? false, io);
}

/** The `--env-file` then `--dotenv` files, resolved; a missing one stops the command (exit 1). */
function givenEnvFiles(envFiles: string[], dotenvs: string[], cwd: string): string[] {
  const given = [
    ...envFiles.map((file) => ({ flag: '--env-file', file })),
    ...dotenvs.map((file) => ({ flag: '--dotenv', file })),
  ];
  return given.map(({ flag, file }) => {
    const resolved = path.resolve(cwd, file);
    if (!fs.existsSync(resolved))
      throw new CliError(`${flag} ${file}: no such file (${resolved}).`);
    return resolved;
  });
}

/** The settings, or `undefined` once every invalid one is printed. */
function loadOrReport(sources: SettingsSources, io: CliIo): Settings | undefined {
  try {
    return loadSettings({
      env: sources.env,
      envFile: sources.envFiles,
      secretsDir: sources.secretsDir,
      schema: sources.schema,
    });
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    io.err('Invalid settings:');
    for (const finding of err.findings) io.err(`  - ${finding}`);
    return undefined;
  }
}

/** Warnings on stdout, fatal findings on stderr (exit 1), then one OK line naming the defaults. */
function reportHealth(
  settings: Settings,
  defaulted: string[],
  hasStore: boolean,
  io: CliIo,
): number {
  const logger = {
    warn: (m: string) => io.out(`warning: ${m}`),
    error: (m: string) => io.err(`FATAL: ${m}`),
  };
  const mark = (name: string): string => (defaulted.includes(name) ? ' (default)' : '');
  try {
    const report = checkConfigHealth(settings, logger, { hasStore, defaulted });
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

export const checkConfigCommand: CliCommand = {
  name: 'check-config',
  summary: 'Validate the settings (env + .env) and run the start-up health checks',
  usage: USAGE,
  run: checkConfig,
};
