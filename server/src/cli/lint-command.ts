// `zdm lint [paths|globs...]`: the same findings as the editor, for CI.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { SEVERITIES, SEVERITY_RANK, type Severity } from '../engine/model';
import { resolvedPath } from '../engine/paths';
import { parseCommandArgs } from './args';
import { changedSince, resolveFiles, UsageError } from './files';
import { expectManyFiles, LINT_OPTIONS, type PoolWorker } from './lint-workers';
import { type ConfigReport, prepareLintPool } from './pool';
import { OUTPUT_FORMATS, type OutputFormat, renderChunks, rendersPerFile, severitiesOf, StreamedOutput } from './reporters';

export interface CommandIO {
  cwd: string;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Characters written to stdout that it has not passed on yet (a full pipe); absent: never any. */
  stdoutPending?: () => number;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export const LINT_HELP = `Usage: zdm lint [options] [paths|globs...]

Lints PostgreSQL migration files (default: the current folder). Folders are searched for .sql files
that look like migrations (a migrations folder, a tool's names or markers, "migrationsDir" in
.zdm.json); the others are listed on stderr. Files named on the command line are always linted.

Options:
  --format text|json|sarif|github   Output format (default: text)
  --config FILE                     Use this .zdm.json instead of the nearest one
  --pg-version N                    Target PostgreSQL major version (overrides the config)
  --since REF                       Only migrations added or changed since the git ref REF
  --ignore-baseline                 Also lint migrations at or before the config's "baseline"
  --fail-on error|warning|info|hint Lowest severity that makes the exit code 1 (default: the config's "failOn", or error)
  --fix                             Apply safe fixes in place (every edit of a file applies cleanly, or the file is left untouched)
  --threads N                       Worker threads (default: one per core)
  --stdin-filename PATH             Lint the text on stdin as the migration at PATH (an editor's unsaved buffer):
                                    its format, config, other half and folder come from PATH
  --no-color                        Plain text output

Exit codes: 0 no findings at the failing level, 1 findings at or above it, 2 bad usage or config,
141 the reader closed the output early (zdm lint | head). With --fix, every file is still fixed and the code is the findings'.
`;


/**
 * `zdm lint ARGV`. `early`: workers the CLI's entry already started for these arguments (see
 * lint-workers.ts): the pool takes them over; those it did not take are stopped here.
 */
export async function runLint(argv: string[], io: CommandIO, version: string, early: PoolWorker[] = []): Promise<number> {
  try {
    return await lint(argv, io, version, early);
  } finally {
    for (const w of early) void w.worker.terminate();
  }
}

async function lint(argv: string[], io: CommandIO, version: string, early: PoolWorker[]): Promise<number> {
  const parsed = parseCommandArgs('lint', LINT_HELP, io, { args: argv, allowPositionals: true, options: LINT_OPTIONS });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const format = values.format as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) {
    io.stderr(`zdm lint: unknown --format "${values.format}"; use one of ${OUTPUT_FORMATS.join(', ')}.\n`);
    return 2;
  }
  if (values['fail-on'] !== undefined && !(SEVERITIES as readonly string[]).includes(values['fail-on'])) {
    io.stderr(`zdm lint: unknown --fail-on "${values['fail-on']}"; use one of ${SEVERITIES.join(', ')}.\n`);
    return 2;
  }
  let pgVersion: number | undefined;
  if (values['pg-version'] !== undefined) {
    pgVersion = Number.parseInt(values['pg-version'], 10);
    if (!Number.isInteger(pgVersion) || pgVersion < 9 || pgVersion > 30 || String(pgVersion) !== values['pg-version'].trim()) {
      io.stderr(`zdm lint: --pg-version must be a PostgreSQL major version such as 14 (got "${values['pg-version']}").\n`);
      return 2;
    }
  }
  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = Number.parseInt(values.threads, 10);
    if (!Number.isInteger(threads) || threads < 1) {
      io.stderr(`zdm lint: --threads must be a positive number (got "${values.threads}").\n`);
      return 2;
    }
  }
  const configPath = values.config !== undefined ? path.resolve(io.cwd, values.config) : undefined;
  if (configPath !== undefined && !fs.existsSync(configPath)) {
    io.stderr(`zdm lint: --config ${values.config}: no such file.\n`);
    return 2;
  }
  const stdinName = values['stdin-filename'];
  if (stdinName !== undefined) {
    const clash = positionals.length > 0 ? `paths (${positionals.join(' ')})` : values.fix ? '--fix (there is no file to rewrite)' : values.since !== undefined ? '--since' : undefined;
    if (clash !== undefined || stdinName === '') {
      io.stderr(`zdm lint: --stdin-filename lints the text on stdin as one file: ${clash !== undefined ? `it cannot be combined with ${clash}` : 'give the path the text will have'}.\n`);
      return 2;
    }
  }

  // Worker threads start now (if the entry has not started them already), overlapping with resolving
  // the files; the parser is compiled once they are ready (pool.ts, engine/v8-flags.ts).
  const pool = prepareLintPool({ threads, expectMany: stdinName === undefined && expectManyFiles(positionals, io.cwd), early });
  let files: string[];
  let stdin: { file: string; bytes: Buffer } | undefined;
  const listings = new Map<string, string[]>();
  const walked = new Set<string>();
  try {
    if (stdinName !== undefined) {
      stdin = { file: resolvedPath(path.resolve(io.cwd, stdinName)), bytes: fs.readFileSync(0) };
      files = [stdin.file];
    } else files = resolveFiles(positionals, io.cwd, listings, walked);
    if (values.since !== undefined) {
      const changed = changedSince(values.since, io.cwd);
      files = files.filter((f) => changed.has(f));
    }
  } catch (error) {
    pool.close();
    if (error instanceof UsageError) {
      io.stderr(`zdm lint: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const color = format === 'text' && io.isTTY && !values['no-color'] && io.env.NO_COLOR === undefined;
  const render = rendersPerFile(format) ? { format, cwd: reportRoot(format, io.cwd, io.env), color } : undefined;
  // The output is written as the main thread lints the files at the front of the list, in their order
  // (reporters.ts StreamedOutput); a config's problems go to stderr when the first file using it is
  // done, before that file's findings. The rest follows once every thread is done.
  const printed = new Set<string>();
  const printProblems = (c: ConfigReport) => {
    const key = c.path ?? '';
    if (printed.has(key)) return;
    printed.add(key);
    for (const p of c.problems) io.stderr(`zdm: ${c.path ? path.relative(io.cwd, c.path) || c.path : '.zdm.json'}: ${p.message}\n`);
  };
  const stream = render && isSorted(files) ? new StreamedOutput(render.format, render, { write: io.stdout, pending: io.stdoutPending }) : undefined;
  const job = { files, stdin, listings, configPath, ignoreBaseline: values['ignore-baseline'], pgVersion, fix: values.fix, render, walked };
  const { reports, configs, notMigrations } = await pool.run(
    job,
    stream &&
      ((index, report, firstUseOf) => {
        if (firstUseOf) printProblems(firstUseOf);
        stream.offer(index, report);
      }),
  );

  if (notMigrations.length > 0) {
    // Said on stderr, so that it never mixes with the findings in json, sarif or github output.
    const shown = notMigrations.slice(0, 3).map((f) => path.relative(io.cwd, f) || f);
    io.stderr(`zdm lint: left out ${notMigrations.length} .sql file${notMigrations.length === 1 ? '' : 's'} that ${notMigrations.length === 1 ? 'does' : 'do'} not look like ${notMigrations.length === 1 ? 'a migration' : 'migrations'} (${shown.join(', ')}${notMigrations.length > 3 ? ', ...' : ''}): name ${notMigrations.length === 1 ? 'it' : 'them'} to lint ${notMigrations.length === 1 ? 'it' : 'them'}, or set "migrationsDir" in .zdm.json.\n`);
  }
  const configBroken = configs.some((c) => c.problems.length > 0);
  for (const c of configs) printProblems(c);
  for (const r of reports) {
    if (r.fixReport) io.stderr(r.fixReport + '\n');
  }
  const linted = reports.filter((r) => !r.skipped).length;
  const summary = { cwd: reportRoot(format, io.cwd, io.env), color, fileCount: linted, version };
  if (stream) stream.finish(reports, summary);
  // In pieces of ~256 KB: see renderChunks.
  else for (const chunk of renderChunks(format, reports, summary)) io.stdout(chunk);

  const failOn = (values['fail-on'] as Severity | undefined) ?? strictestFailOn(configs.map((c) => c.failOn as Severity));
  const failing = reports.some((r) => severitiesOf(r).some((s) => SEVERITY_RANK[s] <= SEVERITY_RANK[failOn]));
  if (configBroken) return 2;
  return failing ? 1 : 0;
}

/**
 * The folder paths are shown relative to. GitHub's annotations and code scanning resolve a path from the
 * repository's root, so those formats use it (GITHUB_WORKSPACE, else the git work tree holding the
 * working folder): run from a subfolder of a monorepo, paths relative to the subfolder would point
 * nowhere. The other formats are for people and scripts in the working folder.
 */
function reportRoot(format: string, cwd: string, env: NodeJS.ProcessEnv): string {
  if (format !== 'github' && format !== 'sarif') return cwd;
  const workspace = env.GITHUB_WORKSPACE ? path.resolve(env.GITHUB_WORKSPACE) : undefined;
  if (workspace && (cwd === workspace || cwd.startsWith(workspace + path.sep))) return workspace;
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return cwd;
  }
}

/** Whether the list is in the order the pool's merged reports come in (so a prefix of it can be written first). */
function isSorted(files: readonly string[]): boolean {
  for (let i = 1; i < files.length; i++) if (!(files[i - 1] < files[i])) return false;
  return true;
}

function strictestFailOn(levels: Severity[]): Severity {
  if (levels.length === 0) return 'error';
  return levels.reduce((a, b) => (SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b));
}
