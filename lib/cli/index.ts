#!/usr/bin/env node
/**
 * `npx auth-sdk-m8 <command>`: start-up checks, key generation and the SQL schema for operators.
 * Each command is one module of `commands/`; this file only picks one from the table.
 */
import { UsageError, type CliCommand, type CliIo } from './command';
import { checkConfigCommand } from './commands/check-config';
import { keygenCommand } from './commands/keygen';
import { migrateCommand } from './commands/migrate';
import { printHelp, reportFailure } from './output';
import { packageVersion } from './version';

export type { CliIo } from './command';

/** Every command, in the order `auth-sdk-m8 --help` lists them. */
const COMMANDS: readonly CliCommand[] = [checkConfigCommand, keygenCommand, migrateCommand];

const HELP_WORDS = ['--help', '-h', 'help'];
const VERSION_WORDS = ['--version', '-v', 'version'];

function mainUsage(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 3;
  return [
    'Usage: auth-sdk-m8 <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run "auth-sdk-m8 <command> --help" for the options of a command, "auth-sdk-m8 --version" for the version.',
  ].join('\n');
}

const USAGE = mainUsage(COMMANDS);

/** Runs one command line (without `node` and the script) and returns the exit code. */
export function runCli(argv: string[], io: CliIo): number {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // No command is a wrong command line (exit 2), but the usage goes to stdout: it was asked for.
    io.out(USAGE);
    return 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (command !== undefined) return command.run(rest, io);
    if (HELP_WORDS.includes(name)) return printHelp(io, USAGE);
    if (VERSION_WORDS.includes(name)) {
      io.out(packageVersion());
      return 0;
    }
    throw new UsageError(`Unknown command "${name}".`);
  } catch (err) {
    return reportFailure(err, command?.usage ?? USAGE, io);
  }
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
