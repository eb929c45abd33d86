// Lints many files on every core: the main thread and (cores - 1) worker threads each take a share
// of the files, balanced by size, and each runs the whole engine on its share. Only small, plain
// reports cross thread boundaries (never parse trees).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createDiskHost } from '../engine/host';
import { fixFileInPlace } from '../engine/fixes/fix-file';
import { lintText } from '../engine/lint';
import { ConfigCache, lintFileFromDisk } from '../engine/project';
import { toFileReport, type FileReport } from '../engine/report';

export interface LintJob {
  files: string[];
  configPath?: string;
  ignoreBaseline?: boolean;
  /** Overrides the config's target PostgreSQL version (--pg-version). */
  pgVersion?: number;
  /** Apply safe fixes in place (--fix). */
  fix?: boolean;
}

export interface ConfigReport {
  path?: string;
  problems: { message: string; key?: string }[];
  failOn: string;
}

export interface JobResult {
  reports: FileReport[];
  configs: ConfigReport[];
}

/** Lints the files of a job in this thread. The parser must be initialized. */
export function lintJobHere(job: LintJob): JobResult {
  const host = createDiskHost();
  const configs = new ConfigCache(host, job.configPath, job.pgVersion !== undefined ? { pgVersion: job.pgVersion } : undefined);
  const reports: FileReport[] = [];
  for (const file of job.files) {
    if (configs.isIgnored(file)) continue;
    let result = lintFileFromDisk(file, host, configs, { ignoreBaseline: job.ignoreBaseline });
    let fixReport: string | undefined;
    if (job.fix && !result.skipped) {
      const fixed = fixFileInPlace(file, result, (text) => lintText(file, text, { config: configs.forFile(file).config, host, ignoreBaseline: job.ignoreBaseline }));
      result = fixed.result;
      fixReport = fixed.message;
    }
    const report = toFileReport(file, result);
    if (fixReport) report.fixReport = fixReport;
    reports.push(report);
  }
  return { reports, configs: configs.all().map((c) => ({ path: c.path, problems: c.problems, failOn: c.config.failOn })) };
}

const MIN_FILES_PER_THREAD = 48;

/** Lints a job using worker threads when there is enough work to pay for them. */
export async function lintJob(job: LintJob, options: { threads?: number } = {}): Promise<JobResult> {
  const cores = options.threads ?? Math.max(1, (os.availableParallelism?.() ?? os.cpus().length));
  const threads = Math.max(1, Math.min(cores, Math.floor(job.files.length / MIN_FILES_PER_THREAD)));
  const workerFile = path.join(__dirname, 'lint-worker.js');
  if (threads <= 1 || !fs.existsSync(workerFile)) return lintJobHere(job);
  const shares = partitionBySize(job.files, threads);
  const workers = shares.slice(1).map(
    (files) =>
      new Promise<JobResult>((resolve, reject) => {
        const worker = new Worker(workerFile, { workerData: { ...job, files } });
        worker.once('message', (result: JobResult) => resolve(result));
        worker.once('error', reject);
        worker.once('exit', (code) => {
          if (code !== 0) reject(new Error(`A lint worker exited with code ${code}.`));
        });
      }),
  );
  const here = lintJobHere({ ...job, files: shares[0] });
  const results = [here, ...(await Promise.all(workers))];
  return {
    reports: results.flatMap((r) => r.reports).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)),
    configs: mergeConfigs(results.flatMap((r) => r.configs)),
  };
}

function mergeConfigs(configs: ConfigReport[]): ConfigReport[] {
  const byPath = new Map<string, ConfigReport>();
  for (const c of configs) byPath.set(c.path ?? '', c);
  return [...byPath.values()];
}

/**
 * Splits files into `n` shares of about equal total size. The first share (the main thread's) gets a
 * head start's worth more, since workers spend their first moments loading the parser.
 */
export function partitionBySize(files: string[], n: number): string[][] {
  const sized = files.map((f) => {
    let size = 0;
    try {
      size = fs.statSync(f).size;
    } catch {
      size = 0;
    }
    return { f, size: size + 512 };
  });
  sized.sort((a, b) => b.size - a.size);
  const total = sized.reduce((a, s) => a + s.size, 0);
  const headStart = (total / n) * 0.1;
  const shares = Array.from({ length: n }, (_, i) => ({ files: [] as string[], load: i === 0 ? -headStart : 0 }));
  for (const s of sized) {
    let best = shares[0];
    for (const share of shares) if (share.load < best.load) best = share;
    best.files.push(s.f);
    best.load += s.size;
  }
  return shares.map((s) => s.files);
}
