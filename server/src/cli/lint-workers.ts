// Starting the lint pool's worker threads (see pool.ts), kept apart from the engine so that the CLI's
// entry (entry.ts, dist/cli.js) can start them before it loads the rest of the CLI: a worker's own
// start-up (a Node isolate, then its bundle) then overlaps the main thread's. Only Node's modules here.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { JobResult } from './pool'; // a type only: this module loads none of the engine
import { setV8Flag } from '../engine/v8-flags';

/** `zdm lint`'s options (lint-command.ts parses them; the entry reads them the same way to plan workers). */
export const LINT_OPTIONS = {
  format: { type: 'string', default: 'text' },
  config: { type: 'string' },
  'pg-version': { type: 'string' },
  since: { type: 'string' },
  'ignore-baseline': { type: 'boolean', default: false },
  'fail-on': { type: 'string' },
  fix: { type: 'boolean', default: false },
  threads: { type: 'string' },
  'stdin-filename': { type: 'string' },
  'no-color': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/** Below this many files per thread, a worker costs more than it brings. */
export const MIN_FILES_PER_THREAD = 48;

/** False when the inputs are a few files named one by one (no worker is worth starting for them). */
export function expectManyFiles(inputs: string[], cwd: string): boolean {
  if (inputs.length === 0 || inputs.length >= 2 * MIN_FILES_PER_THREAD) return true;
  return inputs.some((input) => !fs.statSync(path.resolve(cwd, input), { throwIfNoEntry: false })?.isFile());
}

/** The worker's bundle, beside this one (dist/), or the compiled lint-worker.js (out/). */
export function lintWorkerFile(): string {
  return path.join(__dirname, 'lint-worker.js');
}

/** How many worker threads a lint pool starts: one per core but the main thread's, none for a small job. */
export function plannedWorkers(threads: number | undefined, expectMany: boolean | undefined): number {
  const cores = threads ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  return cores > 1 && expectMany !== false && fs.existsSync(lintWorkerFile()) ? cores - 1 : 0;
}

export interface PoolWorker {
  worker: Worker;
  /** Settles once the worker has loaded its code and waits for a task (or has failed). */
  ready: Promise<void>;
  /** How V8 took the bundle's code cache in the worker (cli/code-cache.ts), once ready. */
  codeCache?: string;
  /** The reports it posts back, once it has been given a task. */
  result: Promise<JobResult>;
  failed?: unknown;
}

/** What a worker posts once it has loaded its code (lint-main.ts `runLintWorker`). */
export interface WorkerReady {
  ready: true;
  codeCache: string;
}

/** Starts a worker, unreferenced: it waits for its task (see lint-worker.ts) without keeping the process alive. */
export function startLintWorker(file: string = lintWorkerFile()): PoolWorker {
  const worker = new Worker(file);
  worker.unref();
  const entry = { worker } as PoolWorker;
  let isReady: () => void = () => undefined;
  entry.ready = new Promise<void>((resolve) => (isReady = resolve));
  let reported = false;
  entry.result = new Promise<JobResult>((resolve, reject) => {
    worker.on('message', (message: JobResult | WorkerReady) => {
      if ('ready' in message) {
        entry.codeCache = message.codeCache;
        isReady();
      } else {
        reported = true;
        resolve(message);
      }
    });
    worker.once('error', (error) => {
      entry.failed = error;
      isReady();
      reject(error);
    });
    worker.once('exit', (code) => {
      isReady();
      // A worker that ends without its reports (even with code 0) has failed: the pool must not wait for them.
      if (reported) return;
      entry.failed ??= code;
      reject(new Error(`A lint worker exited with code ${code} before it reported.`));
    });
  });
  entry.result.catch(() => undefined); // awaited by the pool's run(); a worker never used may fail unobserved
  return entry;
}

/**
 * With a lint thread on every core, V8's GC helper threads only take CPU from them: old-generation
 * marking is then done by each lint thread itself, not alongside it by four helper threads
 * (`--no-concurrent-marking`), and young-generation GCs are not shared out (`--no-parallel-scavenge`,
 * which the pool also sets when it starts workers itself). Corpus, 2 threads: the helpers' CPU went
 * from ~100 to ~15 ms, the whole run's from 1.39 to 1.34 s, wall time −38 ms; with `--threads 1` the
 * helpers have an idle core and are kept (see docs/performance.md).
 *
 * Only at process start, before any GC cycle has begun: V8 aborted when GC threading flags
 * (`--single-threaded-gc`, `--no-concurrent-sweeping`) were changed mid-run. V8 leaves GC threading
 * flags out of the flag hash it checks code caches against, so this costs no cache (see v8-flags.ts).
 */
function leaveNoCoreToGcHelpers(): void {
  setV8Flag('--no-concurrent-marking');
  setV8Flag('--no-parallel-scavenge');
}

/**
 * For `zdm lint ARGS`: starts the workers its pool will use, as lint-command.ts will decide them
 * (--threads, the core count, a few files named one by one). None when the arguments are bad or ask
 * for help: lint-command.ts reports those, and workers started for nothing are stopped. The CLI's
 * entry calls it `atProcessStart`, where the GC flags above can be changed safely.
 */
export function startEarlyLintWorkers(args: string[], cwd: string, options: { atProcessStart?: boolean } = {}): PoolWorker[] {
  try {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: LINT_OPTIONS });
    if (values.help || values['stdin-filename'] !== undefined) return [];
    const threads = values.threads === undefined ? undefined : Number.parseInt(values.threads, 10);
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) return [];
    const count = plannedWorkers(threads, expectManyFiles(positionals, cwd));
    if (count > 0 && options.atProcessStart) leaveNoCoreToGcHelpers();
    return Array.from({ length: count }, () => startLintWorker());
  } catch {
    return [];
  }
}
