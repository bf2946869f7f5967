/** What every command prints the same way: its help, a failure, `.env` lines. */
import { isUsageError, type CliIo } from './command';

/** `<command> --help`: the usage on stdout, exit 0. */
export function printHelp(io: CliIo, usage: string): number {
  io.out(usage);
  return 0;
}

/**
 * A command that threw: a wrong command line is the message then `usage` (exit 2); anything
 * else is one plain line (exit 1), never a stack.
 */
export function reportFailure(err: unknown, usage: string, io: CliIo): number {
  if (isUsageError(err)) {
    io.err(`Error: ${(err as Error).message}\n`);
    io.err(usage);
    return 2;
  }
  io.err(`Error: ${(err as { message?: string } | null)?.message ?? String(err)}`);
  return 1;
}

/** One service's `.env`: its heading, then one line each. */
export function printEnvFile(io: CliIo, heading: string, lines: readonly string[]): void {
  io.out(heading);
  for (const line of lines) io.out(line);
}
