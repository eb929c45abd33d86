// What the ways into the CLI share (main.ts for every command, lint-main.ts for `zdm lint` alone): the
// version, the process's streams and how a command's result becomes the exit code.

import type { CommandIO } from './lint-command';

declare const ZDM_VERSION: string | undefined;
export const VERSION = typeof ZDM_VERSION === 'string' ? ZDM_VERSION : '0.0.0-dev';

/**
 * What a command does when the reader of its output leaves early (`zdm lint | head`): `quit` ends the
 * process at once (commands that only report), `finish` drops the rest of the output and lets the
 * command finish its work (commands that change files or a database: a closed pager must not stop a
 * migration halfway).
 */
type OnBrokenPipe = 'quit' | 'finish';

/** Commands that change nothing, only report (`lint` without `--fix`): they quit when the reader of their output leaves. */
const REPORT_ONLY = new Set<string | undefined>(['lint', 'rules', '--version', '-v', 'version', undefined, '--help', '-h', 'help']);

/** The streams of the process for `zdm COMMAND ARGS`. */
export function commandIO(command: string | undefined, args: readonly string[]): CommandIO {
  return processIO(REPORT_ONLY.has(command) && !args.includes('--fix') ? 'quit' : 'finish');
}

function processIO(onBrokenPipe: OnBrokenPipe): CommandIO {
  watchForBrokenPipes(onBrokenPipe);
  return {
    cwd: process.cwd(),
    stdout: (s: string) => void (brokenPipe(process.stdout) || process.stdout.write(s)),
    stderr: (s: string) => void (brokenPipe(process.stderr) || process.stderr.write(s)),
    stdoutPending: () => process.stdout.writableLength,
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
  };
}

/** The exit code of a command ended because its reader closed its output: 128 + SIGPIPE, as a shell reports a process that signal ended. */
const BROKEN_PIPE_EXIT = 141;

let watching: OnBrokenPipe | undefined;

/**
 * Node reports a closed pipe (EPIPE) as an 'error' event on the stream, which, unhandled, printed a
 * stack trace in the middle of the command.
 */
function watchForBrokenPipes(onBrokenPipe: OnBrokenPipe): void {
  if (watching) return;
  watching = onBrokenPipe;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      if (watching === 'quit') process.exit(BROKEN_PIPE_EXIT);
    });
  }
}

function brokenPipe(stream: NodeJS.WriteStream): boolean {
  return (stream.errored as NodeJS.ErrnoException | null)?.code === 'EPIPE';
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
    // A write callback can learn of a closed pipe before the stream's 'error' event does.
    if (--pending === 0) process.exit(watching === 'quit' && (brokenPipe(process.stdout) || brokenPipe(process.stderr)) ? BROKEN_PIPE_EXIT : code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}
