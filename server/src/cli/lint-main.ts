// `zdm lint` on its own, bundled as dist/lint-cli.js: the entry (entry.ts) loads this instead of the
// whole CLI (dist/cli-main.js, with the language server, the runner and the embedded PostgreSQL's
// JavaScript), so the main thread compiles a bundle of less than half the size before it lints. The
// lint pool's worker threads (lint-worker.ts) run the same bundle, so one code cache serves both.

import { parentPort } from 'node:worker_threads';
import { configureParseCache, initParser } from '../engine/sql/parser';
import { rememberSplits } from '../engine/sql/split';
import { runLint } from './lint-command';
import type { PoolWorker, WorkerReady } from './lint-workers';
import { BATCH_PARSE_CACHE, BATCH_SPLIT_MEMO, claimer, lintJobHere, type WorkerTask } from './pool';
import { commandIO, exitWith, VERSION } from './run';

export { keepDefaultV8Flags } from '../engine/v8-flags';

/** `zdm lint ARGS`, with the workers the entry already started for them. */
export function runLintCli(args: string[], early: PoolWorker[]): void {
  exitWith(runLint(args, commandIO('lint', args), VERSION, early), { promptly: true });
}

/**
 * In a lint worker thread: says it is ready (its code is loaded: the main thread may now change V8's
 * flags, see engine/v8-flags.ts), waits for its task, instantiates the parser from the module the
 * main thread compiled, lints the files it claims and posts the reports back.
 */
export function runLintWorker(codeCache: string): void {
  const ready: WorkerReady = { ready: true, codeCache };
  parentPort!.postMessage(ready);
  parentPort!.once('message', (task: WorkerTask) => {
    void initParser({ module: task.module }).then(() => {
      configureParseCache(BATCH_PARSE_CACHE);
      rememberSplits(BATCH_SPLIT_MEMO);
      parentPort!.postMessage(lintJobHere(task.job, claimer(new Int32Array(task.claims), task.job.files.length, task.slot, task.threads)));
    });
  });
}
