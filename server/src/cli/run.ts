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
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
  };
}

/** Sets the exit code from a command's result (3 and the stack for an internal error). */
export function exitWith(result: Promise<number>): void {
  result.then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`zdm: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 3;
    },
  );
}
