// The pure part of the runner: from the migrations on disk and what the database says is applied, the
// status of each migration and the steps of a command. No I/O here, so it is tested without a database.

import * as path from 'node:path';
import { compareVersions } from '../versions';
import { downSectionOf, type LeftOutChangeset, type Migration } from './migrations';
import { flywayChecksum, flywayDescription } from './flyway-script';
import type { FlywayPattern } from './placeholders';
import type { ToolState, ZdmRow } from './tracking/index';

/**
 * `below-baseline`: a Flyway versioned migration at or below the version of the history's BASELINE row
 * (Flyway info's "Below Baseline"): the database had it before Flyway took over, so it is neither
 * pending (no run applies it) nor applied by a migration (no rollback undoes it).
 */
export type MigrationState = 'applied' | 'edited' | 'pending' | 'missing' | 'failed' | 'below-baseline';

export interface MigrationStatus {
  /** The version as in the file name (or as stored, for a migration missing on disk). */
  version: string;
  key: string;
  state: MigrationState;
  /** The migration on disk (absent when missing). */
  migration?: Migration;
  appliedAt?: Date;
  /** Where it stands in the order the tool applied migrations (goose's row id), for a tool that rolls back in that order. */
  appliedOrder?: number;
  /** The checksum zdm recorded when it applied the migration, when it did. */
  recordedChecksum?: string;
  recordedStatements?: string[];
  /** The tool's own checksum as it stored it (Liquibase's MD5SUM), when it keeps one. */
  toolChecksum?: string;
  /** Statements that ran before a failure, and which one failed (1-based), for a failed migration. */
  failure?: { direction: 'up' | 'down'; statement?: number; done: number; total: number; error?: string; interrupted: boolean; statements: string[] };
  /** What to tell the user beside the state. */
  note?: string;
  /** Why the tool refuses to migrate at all while this migration is in its table as it is (a failed Flyway row), and what to do: `up` is refused with it. */
  refusal?: string;
  /** A Flyway repeatable script the history has a run of, whose file is gone (state `missing`, no migration): never rolled back. */
  repeatable?: true;
  /** The description the tool recorded (Flyway: a repeatable script whose file is gone is named by it; validation compares a versioned one's). */
  description?: string;
  /** Why the tool does not run this pending migration (Flyway's shouldExecute evaluating to false): `up` leaves it alone. */
  skipped?: string;
}

export function computeStatus(migrations: readonly Migration[], tool: ToolState, zdmRows: ReadonlyMap<string, ZdmRow>, toolName = 'the tool'): MigrationStatus[] {
  const out: MigrationStatus[] = [];
  const onDisk = new Set(migrations.map((m) => m.key));
  for (const m of migrations) {
    const row = zdmRows.get(m.key);
    if (m.repeatable) {
      out.push(repeatableStatus(m, tool, row));
      continue;
    }
    const applied = tool.applied.get(m.key);
    const status: MigrationStatus = { version: m.version, key: m.key, state: 'pending', migration: m };
    if (applied) {
      status.state = 'applied';
      if (applied.order !== undefined) status.appliedOrder = applied.order;
      if (applied.checksum !== undefined) status.toolChecksum = applied.checksum;
      if (applied.description !== undefined) status.description = applied.description;
      status.appliedAt = row?.state === 'applied' ? row.applied_at : applied.appliedAt ?? row?.applied_at;
      if (row && row.direction === 'up' && row.state === 'applied') {
        status.recordedChecksum = row.checksum;
        status.recordedStatements = row.statements;
        if (row.checksum !== m.checksum) {
          status.state = 'edited';
          status.note = 'its up section changed after it was applied';
        }
      } else if (!row) {
        status.note = toolName === 'golang-migrate' && betweenZdmRuns(m, zdmRows) ? GOLANG_MIGRATE_SKIPPED : 'applied without zdm (no checksum recorded)';
      }
      // The tool compares its own checksums (Liquibase): its verdict, not zdm's, says whether it was edited.
      const verdict = tool.verdicts?.get(m.key);
      if (verdict) {
        status.state = verdict.edited ? 'edited' : 'applied';
        status.note = verdict.note || undefined;
      }
      if (row && row.state !== 'applied' && row.direction === 'down') {
        status.failure = failureOf(row);
        status.note =
          row.statements_done >= row.statements_total && row.statements_total > 0
            ? `a rollback: ${unrecordedNote(row)}`
            : `a rollback ${row.state === 'running' ? 'was interrupted' : 'failed'} at statement ${row.failed_statement ?? row.statements_done + 1} of ${row.statements_total}; the down section ran only partly`;
      }
    } else if (tool.failed?.has(m.key) && !upFailed(row)) {
      const failed = tool.failed.get(m.key)!;
      Object.assign(status, { state: 'failed', note: failed.note, refusal: failed.refusal });
    } else if (tool.dirty === m.key || upFailed(row)) {
      status.state = 'failed';
      if (row && row.state !== 'applied') {
        status.failure = failureOf(row);
        status.recordedStatements = row.statements;
        status.note = upFailureNote(row) + failedRowNote(tool, m.key);
      } else status.note = `${toolName}'s table marks it as failed (dirty): it may have run only partly`;
    } else if (tool.baseline && compareVersions(m.version, tool.baseline.version) <= 0) {
      status.state = 'below-baseline';
      status.note = baselineNote(tool.baseline, compareVersions(m.version, tool.baseline.version) === 0);
    } else if (tool.verdicts?.has(m.key)) status.note = tool.verdicts.get(m.key)!.note;
    skipIfNotExecuted(status, m);
    out.push(status);
  }
  // The baseline row itself, when no migration on disk has its version (it is not a migration: never rolled back).
  const baseline = tool.baseline;
  if (baseline && !migrations.some((m) => !m.repeatable && compareVersions(m.version, baseline.version) === 0)) {
    out.push({ version: baseline.version, key: baseline.version, state: 'below-baseline', appliedAt: baseline.appliedAt, note: baselineNote(baseline, true) });
  }
  for (const [key, info] of tool.applied) {
    if (onDisk.has(key)) continue;
    const row = zdmRows.get(key);
    out.push({
      version: key,
      key,
      state: 'missing',
      appliedAt: info.appliedAt ?? row?.applied_at,
      ...(info.order !== undefined ? { appliedOrder: info.order } : {}),
      ...(row?.state === 'applied' && row.direction === 'up' ? { recordedChecksum: row.checksum } : {}),
      note: row ? `applied from ${row.file}, which is no longer on disk` : 'applied, but its file is not on disk',
    });
  }
  // A Flyway repeatable script whose latest run is in the history but whose file is gone.
  for (const [script, ran] of tool.repeatables ?? []) {
    if (onDisk.has(script)) continue;
    out.push({ version: '', key: script, state: 'missing', repeatable: true, description: ran.description, appliedAt: ran.appliedAt, note: `repeatable script ${script}: it ran, but its file is not on disk` });
  }
  // golang-migrate's dirty current version whose file is gone still stops golang-migrate until
  // it is forced: shown, and refused, rather than run past (recording the next version would clear the flag).
  if (tool.dirty !== undefined && !onDisk.has(tool.dirty)) {
    const version = tool.dirty;
    out.push({
      version,
      key: version,
      state: 'failed',
      note: `${toolName}'s table marks it as failed (dirty): it may have run only partly; its file is not on disk`,
      refusal: `Version ${version} is dirty in ${toolName}'s table (a migration failed part way) and its file is not on disk. golang-migrate refuses to migrate ("Dirty database version ${version}. Fix and force version."), and so does zdm: nothing was run. Undo by hand what it did, set the version it should be at (migrate force VERSION), then run zdm up again.`,
    });
  }
  // A migration the tool recorded as failed whose file is gone still stops the tool: shown, and refused.
  for (const [key, failed] of tool.failed ?? []) {
    if (!onDisk.has(key)) out.push({ version: key, key, state: 'failed', note: `${failed.note}; its file is not on disk`, refusal: failed.refusal });
  }
  // Versioned migrations in version order, then the repeatable ones (Flyway) in the order they run.
  out.sort((a, b) => {
    const ra = isRepeatable(a);
    const rb = isRepeatable(b);
    if (ra || rb) return ra && rb ? compareRepeatables(a.migration ?? a, b.migration ?? b) : ra ? 1 : -1;
    return compareVersions(a.version, b.version) || a.key.localeCompare(b.key);
  });
  return out;
}

/**
 * A Flyway repeatable script: applied while its latest run has its checksum (with placeholders replaced,
 * or as written), pending when it never ran or changed since (Flyway runs it again), failed when zdm
 * ran it statement by statement and one failed.
 */
function repeatableStatus(m: Migration, tool: ToolState, row: ZdmRow | undefined): MigrationStatus {
  const status: MigrationStatus = { version: m.version, key: m.key, state: 'pending', migration: m };
  const ran = tool.repeatables?.get(m.key);
  const failed = tool.failed?.get(m.key);
  if (failed && !upFailed(row)) Object.assign(status, { state: 'failed', note: failed.note, refusal: failed.refusal });
  else if (upFailed(row)) {
    status.state = 'failed';
    status.failure = failureOf(row!);
    status.recordedStatements = row!.statements;
    status.note = upFailureNote(row!) + failedRowNote(tool, m.key);
  } else if (ran && ran.checksum !== null && (ran.checksum === m.repeatable!.checksum || ran.checksum === m.repeatable!.rawChecksum)) {
    status.state = 'applied';
    status.appliedAt = ran.appliedAt;
  } else if (ran) {
    status.note = 'repeatable: changed since its last run, so it runs again after the versioned migrations';
  } else status.note = 'repeatable: runs after the versioned migrations';
  skipIfNotExecuted(status, m);
  return status;
}

/** A pending Flyway script whose script configuration file's shouldExecute is false: Flyway neither runs nor records it, nor does zdm. */
function skipIfNotExecuted(status: MigrationStatus, m: Migration): void {
  if (status.state !== 'pending' || m.shouldExecute?.value !== false) return;
  status.skipped = `shouldExecute=${m.shouldExecute.expression} in its script configuration file is false: Flyway does not run it and records nothing of it (it is Ignored), and neither does zdm`;
  status.note = status.skipped;
}

/** What status says of a migration below Flyway's baseline (`at`: at its very version). */
function baselineNote(baseline: NonNullable<ToolState['baseline']>, at: boolean): string {
  const row = `Flyway's baseline (version ${baseline.version}, "${baseline.description}", installed_rank ${baseline.installedRank})`;
  return at ? `${row}: this version and those below it are below the baseline; Flyway never runs them, and nothing rolls them back` : `below ${row}: Flyway never runs it, and nothing rolls it back`;
}

/** A Flyway repeatable script, on disk or not. */
export function isRepeatable(status: Pick<MigrationStatus, 'repeatable' | 'migration'>): boolean {
  return status.repeatable === true || status.migration?.repeatable !== undefined;
}

/** The version of Flyway's baseline row, as status shows it (the highest below-baseline entry), when there is one. */
export function baselineVersionOf(statuses: readonly Pick<MigrationStatus, 'state' | 'version'>[]): string | undefined {
  let version: string | undefined;
  for (const s of statuses) if (s.state === 'below-baseline' && (version === undefined || compareVersions(s.version, version) > 0)) version = s.version;
  return version;
}

/** Flyway applies repeatable scripts in the order of their descriptions, as it writes them (`_` as a space), then of file names for a tie. */
export function compareRepeatables(a: Pick<Migration, 'description' | 'key'>, b: Pick<Migration, 'description' | 'key'>): number {
  const x = (a.description ?? '').replace(/_/g, ' ');
  const y = (b.description ?? '').replace(/_/g, ' ');
  return x < y ? -1 : x > y ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * golang-migrate keeps only the current version and counts every migration below it as applied: one
 * added below it later (a branch merged with a lower version) is never run by golang-migrate, nor by
 * zdm, though status calls it applied. When zdm applied migrations on both sides of it and has no
 * record of it, that is most likely what happened: said beside it, since nothing else would.
 */
export const GOLANG_MIGRATE_SKIPPED =
  'counted as applied only because golang-migrate keeps the current version alone and this one is below it: no run recorded it, and zdm applied the migrations on either side of it, so it was most likely added after them and never ran on this database (golang-migrate will not run it either; give it a version above the current one)';

function betweenZdmRuns(m: Migration, zdmRows: ReadonlyMap<string, ZdmRow>): boolean {
  let below = false;
  let above = false;
  for (const row of zdmRows.values()) {
    if (row.state !== 'applied' || row.direction !== 'up') continue;
    const order = compareVersions(row.version, m.key);
    if (order < 0) below = true;
    else if (order > 0) above = true;
  }
  return below && above;
}

/**
 * zdm's own record of an up sent statement by statement that failed or was interrupted. It wins over a
 * failed row in the tool's table (Flyway's success = false, which zdm writes too when such an up fails,
 * as Flyway does): zdm knows which statements were committed, so its next `up` resumes there rather
 * than refusing as Flyway refuses until `flyway repair`.
 */
function upFailed(row: ZdmRow | undefined): boolean {
  return row !== undefined && row.state !== 'applied' && row.direction === 'up';
}

/** What status adds when the tool's table records the failure too (Flyway's success = false row, Prisma's unfinished row). */
function failedRowNote(tool: ToolState, key: string): string {
  const failed = tool.failed?.get(key);
  if (!failed) return '';
  return failed.besideZdm ?? ` (the Flyway history records it as failed too, success = false, as Flyway does: \`flyway migrate\` refuses until \`flyway repair\`; zdm up resumes it)`;
}

/** Where an up sent statement by statement stopped, and what of it stays committed. */
function upFailureNote(row: ZdmRow): string {
  if (row.statements_done >= row.statements_total && row.statements_total > 0) return unrecordedNote(row);
  const at = row.failed_statement ?? row.statements_done + 1;
  const committed = row.statements_done === 0 ? 'none of its statements was committed' : row.statements_done === 1 ? 'the statement before it was committed' : 'the statements before it were committed';
  return `${row.state === 'running' ? 'interrupted' : 'failed'} at statement ${at} of ${row.statements_total}; ${committed}`;
}

/** A section sent statement by statement that ran to its end, whose recording failed (applyStep). */
function unrecordedNote(row: ZdmRow): string {
  return `all ${row.statements_total} of its statements were committed, but recording it failed${row.error ? ` (${row.error})` : ''}; the next run records it without sending them again`;
}

function failureOf(row: ZdmRow): MigrationStatus['failure'] {
  return {
    direction: row.direction,
    statement: row.failed_statement ?? undefined,
    done: row.statements_done,
    total: row.statements_total,
    error: row.error ?? undefined,
    interrupted: row.state === 'running',
    // The hashes of the statements the failed section ran (the up's, or the down's for a rollback).
    statements: row.statements,
  };
}

/**
 * Whether the database holds what the migration on disk makes: applied (also when its file changed
 * since), or below a Flyway baseline (the database had it before Flyway took over; never rolled back).
 */
export function holdsMigration(status: Pick<MigrationStatus, 'state'>): boolean {
  return status.state === 'applied' || status.state === 'edited' || status.state === 'below-baseline';
}

/** Whether the database has the migration applied (also when its file changed since, or is gone). */
export function isApplied(status: Pick<MigrationStatus, 'state'>): boolean {
  return status.state === 'applied' || status.state === 'edited' || status.state === 'missing';
}

export interface Step {
  direction: 'up' | 'down';
  migration: Migration;
}

export interface Plan {
  steps: Step[];
  /** Reasons the plan cannot run (a missing down, an unknown --to version). */
  problems: string[];
  /**
   * The problems are about what the command was asked, not about the migrations: a --to / --through
   * that names no migration, several, or one the run leaves out. The CLI reports them as a usage error
   * (exit 2). Such a plan has no steps.
   */
  usage?: boolean;
  /** What the run says before it runs (a sqitch --to of digits read as a change name, not a position). */
  warnings?: string[];
}

/** Every pending (or failed) migration, in version order; with `to`, only those at or before it. */
export function planUp(statuses: readonly MigrationStatus[], options: { to?: string } = {}): Plan {
  // A migration the tool recorded as failed stops the tool's whole migrate until it is repaired (Flyway's validation).
  const refusals = statuses.flatMap((s) => (s.refusal ? [s.refusal] : []));
  if (refusals.length > 0) return { steps: [], problems: refusals };
  if (options.to !== undefined && !statuses.some((s) => matchesVersion(s, options.to!))) return unknownTarget(options.to);
  const steps = statuses
    .filter((s) => (s.state === 'pending' || s.state === 'failed') && s.migration && s.skipped === undefined)
    .filter((s) => options.to === undefined || compareVersions(s.version, options.to) <= 0)
    .map((s): Step => ({ direction: 'up', migration: s.migration! }));
  return { steps, problems: [] };
}

/**
 * Planned ups whose statements are those zdm applied from a file that is gone (the same checksum):
 * most likely that file renamed, or given another version, after it was applied. The tool knows a
 * migration by its version or name (a Prisma folder, a sqitch change), so it would run it a second
 * time, and so would zdm: said before it runs, with the way to record it instead (`targetOf`: how
 * `zdm up --to` names it).
 */
export function renamedWarnings(steps: readonly Step[], statuses: readonly MigrationStatus[], targetOf: (migration: Migration) => string = (m) => m.version): string[] {
  const gone = new Map(statuses.flatMap((s) => (s.state === 'missing' && s.recordedChecksum ? [[s.recordedChecksum, s] as const] : [])));
  return steps.flatMap((step) => {
    const was = step.direction === 'up' && step.migration.up.statements.length > 0 ? gone.get(step.migration.checksum) : undefined;
    if (!was) return [];
    return [
      `${step.migration.name} has the same statements as ${was.key}, which was applied${was.appliedAt ? ` on ${was.appliedAt.toISOString()}` : ''} and whose file is gone (${was.note}). If it is that migration renamed, it runs a second time now; record it as applied without running it instead (zdm up --log-only --to ${targetOf(step.migration)}), or give it its old name back.`,
    ];
  });
}

/** The plan of a command whose --to / --through names no migration: a usage error. */
function unknownTarget(version: string): Plan {
  return { steps: [], problems: [`No migration has version ${version}.`], usage: true };
}

/**
 * Pending migrations of `steps` whose version is older than the newest applied one. goose (without
 * `-allow-missing`) and Flyway (without `outOfOrder`) refuse to run them, and refuse the whole run: a
 * migration that zdm applied out of order on a dev database would stop the real tool in production.
 */
export function outOfOrder(steps: readonly Step[], statuses: readonly MigrationStatus[]): { newest: MigrationStatus; older: Migration[] } | undefined {
  let newest: MigrationStatus | undefined;
  for (const s of statuses) if (isApplied(s) && !isRepeatable(s) && (!newest || compareVersions(s.version, newest.version) > 0)) newest = s;
  if (!newest) return undefined;
  const pending = new Set(statuses.filter((s) => s.state === 'pending' && !s.migration?.repeatable).map((s) => s.key));
  const older = steps.filter((s) => s.direction === 'up' && pending.has(s.migration.key) && compareVersions(s.migration.version, newest!.version) < 0).map((s) => s.migration);
  return older.length > 0 ? { newest, older } : undefined;
}

/**
 * What Flyway's validation decides before `flyway migrate` runs anything (validateOnMigrate, on by
 * default), from Flyway's states (MigrationInfoImpl.getState, validate):
 * - Ignored: a pending versioned migration below the newest applied version while outOfOrder is off
 *   (above a `to` target it is Above Target instead, out of scope); one whose shouldExecute is false
 *   is Ignored too, but never an error, and `skipped` already keeps it from running.
 * - Missing: an applied migration whose file is gone, below the newest version on disk (a repeatable
 *   script: any); Future: one at or above it.
 * Pending ones never fail `migrate` (it validates with `*:pending` added to the patterns). A migration in
 * one of these states passes when an ignoreMigrationPatterns pattern matches its kind (versioned,
 * repeatable) and state; else validation fails, and `migrate` with it, with Flyway's message. Either way
 * an Ignored migration is not pending for Flyway: it is never run. validateOnMigrate=false: nothing fails.
 */
export interface FlywayValidation {
  /** Flyway's messages for the migrations that fail its validation; `migrate` refuses with them. */
  errors: { status: MigrationStatus; message: string }[];
  /** Ignored migrations Flyway lets pass: it does not run them, so neither does zdm. */
  leftAlone: MigrationStatus[];
  /** Future migrations Flyway lets pass (it warns about them), and the newest version on disk. */
  future: MigrationStatus[];
  lastResolved?: string;
  /** What status says beside each migration in one of these states, by key. */
  notes: Map<string, string>;
}

export function flywayValidation(statuses: readonly MigrationStatus[], settings: { patterns: readonly FlywayPattern[]; outOfOrder: boolean; validateOnMigrate: boolean }, to?: string): FlywayValidation {
  const result: FlywayValidation = { errors: [], leftAlone: [], future: [], notes: new Map() };
  let lastApplied: string | undefined;
  let lastResolved: string | undefined;
  for (const s of statuses) {
    if (isRepeatable(s)) continue;
    if ((isApplied(s) || s.state === 'below-baseline') && (lastApplied === undefined || compareVersions(s.version, lastApplied) > 0)) lastApplied = s.version;
    if (s.migration && (lastResolved === undefined || compareVersions(s.version, lastResolved) > 0)) lastResolved = s.version;
  }
  result.lastResolved = lastResolved;
  const passes = (s: MigrationStatus, state: FlywayPattern['state']) => {
    const type = isRepeatable(s) ? 'repeatable' : 'versioned';
    return settings.patterns.find((p) => (p.type === '*' || p.type === type) && (p.state === '*' || p.state === state));
  };
  const shown = (p: FlywayPattern) => `${p.type}:${p.state}`;
  let baseline: string | undefined;
  for (const s of statuses) if (s.state === 'below-baseline' && (baseline === undefined || compareVersions(s.version, baseline) > 0)) baseline = s.version;
  for (const s of statuses) {
    // An applied versioned migration above the baseline whose file no longer matches what the history
    // recorded: no pattern lets that pass (Flyway's ignore patterns are about states, and it is Success).
    if (settings.validateOnMigrate && (s.state === 'applied' || s.state === 'edited') && s.migration && !isRepeatable(s) && s.toolChecksum !== undefined && (baseline === undefined || compareVersions(s.version, baseline) > 0)) {
      const mismatch = flywayMismatch(s);
      if (mismatch) {
        result.errors.push({ status: s, message: mismatch.message });
        result.notes.set(s.key, `${s.note ? `${s.note}; ` : ''}its ${mismatch.what} differs from what Flyway's history recorded: flyway migrate refuses ("Migration ${mismatch.what} mismatch"), and so does zdm up; revert the file, or run flyway repair to record it as it is now`);
      }
      continue;
    }
    if (s.state === 'pending' && s.migration && !isRepeatable(s) && s.skipped === undefined && !settings.outOfOrder && lastApplied !== undefined && compareVersions(s.version, lastApplied) < 0) {
      if (to !== undefined && compareVersions(s.version, to) > 0) continue;
      const pattern = passes(s, 'ignored');
      const why = `below the newest applied version, ${lastApplied}, with outOfOrder off (Flyway: Ignored)`;
      if (pattern || !settings.validateOnMigrate) {
        result.leftAlone.push(s);
        result.notes.set(s.key, `${why}: flyway migrate leaves it alone (${pattern ? `ignoreMigrationPatterns ${shown(pattern)}` : 'validateOnMigrate=false'}) and never runs it, nor does zdm up; outOfOrder=true (or zdm up --allow-missing) runs it`);
      } else {
        result.errors.push({ status: s, message: `Detected resolved migration not applied to database: ${s.version}.\nTo ignore this migration, set -ignoreMigrationPatterns='*:ignored'. To allow executing this migration, set -outOfOrder=true.` });
        result.notes.set(s.key, `${why}: flyway migrate refuses to run ("Detected resolved migration not applied to database"), and so does zdm up; outOfOrder=true (or zdm up --allow-missing) runs it, ignoreMigrationPatterns=*:ignored leaves it alone`);
      }
      continue;
    }
    if (s.state !== 'missing') continue;
    const future = !isRepeatable(s) && (lastResolved === undefined || compareVersions(s.version, lastResolved) >= 0);
    const state = future ? 'future' : 'missing';
    const pattern = passes(s, state);
    const what = future ? `newer than every migration on disk (Flyway: Future)` : 'its file is gone (Flyway: Missing)';
    if (pattern || !settings.validateOnMigrate) {
      if (future) result.future.push(s);
      result.notes.set(s.key, `${s.note ?? 'applied'}; ${what}: Flyway lets it pass (${pattern ? `ignoreMigrationPatterns ${shown(pattern)}${settings.patterns.length === 1 && shown(pattern) === '*:future' ? ', its default' : ''}` : 'validateOnMigrate=false'})`);
    } else {
      result.errors.push({ status: s, message: `Detected applied migration not resolved locally: ${isRepeatable(s) ? s.description ?? s.key : s.version}.\nIf you removed this migration intentionally, run repair to mark the migration as deleted.` });
      result.notes.set(s.key, `${s.note ?? 'applied'}; ${what}: flyway migrate refuses ("Detected applied migration not resolved locally"), and so does zdm up: put the file back, run flyway repair (which records the deletion), or set ignoreMigrationPatterns=${isRepeatable(s) ? 'repeatable' : 'versioned'}:${state}`);
    }
  }
  return result;
}

/**
 * Flyway's comparison of an applied versioned migration with its file (MigrationInfoImpl.validate): its
 * checksum (of the script as written), then its description (as Flyway records it), the first that
 * differs, in Flyway's words.
 */
function flywayMismatch(s: MigrationStatus): { what: string; message: string } | undefined {
  const m = s.migration!;
  const mismatch = (what: string, applied: string, resolved: string) => ({
    what,
    message: `Migration ${what} mismatch for migration version ${s.version}\n-> Applied to database : ${applied}\n-> Resolved locally    : ${resolved}\nEither revert the changes to the migration, or run repair to update the schema history.`,
  });
  const checksum = String(flywayChecksum(m.up.fileText));
  if (s.toolChecksum !== checksum) return mismatch('checksum', s.toolChecksum!, checksum);
  const description = flywayDescription(m.description);
  const recorded = s.description ?? '';
  if (recorded !== description) return mismatch('description', recorded, (m.description ?? '').replace(/_/g, ' '));
  return undefined;
}

export interface RollbackOptions {
  /** Roll back every migration after this version (it stays applied); `0` rolls back all. */
  to?: string;
  /** Roll back down to and including this version. */
  through?: string;
}

/** The last applied migration, or with `to`/`through`, every applied migration after that point, newest first. */
export function planRollback(statuses: readonly MigrationStatus[], options: RollbackOptions = {}): Plan {
  const problems: string[] = [];
  // Repeatable scripts (Flyway) are never rolled back: Flyway's undo has none for them.
  const applied = statuses.filter((s) => isApplied(s) && !isRepeatable(s)).reverse();
  // A tool that rolls back in the order it applied (goose) goes from its last applied migration, which
  // after an out-of-order apply is not the highest version; the others go by version.
  if (applied.some((s) => s.appliedOrder !== undefined)) applied.sort((a, b) => (b.appliedOrder ?? -1) - (a.appliedOrder ?? -1));
  let chosen: MigrationStatus[];
  // Flyway's baseline row is not a migration: a rollback stops above it (undo never applies to what is below it).
  const baseline = baselineVersionOf(statuses);
  const warnings: string[] = [];
  if (options.through !== undefined) {
    if (!statuses.some((s) => matchesVersion(s, options.through!))) return unknownTarget(options.through);
    if (baseline !== undefined && compareVersions(options.through, baseline) <= 0) return { steps: [], problems: [belowBaseline(`through ${options.through}`, baseline)] };
    chosen = applied.filter((s) => compareVersions(s.version, options.through!) >= 0);
  } else if (options.to !== undefined) {
    const all = /^0+$/.test(options.to);
    if (!all && !statuses.some((s) => matchesVersion(s, options.to!))) return unknownTarget(options.to);
    if (baseline !== undefined && !all && compareVersions(options.to, baseline) < 0) return { steps: [], problems: [belowBaseline(`to ${options.to}`, baseline)] };
    chosen = applied.filter((s) => compareVersions(s.version, options.to!) > 0);
    if (baseline !== undefined && all) warnings.push(`--to ${options.to} stops at Flyway's baseline (version ${baseline}): the baseline row and the migrations below it are not migrations to roll back.`);
  } else chosen = applied.slice(0, 1);
  // A migration that ran only partly (statements sent one at a time and one failed, or marked dirty by
  // the tool) sits above the applied ones: undoing the one below it would leave its committed part in
  // place, and with golang-migrate clear the dirty flag that says the database needs repair.
  const lowest = chosen.reduce<MigrationStatus | undefined>((low, s) => (!low || compareVersions(s.version, low.version) < 0 ? s : low), undefined);
  const partial = lowest ? statuses.find((s) => s.state === 'failed' && compareVersions(s.version, lowest.version) > 0) : undefined;
  if (partial) {
    // With its file gone zdm up cannot finish it: the way out is the tool's (its refusal says which).
    const how = partial.migration
      ? 'fix it and run zdm up to finish it, or undo what it committed by hand, before rolling back what came before it.'
      : `its file is not on disk, so zdm up cannot finish it. ${partial.refusal ?? 'Undo what it committed by hand and repair the tool\'s table before rolling back what came before it.'}`;
    problems.push(`Cannot roll back while ${partial.migration?.name ?? partial.version} is partly applied (${partial.note ?? 'failed'}): ${how}`);
    return { steps: [], problems };
  }
  const steps: Step[] = [];
  for (const s of chosen) {
    if (!s.migration) {
      problems.push(`Cannot roll back ${s.version}: it is applied but its file is not on disk.`);
      break;
    }
    if (!downSectionOf(s.migration)) {
      problems.push(
        s.migration.format === 'liquibase'
          ? `Cannot roll back ${s.migration.name}: the changeset has no --rollback, and Liquibase has no automatic rollback for SQL changes either. Add a --rollback line (or --rollback empty when there is nothing to undo).`
          : `Cannot roll back ${s.migration.name}: it has no down migration${s.migration.format === 'prisma' || s.migration.format === 'plain' ? ` (${s.migration.format === 'prisma' ? 'Prisma Migrate' : 'plain SQL'} migrations are forward only)` : ''}.`,
      );
      break;
    }
    steps.push({ direction: 'down', migration: s.migration });
  }
  return { steps, problems, ...(warnings.length > 0 ? { warnings } : {}) };
}

/** Why a rollback --to / --through at or below Flyway's baseline is refused. */
function belowBaseline(target: string, baseline: string): string {
  return `Cannot roll back ${target}: the history has Flyway's baseline at version ${baseline}, and what is at or below it was never run as a migration (Flyway's undo does not apply to it). Nothing was rolled back; zdm rollback --to ${baseline} rolls back everything after the baseline.`;
}

/**
 * True when the status's version is `version` (numeric comparison: 0001 = 1), or its key is. A sqitch
 * target reaches it already resolved to its change's position (sqitchVersionOf: sqitch matches no change
 * by digits or position, so neither does zdm); a Liquibase one to its changeset's position when named.
 */
export function matchesVersion(status: Pick<MigrationStatus, 'version' | 'key'>, version: string): boolean {
  if (status.version === '') return false; // a repeatable script (Flyway) has no version to stop at
  return status.key === version || status.version === version || (/\d/.test(version) && compareVersions(status.version, version) === 0 && status.version.replace(/\D/g, '').length > 0);
}

/**
 * A --to / --through naming a Liquibase changeset, as the version (position) the planner compares. A
 * changeset is named by its id, `id::author`, or `path::id::author`, the path being the FILENAME Liquibase
 * records, the changelog's path relative to the project root (as zdm status prints it), or a path to the
 * file from `cwd` (absolute, as the editor's CodeLens gives it). Digits alone stay a position (changeset
 * ids are often numbers: `1::alice` names that one). A name more than one changeset answers to is
 * refused with the matches; so is one only a changeset the run leaves out answers to (`leftOut`: its
 * context, labels, dbms or `ignore`), saying why; one no changeset answers to is left as it is (the
 * planner then says that no migration has that version).
 */
export function liquibaseVersionOf(target: string | undefined, statuses: readonly MigrationStatus[], cwd: string, leftOut: readonly LeftOutChangeset[] = []): { version?: string; problem?: string } {
  if (target === undefined || /^\d+$/.test(target)) return { version: target };
  const matches = statuses.filter((s) => {
    const c = s.migration?.changeset;
    return c !== undefined && answersTo(target, { ...c, key: s.key, name: s.migration!.name, path: s.migration!.upPath }, cwd);
  });
  if (matches.length === 1) return { version: matches[0].version };
  if (matches.length > 1) {
    const names = matches.map((s) => `${s.migration!.name} (${s.version})`).join(', ');
    return { problem: `Ambiguous changeset ${target}: ${matches.length} changesets answer to it: ${names}. Name one as id::author, path::id::author or by its position.` };
  }
  const skipped = leftOut.find((c) => answersTo(target, c, cwd));
  if (skipped) return { problem: `Nothing to run to at changeset ${skipped.name}: this project's runs leave it out, as Liquibase does: ${skipped.why}.` };
  return { version: target };
}

function answersTo(target: string, c: { id: string; author: string; key: string; name: string; filename: string; path: string }, cwd: string): boolean {
  if (target === c.id || target === `${c.id}::${c.author}` || target === c.key || target === c.name) return true;
  const suffix = `::${c.id}::${c.author}`;
  if (!target.endsWith(suffix) || target.length === suffix.length) return false;
  const file = target.slice(0, -suffix.length);
  return file.replace(/\\/g, '/') === c.filename || path.resolve(cwd, file) === path.resolve(c.path);
}

/** The migration that becomes the latest applied once `migration` is rolled back (golang-migrate stores it). */
export function previousApplied(statuses: readonly MigrationStatus[], migration: Migration, alsoRemoved: ReadonlySet<string>): Migration | undefined {
  let previous: Migration | undefined;
  for (const s of statuses) {
    if (s.key === migration.key) break;
    if ((s.state === 'applied' || s.state === 'edited') && s.migration && !s.migration.repeatable && !alsoRemoved.has(s.key)) previous = s.migration;
  }
  return previous;
}
