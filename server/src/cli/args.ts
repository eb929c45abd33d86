// Reading a command's arguments, the same way for every command: node:util's parseArgs, bad usage
// reported with the command's help (exit 2), `--help` printing it (exit 0).

import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandIO } from './lint-command';

/** A parseArgs configuration whose options include `--help`. */
type WithHelp = ParseArgsConfig & { options: { help: { type: 'boolean' } } };

/**
 * Parses `config.args` for `zdm <command>`: the parsed values and positionals, or the exit code when the
 * command should stop here (2 after writing the problem and the help to stderr, 0 after printing the
 * help for --help). `redact` masks secrets a bad argument may hold (a URL with its password).
 */
export function parseCommandArgs<const T extends WithHelp>(command: string, help: string, io: CommandIO, config: T, redact: (text: string) => string = (text) => text): ReturnType<typeof parseArgs<T>> | number {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    io.stderr(`zdm ${command}: ${redact((error as Error).message)}\n\n${help}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout(help);
    return 0;
  }
  return parsed;
}
