/** The command-line parsing every command shares. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

type CommandConfig<O extends Options> = {
  args: string[];
  options: O & typeof HELP_OPTION;
  strict: true;
};

/** The parsed flags of a command: its options and `help`, typed from their declarations. */
export type ParsedOptions<O extends Options> = ReturnType<
  typeof parseArgs<CommandConfig<O>>
>['values'];

/**
 * The command's options plus `-h`/`--help`, strictly: an unknown flag, a positional argument or
 * a missing value throws parseArgs' own `ERR_PARSE_ARGS_*` error, which the dispatcher answers
 * with the command's usage and exit 2.
 */
export function parseOptions<O extends Options>(args: string[], options: O): ParsedOptions<O> {
  return parseArgs({ args, options: { ...options, ...HELP_OPTION }, strict: true }).values;
}
