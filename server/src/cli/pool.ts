// Lints many files on every core: the main thread and (cores - 1) worker threads each run the whole
// engine on the files they claim. Only small, plain reports cross thread boundaries (never parse
// trees).
//
// Built for wall time on small machines (CI has 2 cores):
// - workers are started before the files are even resolved (`prepareLintPool`), so their start-up
//   (a Node isolate, the bundle) overlaps the main thread's own work;
// - the parser's WASM is compiled once, by the main thread, and the compiled module is handed to the
//   workers, which only instantiate it;
// - files are claimed dynamically through a shared counter, so a worker that starts late, or a thread
//   slowed by other load on the machine, simply lints fewer files. With one worker, the main thread
//   takes files from the front of the sorted list and the worker from the back: each keeps a
//   contiguous run of neighbouring files, whose repeated statements (a down re-creating what its up
//   dropped, sibling files) then hit that thread's parse cache.
// The result never depends on which thread linted a file: reports are sorted by file and configs are
// listed in the order a single thread would have met them.

import { createDiskHost, createMemoryHost, type DiskHost, withFileText } from '../engine/host';
import { fixFileInPlace } from '../engine/fixes/fix-file';
import { lintText } from '../engine/lint';
import { ConfigCache, lintFileFromDisk, looksLikeMigration } from '../engine/project';
import { toFileReport, type FileReport } from '../engine/report';
import { rememberSplits } from '../engine/sql/split';
import type { LoadedConfig } from '../engine/config/config';
import { setV8Flag } from '../engine/v8-flags';
import { type FilePartOptions, withRenderedPart } from './reporters';
import { MIN_FILES_PER_THREAD, plannedWorkers, startLintWorker, type PoolWorker } from './lint-workers';
import { compileParser, type CompiledParser, configureParseCache, initParser } from '../engine/sql/parser';

export interface LintJob {
  files: string[];
  configPath?: string;
  ignoreBaseline?: boolean;
  /** Overrides the config's target PostgreSQL version (--pg-version). */
  pgVersion?: number;
  /** Apply safe fixes in place (--fix). */
  fix?: boolean;
  /** Entry names of the folders already listed while looking for the files, by path (files.ts `resolveFiles`): every thread's disk host starts with them. */
  listings?: Map<string, string[]>;
  /** A file whose bytes are given instead of read from the disk (--stdin-filename): the job's only file. */
  stdin?: { file: string; bytes: Buffer };
  /** Render each file's part of the output as it is linted (cli/reporters.ts `renderFilePart`): the lint threads share the rendering, and a worker sends text instead of findings. */
  render?: FilePartOptions;
  /** Files found by walking a folder: each is linted only when it looks like a migration (project.ts `looksLikeMigration`). */
  walked?: Set<string>;
}

export interface ConfigReport {
  path?: string;
  problems: { message: string; key?: string }[];
  failOn: string;
  /** Index (in the job's file list) of the first file that used this config, for a stable order. */
  firstUse?: number;
}

export interface JobResult {
  reports: FileReport[];
  configs: ConfigReport[];
  /** Files found by walking a folder that were left out: they do not look like migrations. */
  notMigrations: string[];
}

/** What the main thread posts to a worker. */
export interface WorkerTask {
  job: LintJob;
  /** The parser's compiled WASM. */
  module: CompiledParser;
  /** One Int32: how many files have been claimed so far, by all threads. */
  claims: SharedArrayBuffer;
  /** This thread's place: 0 is the main thread. */
  slot: number;
  threads: number;
}

/**
 * The parse cache of a batch run. Rules read other files than the one being linted: its other half,
 * its pop group's parts and, for the history of column types, every earlier migration of its folder
 * (read once per folder, see history.ts). With an LRU of 1,000 statements the folder's statements
 * parsed for the history were evicted before their own files were linted (7,816 parses of 5,143
 * distinct statements on the corpus); 20,000 keeps them (the trees of the whole corpus are ~10 MB,
 * and the history keeps the trees of the up statements it reads anyway: peak RSS did not change).
 */
export const BATCH_PARSE_CACHE = { maxEntries: 20_000, maxChars: 64 * 1024 * 1024 };

/** Texts whose splits a batch run keeps (a file, its other half, its pop group's parts, the folder the history read). */
export const BATCH_SPLIT_MEMO = 4096;

/** Files per chunk when more than two threads claim files. */
const CHUNK = 8;

/** A claim function: the index of the next file this thread lints, or undefined when none is left. */
export type Claim = () => number | undefined;

export function claimer(claims: Int32Array, count: number, slot: number, threads: number): Claim {
  let taken = 0;
  if (threads === 2) {
    return () => {
      if (Atomics.add(claims, 0, 1) >= count) return undefined;
      const i = taken++;
      return slot === 0 ? i : count - 1 - i;
    };
  }
  let next = 0;
  let end = 0;
  return () => {
    if (next >= end) {
      next = Atomics.add(claims, 0, 1) * CHUNK;
      end = Math.min(count, next + CHUNK);
      if (next >= count) return undefined;
    }
    return next++;
  };
}

/**
 * Told about each file as soon as this thread has linted it: its index in the job, its report
 * (undefined for a file the config ignores), and the config it used when this is the first file of
 * the thread to use it. The CLI writes the output as it comes (see `LintPool.run`).
 */
export type ReportListener = (index: number, report: FileReport | undefined, firstUseOf?: ConfigReport) => void;

/** Lints the files of a job in this thread (all of them, or those `claim` hands out), reading them through `host`. The parser must be initialized. */
export function lintJobHere(job: LintJob, claim?: Claim, disk: DiskHost = createDiskHost({ cache: true, listings: job.listings }), onReport?: ReportListener): JobResult {
  const host = job.stdin ? withFileText(disk, job.stdin.file, job.stdin.bytes) : disk;
  const configs = new ConfigCache(host, job.configPath, job.pgVersion !== undefined ? { pgVersion: job.pgVersion } : undefined);
  const firstUse = new Map<LoadedConfig, number>();
  const reports: FileReport[] = [];
  const notMigrations: string[] = [];
  let sequential = 0;
  const next: Claim = claim ?? (() => (sequential < job.files.length ? sequential++ : undefined));
  for (let index = next(); index !== undefined; index = next()) {
    const file = job.files[index];
    const loaded = configs.forFile(file);
    const seen = firstUse.get(loaded);
    if (seen === undefined || index < seen) firstUse.set(loaded, index);
    const firstUseOf = seen === undefined && onReport ? configReport(loaded, index) : undefined;
    if (configs.isIgnored(file) || (job.walked?.has(file) && !looksLikeMigration(file, host.readFile(file) ?? '', host, loaded))) {
      if (!configs.isIgnored(file)) notMigrations.push(file);
      onReport?.(index, undefined, firstUseOf);
      continue;
    }
    let result = lintFileFromDisk(file, host, configs, { ignoreBaseline: job.ignoreBaseline });
    let fixReport: string | undefined;
    if (job.fix && !result.skipped) {
      const fixed = fixFileInPlace(file, result, (text, created) =>
        lintText(file, text, { config: configs.forFile(file).config, host: created?.length ? createMemoryHost(Object.fromEntries(created.map((c) => [c.path, c.text])), host) : host, ignoreBaseline: job.ignoreBaseline }),
      );
      result = fixed.result;
      fixReport = fixed.message;
    }
    const report = toFileReport(file, result);
    if (fixReport) report.fixReport = fixReport;
    const kept = job.render ? withRenderedPart(report, job.render) : report;
    reports.push(kept);
    onReport?.(index, kept, firstUseOf);
  }
  return { reports, configs: configs.all().map((c) => configReport(c, firstUse.get(c))), notMigrations };
}

function configReport(loaded: LoadedConfig, firstUse: number | undefined): ConfigReport {
  return { path: loaded.path, problems: loaded.problems, failOn: loaded.config.failOn, firstUse };
}

export interface LintPool {
  /**
   * Lints the job on the main thread and the pool's workers. `onReport` hears about the files the
   * main thread lints, as it lints them, when it lints a run of files from the front of the list
   * (one thread, or one worker linting from the back): every file before one it reports has been
   * reported already, so their output can be written in order before the others are done.
   */
  run(job: LintJob, onReport?: ReportListener): Promise<JobResult>;
  /** Stops the workers without running anything (bad usage found after the pool was prepared). */
  close(): void;
}

export interface PoolOptions {
  /** Threads in all, the main thread included (default: one per core). */
  threads?: number;
  /** False when the job is known to be small (a few files named one by one): no worker is started. */
  expectMany?: boolean;
  /**
   * Workers already started for this job (by the CLI's entry, see lint-workers.ts). The pool takes
   * them out of this array when they are the ones it would start; those left are the caller's to stop.
   */
  early?: PoolWorker[];
}

/** From this many files on, V8 optimizes hot code as usual: the optimized code pays for its compilation. */
export const OPTIMIZE_FROM_FILES = 5000;

/**
 * Starts the pool's workers now, before the files are known, so that their start-up overlaps with
 * resolving the files. Workers wait, unreferenced, until `run` gives them a job.
 */
export function prepareLintPool(options: PoolOptions = {}): LintPool {
  const wanted = plannedWorkers(options.threads, options.expectMany);
  const early = options.early?.length === wanted ? options.early.splice(0) : [];
  const workers = early.length > 0 || wanted === 0 ? early : Array.from({ length: wanted }, () => startLintWorker());
  const close = () => {
    for (const w of workers) void w.worker.terminate();
  };
  return {
    close,
    async run(job, onReport) {
      // The workers this job uses; a worker that failed to start is left out (it has claimed no file).
      const wanted = Math.max(1, Math.min(workers.length + 1, Math.floor(job.files.length / MIN_FILES_PER_THREAD)));
      const started = workers.filter((w) => w.failed === undefined);
      for (const w of started.slice(wanted - 1)) void w.worker.terminate();
      // The V8 flags below are set once those workers have loaded their code: a flag changed earlier makes
      // a starting worker compile Node's built-in modules and the bundle again (v8-flags.ts). They start
      // with the process and the main thread has resolved the files meanwhile; for what is left of the
      // wait (~15 ms on the corpus), it reads the files it will lint first.
      const host = createDiskHost({ cache: true, listings: job.listings });
      const using = started.slice(0, wanted - 1);
      const loaded = Promise.all(using.map((w) => w.ready));
      if (using.length === 1) await readWhileWaiting(host, job.files, loaded);
      await loaded;
      const helpers = using.filter((w) => w.failed === undefined);
      // V8's optimizing compiler (TurboFan) recompiles the engine's hot functions on background threads:
      // on the 1,324-file corpus that was ~2 s of CPU (as much as the lint itself) that a one-pass run
      // does not earn back, and on a 2-core machine those threads compete with the lint threads. Below
      // OPTIMIZE_FROM_FILES files, the code stays in V8's baseline tiers (see docs/performance.md).
      // From Node 22, V8 has a second optimizing compiler (Maglev, on by default) that `--no-opt` (an
      // alias of `--no-turbofan` there) leaves on: it is turned off with it. On Node 24, `--threads 1` on
      // the corpus: 2.44 -> 1.89 s of CPU, 202 -> 171 MB of RSS; on Node 22 1.93 -> 1.78 s; Node 20's
      // V8 has Maglev off already (nineteenth round). A run that optimizes leaves Maglev as it was.
      if (job.files.length < OPTIMIZE_FROM_FILES) {
        setV8Flag('--no-opt');
        setV8Flag('--no-maglev');
      } else {
        setV8Flag('--opt');
      }
      const threads = helpers.length + 1;
      const claims = new SharedArrayBuffer(4);
      if (threads > 1) {
        // Young-generation GCs normally share their work with V8's helper threads. With a lint thread on
        // every core the helpers only compete with them (corpus: ~30 ms of wall time); with one thread
        // they use an idle core, so they stay (see docs/performance.md).
        setV8Flag('--no-parallel-scavenge');
        // The workers get the compiled parser before this thread instantiates its own copy: each
        // instantiates it (~10 ms) at the same time.
        const module = await compileParser();
        helpers.forEach((w, i) => {
          w.worker.ref();
          const task: WorkerTask = { job, module, claims, slot: i + 1, threads };
          w.worker.postMessage(task);
        });
      }
      await initParser();
      configureParseCache(BATCH_PARSE_CACHE);
      rememberSplits(BATCH_SPLIT_MEMO);
      if (threads <= 1) return lintJobHere(job, undefined, host, onReport);
      // With more than one worker, the threads claim chunks in turn: the main thread's files are not a run from the front.
      const here = lintJobHere(job, claimer(new Int32Array(claims), job.files.length, 0, threads), host, threads === 2 ? onReport : undefined);
      const results = await Promise.all(helpers.map((w) => w.result));
      // Done with: each worker tears its heap down now, while this thread merges and writes the output
      // (at exit, the process would otherwise wait for that teardown).
      for (const w of helpers) void w.worker.terminate();
      return mergeResults([here, ...results]);
    },
  };
}

/**
 * Reads files from the front of the list (those the main thread claims first when it shares the job
 * with one worker) into the host's cache until `done` settles, a few at a time so that the worker's
 * message is not kept waiting, and at most half of the files.
 */
export async function readWhileWaiting(host: Pick<DiskHost, 'readFile'>, files: readonly string[], done: Promise<unknown>): Promise<void> {
  let settled = false;
  void done.then(
    () => (settled = true),
    () => (settled = true),
  );
  const half = Math.ceil(files.length / 2);
  for (let i = 0; i < half && !settled; ) {
    for (const end = Math.min(half, i + 8); i < end; i++) host.readFile(files[i]);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Lints a job using worker threads when there is enough work to pay for them. */
export async function lintJob(job: LintJob, options: { threads?: number } = {}): Promise<JobResult> {
  return prepareLintPool({ threads: options.threads, expectMany: job.files.length >= 2 * MIN_FILES_PER_THREAD }).run(job);
}

function mergeResults(results: JobResult[]): JobResult {
  return {
    reports: results.flatMap((r) => r.reports).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
    configs: mergeConfigs(results.flatMap((r) => r.configs)),
    notMigrations: results.flatMap((r) => r.notMigrations).sort(),
  };
}

/** One report per config file, in the order of first use (as one thread linting every file would list them). */
function mergeConfigs(configs: ConfigReport[]): ConfigReport[] {
  const ordered = [...configs].sort((a, b) => (a.firstUse ?? Infinity) - (b.firstUse ?? Infinity));
  const byPath = new Map<string, ConfigReport>();
  for (const c of ordered) if (!byPath.has(c.path ?? '')) byPath.set(c.path ?? '', c);
  return [...byPath.values()];
}
