// `zdm lint` on its own, bundled as dist/lint-cli.js: the entry (entry.ts) loads this instead of the
// whole CLI (dist/cli-main.js, with the language server, the runner and the embedded PostgreSQL's
// JavaScript), so the main thread compiles a bundle of less than half the size before it lints.

import { runLint } from './lint-command';
import type { PoolWorker } from './lint-workers';
import { exitWith, processIO, VERSION } from './run';

/** `zdm lint ARGS`, with the workers the entry already started for them. */
export function runLintCli(args: string[], early: PoolWorker[]): void {
  exitWith(runLint(args, processIO(), VERSION, early));
}
