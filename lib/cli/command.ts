/** What every command of `npx auth-sdk-m8` is, and the two ways one fails. */

/** Where a command writes and what it reads: the process's, or a test's. */
export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** One entry of the command table: the dispatcher and the usage text are built from these. */
export interface CliCommand {
  /** What the user types after `auth-sdk-m8`. */
  readonly name: string;
  /** One line for the command list of `auth-sdk-m8 --help`. */
  readonly summary: string;
  /** The command's own help: printed by `--help`, and after a wrong command line. */
  readonly usage: string;
  /** Runs the command and returns its exit code. */
  run(args: string[], io: CliIo): number;
}

/** Wrong command line: the message, then the usage, exit 2. */
export class UsageError extends Error {}

/** A plain failure the user can fix (a missing file): the message only, exit 1. */
export class CliError extends Error {}

/** A wrong command line: ours, or one `node:util` parseArgs refused (unknown flag, missing value). */
export function isUsageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
  );
}
