// Backfill verification: the `-- zdm:verify <query> -- expect <value>` directives of a migration
// (parsed by scaffold/verify-directives.ts, the scaffolding's own format) run on the dev database, each
// in a READ ONLY transaction that is rolled back, with the result recorded in `.zdm/verify.json`
// (scaffold/verify-record.ts), which the `trio-incomplete` rule reads.
//
// In a sqitch project, `zdm verify` without FILE also does what `sqitch verify` does (runner/sqitch-verify.ts):
// every deployed change's verify script (`verify/<change>.sql`), run as sqitch runs it (its own
// BEGIN/ROLLBACK decide: sqitch's template rolls back, and what a script commits stays), and the
// checks sqitch makes (changes out of order, not in the plan, planned and not deployed).
//
// The contract gate: before `zdm up` applies the contract migration of a trio (`<slug>_3_contract`),
// the backfill of the same trio (`<slug>_2_backfill`) must be applied and its verification must pass
// on the dev database, now. Otherwise `zdm up` refuses (exit 1), unless `--force`.

import * as path from 'node:path';
import { loadConfig } from '../config/config';
import { describeMigration } from '../formats/index';
import { createDiskHost } from '../host';
import { defaultDirCandidates, targetVersion, upTargetOf } from '../runner/commands';
import { applySessionTimeouts, dbErrorInfo, withClient, type Session } from '../runner/db';
import { verifySqitchChanges, type SqitchVerifyEntry } from '../runner/sqitch-verify';
import type { RunResult } from '../runner/events';
import type { Migration } from '../runner/migrations';
import { holdsMigration, planUp, type MigrationState, type MigrationStatus } from '../runner/plan';
import { splitStatements } from '../sql/split';
import { findTrioSibling, trioStepOf } from '../scaffold/trio-names';
import { matchesExpectation, parseVerifyDirectives, type VerifyDirective } from '../scaffold/verify-directives';
import { recordVerifyResult } from '../scaffold/verify-record';
import { finding, locationOf, locationOfError, type ProveFinding } from './findings';
import { connectProblem, ProveUsageError, readStatuses, resolveTarget, type ProveOptions, type ProveTarget } from './target';

export interface VerifyOptions extends ProveOptions {
  /** Files to verify; every migration with directives when empty. */
  files?: string[];
  /** Write `.zdm/verify.json` (default true). */
  record?: boolean;
}

export interface DirectiveResult {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  sql: string;
  expect: string;
  /** The first column of the first row, as text ('NULL' for NULL, '(no row)' when there was none). */
  actual?: string;
  passed: boolean;
  error?: { message: string; code?: string };
  durationMs: number;
}

export interface FileVerification {
  file: string;
  version?: string;
  name?: string;
  /** The migration's state on the dev database. */
  state?: MigrationState;
  /** False when its directives were not run (not applied yet, and not asked for by name). */
  ran: boolean;
  note?: string;
  passed: boolean;
  directives: DirectiveResult[];
}

export interface VerifyResult {
  command: 'verify';
  ok: boolean;
  database?: string;
  source?: string;
  files: FileVerification[];
  /** A sqitch project, without FILE: `sqitch verify`'s verdict on every deployed change (runner/sqitch-verify.ts). */
  sqitch?: { changes: SqitchVerifyEntry[]; passed: boolean };
  findings: ProveFinding[];
  warnings: string[];
  usageError?: string;
  error?: { message: string; code?: string };
  durationMs: number;
}

/** Runs the verification directives of the given files (or of every migration that has some). */
export async function verifyBackfills(options: VerifyOptions): Promise<VerifyResult> {
  const started = performance.now();
  const result: VerifyResult = { command: 'verify', ok: false, files: [], findings: [], warnings: [], durationMs: 0 };
  const emit = (event: { type: 'info' | 'warning' | 'progress'; message: string }) => {
    if (event.type === 'warning') result.warnings.push(event.message);
    options.onEvent?.(event);
  };
  const finish = () => {
    result.durationMs = performance.now() - started;
    return result;
  };
  let target: ProveTarget;
  try {
    // Verification only reads: no confirmation for a remote dev database.
    target = await resolveTarget({ ...options, yes: true, onEvent: emit }, 'Verification');
  } catch (error) {
    if (error instanceof ProveUsageError) {
      result.usageError = error.message;
      return finish();
    }
    throw error;
  }
  result.database = target.display;
  result.source = target.origin;
  const host = createDiskHost();
  const explicit = (options.files ?? []).map((f) => path.resolve(options.cwd, f));
  const candidates: { file: string; text: string; directives: VerifyDirective[]; migration?: Migration }[] = [];
  const migrations = target.project.loadedMigrations.migrations;
  if (explicit.length > 0) {
    for (const file of explicit) {
      const text = host.readFile(file);
      if (text === undefined) {
        result.usageError = `Cannot read ${path.relative(options.cwd, file) || file}.`;
        return finish();
      }
      const directives = parseVerifyDirectives(text);
      if (directives.length === 0) {
        result.usageError = `${path.relative(options.cwd, file) || file} has no "-- zdm:verify <query> -- expect <value>" directive.`;
        return finish();
      }
      candidates.push({ file, text, directives, migration: migrations.find((m) => path.resolve(m.upPath) === file || (m.downPath && path.resolve(m.downPath) === file)) });
    }
  } else {
    for (const m of migrations) {
      const directives = parseVerifyDirectives(m.up.fileText);
      if (directives.length > 0) candidates.push({ file: m.upPath, text: m.up.fileText, directives, migration: m });
    }
    if (candidates.length === 0 && target.format !== 'sqitch') emit({ type: 'info', message: 'No migration has -- zdm:verify directives.' });
  }

  try {
    await withClient(
      target.url,
      async (session) => {
        const statuses = await readStatuses(session, target).catch(() => [] as MigrationStatus[]);
        if (target.format === 'sqitch' && explicit.length === 0) {
          emit({ type: 'progress', message: 'Running the verify scripts of the deployed sqitch changes ...' });
          // The configured timeouts, as for a run (each script's own SETs are reset after it).
          await applySessionTimeouts(session, target.timeouts);
          const changes = await verifySqitchChanges(session, statuses, target.redact, target.timeouts);
          result.sqitch = { changes, passed: changes.every((c) => c.ok) };
          for (const c of changes) {
            if (c.skipped === 'missing') emit({ type: 'warning', message: `Verify script ${path.relative(options.cwd, c.file!) || c.file} does not exist (sqitch warns the same; the change counts as verified).` });
            if (!c.error?.file) continue;
            const text = host.readFile(c.error.file) ?? '';
            const where = locationOfError(c.error, locationOf(c.error.file, text, { start: 0, end: 0 }));
            result.findings.push(finding(where, 'verify-failed', 'error', `sqitch verify script of ${c.name} failed: ${c.error.message}`, { help: 'The change is deployed but does not verify: fix the database (or the script), as sqitch verify would report it.' }));
          }
        }
        for (const c of candidates) {
          const status = c.migration ? statuses.find((s) => s.migration === c.migration) : undefined;
          const entry: FileVerification = { file: c.file, version: c.migration?.version, name: c.migration?.name, state: status?.state, ran: false, passed: false, directives: [] };
          result.files.push(entry);
          // Below a Flyway baseline: it ran before the baseline was taken, so the database has it.
          const applied = status !== undefined && holdsMigration(status);
          if (!applied && status && explicit.length === 0) {
            entry.note = `not applied on the dev database (${status.state}): its directives were not run`;
            continue;
          }
          if (!applied && status) entry.note = `not applied on the dev database (${status.state}): the queries ran anyway, and are expected to fail until it is`;
          emit({ type: 'progress', message: `Verifying ${path.relative(options.cwd, c.file) || c.file} ...` });
          entry.directives = await runDirectives(session, c.file, c.text, c.directives, target.timeouts.statementTimeout);
          entry.ran = true;
          entry.passed = entry.directives.every((d) => d.passed);
          for (const d of entry.directives.filter((x) => !x.passed)) {
            result.findings.push(
              finding({ file: c.file, line: d.line, column: d.column, endLine: d.endLine, endColumn: d.endColumn }, 'verify-failed', 'error', d.error ? `zdm:verify query failed: ${target.redact(d.error.message)}` : `zdm:verify expected ${d.expect}, got ${d.actual}: ${d.sql}`, {
                version: c.migration?.version,
                help: d.error ? 'Fix the query: it must return one value.' : 'The backfill has not reached every row yet: run it (again), then verify.',
              }),
            );
          }
          if (options.record !== false) {
            try {
              recordVerifyResult(target.project.root, c.file, {
                passed: entry.passed,
                at: new Date().toISOString(),
                ...(entry.passed ? {} : { failures: entry.directives.filter((d) => !d.passed).map((d) => ({ sql: d.sql, expect: d.expect, actual: d.error ? `error: ${target.redact(d.error.message)}` : d.actual ?? '' })) }),
              });
            } catch (error) {
              emit({ type: 'warning', message: `Could not write .zdm/verify.json: ${(error as Error).message}` });
            }
          }
        }
      },
      { applicationName: 'zdm verify' },
    );
  } catch (error) {
    const usage = connectProblem(error, target.redact);
    if (usage) result.usageError = usage.message;
    else result.error = { message: target.redact(error instanceof Error ? error.message : String(error)) };
  }
  result.ok = result.error === undefined && result.usageError === undefined && result.files.every((f) => !f.ran || f.passed) && result.sqitch?.passed !== false;
  return finish();
}

/** Runs each directive in a READ ONLY transaction, rolled back, under the configured statement_timeout. */
export async function runDirectives(session: Session, file: string, text: string, directives: readonly VerifyDirective[], statementTimeout?: string): Promise<DirectiveResult[]> {
  const out: DirectiveResult[] = [];
  for (const d of directives) {
    const where = locationOf(file, text, d.sqlSpan);
    const entry: DirectiveResult = { line: where.line, column: where.column, endLine: where.endLine, endColumn: where.endColumn, sql: d.sql, expect: d.expect, passed: false, durationMs: 0 };
    const started = performance.now();
    // One query: with more, a COMMIT among them would end the READ ONLY transaction and let what
    // follows it write (`SELECT 0; COMMIT; DELETE FROM t`), with no confirmation asked for.
    const count = splitStatements(d.sql).statements.length;
    if (count !== 1) {
      entry.error = { message: count === 0 ? 'The -- zdm:verify directive holds no query.' : `A -- zdm:verify directive runs one query; this one holds ${count} statements. Put each check on its own -- zdm:verify line.` };
      entry.durationMs = performance.now() - started;
      out.push(entry);
      continue;
    }
    await session.queryText('BEGIN READ ONLY');
    try {
      if (statementTimeout) await session.query("SELECT set_config('statement_timeout', $1, true)", [/^\d+$/.test(statementTimeout) ? `${statementTimeout}ms` : statementTimeout]);
      const rows = await session.query<Record<string, unknown>>(d.sql);
      const value = rows.length > 0 ? Object.values(rows[0])[0] : undefined;
      entry.actual = value === undefined ? '(no row)' : value === null ? 'NULL' : value instanceof Date ? value.toISOString() : String(value);
      entry.passed = matchesExpectation(value, d.expect);
    } catch (error) {
      const info = dbErrorInfo(error);
      entry.error = { message: info?.message ?? (error instanceof Error ? error.message : String(error)), ...(info?.code ? { code: info.code } : {}) };
    } finally {
      await session.queryText('ROLLBACK').catch(() => undefined);
    }
    entry.durationMs = performance.now() - started;
    out.push(entry);
  }
  return out;
}

export interface GateOptions extends ProveOptions {
  /** `zdm up --to VERSION`: only migrations up to it are applied. */
  to?: string;
}

export interface GateOutcome {
  /** Set when `zdm up` must not run: a RunResult-shaped refusal (what `zdm up --format json` prints). */
  refusal?: RunResult;
  /** Contracts whose backfill verification passed just now. */
  passed: string[];
}

/**
 * Checks the trio contracts `zdm up` would apply. A contract is refused while its backfill is not
 * applied, or while the backfill's directives do not all pass on the dev database now. Problems the
 * runner reports itself (no database, bad config) let it run: it says them better.
 */
export async function checkContractGate(options: GateOptions): Promise<GateOutcome> {
  const outcome: GateOutcome = { passed: [] };
  // Most projects have no trio: a look at the file names spares `zdm up` a second connection.
  if (!mayHoldContract(options)) return outcome;
  let target: ProveTarget;
  try {
    target = await resolveTarget({ ...options, yes: true }, 'zdm up');
  } catch (error) {
    if (error instanceof ProveUsageError) return outcome;
    throw error;
  }
  const host = createDiskHost();
  const migrations = target.project.loadedMigrations.migrations;
  const rel = (file: string) => path.relative(options.cwd, file) || file;
  try {
    await withClient(
      target.url,
      async (session) => {
        const statuses = await readStatuses(session, target);
        // The --to as `zdm up` reads it (a sqitch change name, name@tag, @HEAD^; a Liquibase id): one it
        // refuses is left to it, and the contracts checked are those it would apply.
        const to = targetVersion(statuses, target.project, target.format, options.to, options.cwd, 'zdm up --to');
        if (to.problem) return;
        const plan = planUp(statuses, { to: to.version });
        if (plan.problems.length > 0) return;
        const planned = new Set(plan.steps.map((s) => s.migration));
        for (const step of plan.steps) {
          const m = step.migration;
          const doc = describeMigration(m.upPath, m.up.fileText, host, { format: target.project.loaded.config.format });
          const trio = trioStepOf(doc);
          if (!trio || trio.step !== 'contract') continue;
          const backfillPath = findTrioSibling(doc, trio.slug, 'backfill', host);
          if (!backfillPath) continue; // the trio-incomplete rule reports a missing backfill
          const text = host.readFile(backfillPath) ?? '';
          const directives = parseVerifyDirectives(text);
          if (directives.length === 0) continue;
          const backfill = migrations.find((x) => path.resolve(x.upPath) === path.resolve(backfillPath));
          const status = backfill ? statuses.find((s) => s.migration === backfill) : undefined;
          const contractLine = locationOf(m.upPath, m.up.fileText, m.up.anchor);
          const refuse = (message: string, hint: string) => {
            outcome.refusal = {
              command: 'up',
              ok: false,
              database: target.display,
              source: target.origin,
              steps: [],
              warnings: [],
              durationMs: 0,
              error: { message, hint, file: m.upPath, line: contractLine.line, column: contractLine.column, endLine: contractLine.endLine, endColumn: contractLine.endColumn, section: 'up' },
            };
          };
          // A backfill below a Flyway baseline ran before the baseline was taken: it counts as applied (zdm up never runs it).
          if (backfill && (planned.has(backfill) || (status && !holdsMigration(status)))) {
            refuse(
              `Refusing to apply the contract ${rel(m.upPath)}: its backfill ${rel(backfillPath)} is not applied yet, so nothing shows that every row was copied before the old structure is dropped.`,
              `Apply up to the backfill (zdm up --to ${upTargetOf(backfill)}), check it with zdm verify ${rel(backfillPath)}, then run zdm up again. --force applies the contract anyway.`,
            );
            return;
          }
          const results = await runDirectives(session, backfillPath, text, directives, target.timeouts.statementTimeout);
          const passed = results.every((r) => r.passed);
          try {
            recordVerifyResult(target.project.root, backfillPath, {
              passed,
              at: new Date().toISOString(),
              ...(passed ? {} : { failures: results.filter((r) => !r.passed).map((r) => ({ sql: r.sql, expect: r.expect, actual: r.error ? `error: ${target.redact(r.error.message)}` : r.actual ?? '' })) }),
            });
          } catch {
            // The record only helps the linter.
          }
          if (!passed) {
            const failed = results.filter((r) => !r.passed);
            refuse(
              `Refusing to apply the contract ${rel(m.upPath)}: the verification of its backfill ${rel(backfillPath)} fails on the dev database: ${failed
                .map((r) => (r.error ? `${r.sql} failed (${target.redact(r.error.message)})` : `${r.sql} returned ${r.actual}, expected ${r.expect}`))
                .join('; ')}.`,
              `Run the backfill to the end (it resumes where it stopped), check with zdm verify ${rel(backfillPath)}, then run zdm up again. --force applies the contract anyway.`,
            );
            return;
          }
          outcome.passed.push(m.version);
        }
      },
      { applicationName: 'zdm up (contract check)' },
    );
  } catch (error) {
    if (connectProblem(error, target.redact)) return outcome; // the runner reports it
    throw error;
  }
  return outcome;
}

/** True when a migrations folder has an entry named like a trio's contract (`..._3_contract...`). */
function mayHoldContract(options: GateOptions): boolean {
  const host = options.host ?? createDiskHost();
  const loaded = loadConfig(options.dir !== undefined ? path.resolve(options.cwd, options.dir) : options.cwd, host, options.configPath);
  const dirs =
    options.dir !== undefined
      ? [path.resolve(options.cwd, options.dir)]
      : loaded.config.migrationsDir.length > 0
        ? loaded.config.migrationsDir.map((d) => path.resolve(loaded.root, d))
        : defaultDirCandidates(loaded.root, host);
  // A sqitch project named by its top folder keeps its scripts in deploy/.
  const scripts = dirs.flatMap((dir) => (host.fileExists(path.join(dir, 'sqitch.plan')) ? [dir, path.join(dir, 'deploy')] : [dir]));
  return scripts.some((dir) => (host.readDirectory(dir) ?? []).some((name) => /_3_contract(\.|$)/.test(name)));
}
