// What the ways into the CLI share (main.ts for every command, lint-main.ts for `zdm lint` alone): the
// version, the process's streams and how a command's result becomes the exit code.

import type { CommandIO } from './lint-command';

declare const ZDM_VERSION: string | undefined;
export const VERSION = typeof ZDM_VERSION === 'string' ? ZDM_VERSION : '0.0.0-dev';

export function processIO(): CommandIO {
  return {
    cwd: process.cwd(),
    stdout: (s: string) => void process.stdout.write(s),
    stderr: (s: string) => void process.stderr.write(s),
    stdoutPending: () => process.stdout.writableLength,
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
  };
}

/**
 * Sets the exit code from a command's result (3 and the stack for an internal error). With `promptly`,
 * the process exits as soon as stdout and stderr have taken everything written to them, instead of
 * first tearing down every thread's heap: after a corpus lint, whose heaps hold every parse tree, that
 * teardown took 40-50 ms (strace: last write to exit_group) of nothing the user waits for.
 */
export function exitWith(result: Promise<number>, options: { promptly?: boolean } = {}): void {
  result.then(
    (code) => {
      process.exitCode = code;
      if (options.promptly) exitWhenFlushed(code);
    },
    (error) => {
      process.stderr.write(`zdm: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 3;
    },
  );
}

/** Exits once both output streams have flushed what was written before (pipes are asynchronous on some systems). */
function exitWhenFlushed(code: number): void {
  let pending = 2;
  const flushed = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}
