// The up/down round trip, on a throwaway database: for each pending migration, snapshot the schema
// (catalogs, snapshot.ts) and count the rows, run up, run down, snapshot and count again, compare,
// then run up again (and compare with the first up). Migrations run through the runner's own
// applyStep, so transaction modes come from the format layer exactly as in `zdm up`. Every difference
// down leaves behind becomes a finding on the down section; the throwaway database is dropped in
// `finally` (and by the CLI's interrupt handler).
//
// The throwaway database is a copy of the dev database (CREATE DATABASE … TEMPLATE: dev data included,
// so lost rows are counted on real rows), or — with `fresh`, `all`, or when the dev database has other
// sessions and cannot be copied — an empty database on the same server where the migrations applied
// on the dev database are replayed first (`all`: every migration is round-tripped from scratch).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyStep, type ApplyContext } from '../runner/apply';
import { dbErrorInfo, withClient, type Session } from '../runner/db';
import type { RunError, RunEvent } from '../runner/events';
import { lineOf } from '../runner/errors';
import type { Migration } from '../runner/migrations';
import { holdsMigration, type MigrationStatus } from '../runner/plan';
import { finding, locationOf, locationOfError, reachesLevel, type Location, type ProveFinding } from './findings';
import { compareSnapshots, countRows, describeFields, displayName, resetSequences, takeSnapshot, type SchemaSnapshot, type SnapshotDifference } from './snapshot';
import { ProveUsageError, readStatuses, resolveTarget, type ProveOptions, type ProveTarget } from './target';
import { onThrowaway } from './throwaway-run';
import { quoteIdent } from '../sql/ast';

export interface RoundTripOptions extends ProveOptions {
  /** SQL run once on the throwaway database before the round trips (sample data). */
  seedFile?: string;
  /** Start from an empty database and replay the migrations applied on the dev database, instead of copying it. */
  fresh?: boolean;
  /** Round-trip every migration, in order, from an empty database (CI). */
  all?: boolean;
}

export type RoundTripOutcome = 'restored' | 'differences' | 'up-failed' | 'down-failed' | 'reapply-failed' | 'no-down' | 'not-run';

export interface MigrationRoundTrip {
  version: string;
  name: string;
  file: string;
  downFile?: string;
  outcome: RoundTripOutcome;
  /** Milliseconds of each phase. */
  durations: { up?: number; down?: number; reapply?: number };
  /** What down did not restore (before up vs after down). */
  differences: SnapshotDifference[];
  /** What differs between the first up and the second (after down). */
  reapplyDifferences: SnapshotDifference[];
  rowsLost: { table: string; before: number; after: number }[];
  sequencesReset: { name: string; before: string; after: string | null }[];
  error?: RunError;
}

export interface RoundTripResult {
  command: 'roundtrip';
  ok: boolean;
  /** The dev database, password masked. */
  database?: string;
  source?: string;
  serverVersion?: number;
  throwaway?: { name: string; base: 'copy' | 'empty'; source?: string; dropped: boolean };
  seed?: { file: string; ok: boolean; error?: string };
  /** Migrations applied (up only) on an empty base before the round trips, because they are applied on the dev database. */
  replayed: string[];
  migrations: MigrationRoundTrip[];
  findings: ProveFinding[];
  warnings: string[];
  /** Bad usage or configuration (exit 2). */
  usageError?: string;
  /** The run could not complete (connection, throwaway database, seed, a replayed migration). */
  error?: { message: string; code?: string };
  durationMs: number;
}

/** Runs the round trip. Never leaves a throwaway database behind when it returns or throws. */
export async function roundTrip(options: RoundTripOptions): Promise<RoundTripResult> {
  const started = performance.now();
  const result: RoundTripResult = { command: 'roundtrip', ok: false, replayed: [], migrations: [], findings: [], warnings: [], durationMs: 0 };
  const emit = (event: { type: 'info' | 'warning' | 'progress'; message: string }) => {
    if (event.type === 'warning') result.warnings.push(event.message);
    options.onEvent?.(event);
  };
  const finish = () => {
    result.durationMs = performance.now() - started;
    return result;
  };
  let seedText: string | undefined;
  if (options.seedFile !== undefined) {
    const seedPath = path.resolve(options.cwd, options.seedFile);
    try {
      seedText = fs.readFileSync(seedPath, 'utf8');
    } catch (error) {
      result.usageError = `Cannot read the seed file ${options.seedFile}: ${(error as Error).message}`;
      return finish();
    }
    result.seed = { file: seedPath, ok: false };
  }

  let target: ProveTarget;
  try {
    target = await resolveTarget({ ...options, onEvent: emit }, 'The round trip');
  } catch (error) {
    if (error instanceof ProveUsageError) {
      result.usageError = error.message;
      return finish();
    }
    throw error;
  }
  result.database = target.display;
  result.source = target.origin;
  const failOn = target.project.loaded.config.failOn;

  let devStatuses: MigrationStatus[] | undefined;
  await onThrowaway(
    {
      purpose: 'roundtrip',
      target,
      base: options.all || options.fresh ? 'empty' : 'copy',
      busyFallback: 'Using an empty database instead, with the migrations applied on the dev database replayed first (the dev data is not in it). Close those sessions, or pass --fresh to skip the copy.',
      emit,
      beforeEmpty: async () => {
        if (!options.all) devStatuses = await withClient(target.url, (session) => readStatuses(session, target), { applicationName: 'zdm roundtrip' });
        emit({ type: 'progress', message: 'Creating an empty throwaway database ...' });
      },
      applicationName: 'zdm roundtrip',
    },
    result,
    (session, base) => runRoundTrips(session, target, { base, all: options.all === true, devStatuses, seedText, seedFile: options.seedFile }, result, emit),
  );
  result.findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  result.ok = result.error === undefined && result.usageError === undefined && !reachesLevel(result.findings, failOn);
  return finish();
}

interface Plan {
  base: 'copy' | 'empty';
  all: boolean;
  devStatuses?: MigrationStatus[];
  seedText?: string;
  seedFile?: string;
}

async function runRoundTrips(session: Session, target: ProveTarget, plan: Plan, result: RoundTripResult, emit: (e: { type: 'info' | 'warning' | 'progress'; message: string }) => void): Promise<void> {
  const migrations = target.project.loadedMigrations.migrations;
  const rel = (file: string) => path.relative(target.project.root, file) || file;
  const ctx: ApplyContext = { session, tracker: target.tracker, zdm: target.zdm, timeouts: target.timeouts, emit: (_event: RunEvent) => undefined, redact: target.redact };

  let applied: Migration[];
  let trip: Migration[];
  let replay: Migration[] = [];
  if (plan.base === 'copy') {
    const statuses = await readStatuses(session, target);
    warnAboutStates(statuses, emit);
    applied = statuses.filter((s) => (s.state === 'applied' || s.state === 'edited') && s.migration).map((s) => s.migration!);
    trip = statuses.filter((s) => s.state === 'pending' && s.migration).map((s) => s.migration!);
  } else if (plan.all) {
    applied = [];
    trip = [...migrations];
  } else {
    const statuses = plan.devStatuses ?? [];
    warnAboutStates(statuses, emit);
    // Below a Flyway baseline: the dev database has that schema too (it was there before Flyway), so the empty one gets it.
    replay = statuses.filter((s) => holdsMigration(s) && s.migration).map((s) => s.migration!);
    trip = statuses.filter((s) => s.state === 'pending' && s.migration).map((s) => s.migration!);
    applied = [];
  }

  for (const m of replay) {
    emit({ type: 'progress', message: `Replaying ${rel(m.upPath)} (applied on the dev database) ...` });
    const step = await applyStep(ctx, { direction: 'up', migration: m });
    if (!step.ok) {
      result.error = { message: `Replaying ${rel(m.upPath)}, which is applied on the dev database, failed on the empty database: ${step.error?.message ?? 'unknown error'}${step.error?.line ? ` (line ${step.error.line})` : ''}. The round trip needs the schema the dev database has.` };
      return;
    }
    applied.push(m);
    result.replayed.push(m.version);
  }

  if (plan.seedText !== undefined) {
    emit({ type: 'progress', message: `Loading the seed ${plan.seedFile} ...` });
    try {
      await session.queryText(plan.seedText);
      result.seed!.ok = true;
    } catch (error) {
      const info = dbErrorInfo(error);
      const where = info?.position !== undefined ? ` (line ${lineOf(plan.seedText, Math.max(0, info.position - 1))})` : '';
      result.seed!.error = target.redact(`${info?.message ?? (error as Error).message}${where}`);
      result.error = { message: `The seed ${plan.seedFile} failed${where}: ${target.redact(info?.message ?? (error as Error).message)}. It runs on the throwaway database before the first pending migration, so it can fill only tables that exist there.` };
      return;
    }
  }

  if (trip.length === 0) {
    emit({ type: 'info', message: 'No pending migration: nothing to round-trip.' });
    return;
  }
  const exclude = [target.tracker.table, target.zdm.table];
  const snapshot = () => takeSnapshot(session, { exclude });
  for (let i = 0; i < trip.length; i++) {
    const m = trip[i];
    const entry: MigrationRoundTrip = { version: m.version, name: m.name, file: m.upPath, downFile: m.down?.path, outcome: 'not-run', durations: {}, differences: [], reapplyDifferences: [], rowsLost: [], sequencesReset: [] };
    result.migrations.push(entry);
    const label = `[${i + 1}/${trip.length}] ${rel(m.upPath)}`;
    const upAnchor = locationOf(m.upPath, m.up.fileText, m.up.anchor);
    const downAnchor: Location | undefined = m.down ? locationOf(m.down.path, m.down.fileText, m.down.anchor) : undefined;

    const before = await snapshot();
    const rowsBefore = await countRows(session, { exclude });
    emit({ type: 'progress', message: `${label}: up ...` });
    const up = await applyStep(ctx, { direction: 'up', migration: m });
    entry.durations.up = up.durationMs;
    if (!up.ok) {
      entry.outcome = 'up-failed';
      entry.error = up.error;
      result.findings.push(finding(locationOfError(up.error, upAnchor), 'roundtrip-up-failed', 'error', `The up section fails on a copy of the database: ${up.error?.message ?? 'unknown error'}`, { version: m.version, help: 'Fix the up section; later migrations were not checked (they may depend on this one).' }));
      markRest(result, trip, i + 1);
      return;
    }
    if (!m.down || !downAnchor) {
      entry.outcome = 'no-down';
      result.findings.push(finding(upAnchor, 'roundtrip-no-down', 'info', `${m.name} has no down section: its round trip cannot be checked (the up was applied, and the next migrations are checked on top of it).`, { version: m.version }));
      applied.push(m);
      continue;
    }
    const afterUp = await snapshot();
    emit({ type: 'progress', message: `${label}: down ...` });
    const down = await applyStep(ctx, { direction: 'down', migration: m }, { previous: applied[applied.length - 1] });
    entry.durations.down = down.durationMs;
    if (!down.ok) {
      entry.outcome = 'down-failed';
      entry.error = down.error;
      result.findings.push(finding(locationOfError(down.error, downAnchor), 'roundtrip-down-failed', 'error', `The down section fails right after up: ${down.error?.message ?? 'unknown error'}`, { version: m.version, help: 'A down that cannot run after its own up cannot roll back a deployment; fix it and run the round trip again.' }));
      if (down.mode === 'statements') {
        // Part of it was committed: the database is in a state no migration describes.
        markRest(result, trip, i + 1);
        return;
      }
      applied.push(m);
      continue;
    }
    const afterDown = await snapshot();
    const rowsAfter = await countRows(session, { exclude });
    entry.differences = compareSnapshots(before, afterDown);
    entry.sequencesReset = resetSequences(before, afterDown);
    for (const [table, n] of rowsBefore) {
      const now = rowsAfter.get(table);
      if (now !== undefined && now < n) entry.rowsLost.push({ table, before: n, after: now });
    }
    const deferred = notNullDeferredToCheck(entry.differences);
    for (const d of entry.differences) if (!deferred.covered.has(d)) result.findings.push(differenceFinding(d, downAnchor, m, rowsBefore));
    for (const { column, check } of deferred.pairs) {
      const col = column.name.slice(column.name.lastIndexOf('.') + 1);
      result.findings.push(
        finding(downAnchor, 'roundtrip-not-null-deferred', 'info', `Column ${displayName(column.name)} is back after down without NOT NULL, under a NOT VALID CHECK (${col} IS NOT NULL) instead (${displayName(check.name)}): new rows must have a value, but the rows already there are not checked, and a re-created column is empty until its values are copied back.`, {
          version: m.version,
          help: 'Intended when the down of an earlier migration, rolled back after this one, copies the values back, validates the CHECK and sets NOT NULL (as a zdm trio\'s backfill does): roll that one back too. Otherwise copy the values back and SET NOT NULL in this down.',
        }),
      );
    }
    for (const s of entry.sequencesReset) {
      result.findings.push(
        finding(downAnchor, 'roundtrip-sequence-reset', 'error', `Sequence ${displayName(s.name)} went back after down (last value ${s.before} before up, ${s.after ?? 'none'} after down): the down re-created it, and new ids would collide with existing rows.`, {
          version: m.version,
          help: `Restore its position in the down section: SELECT setval('${displayName(s.name)}', (SELECT max(id) FROM ...)).`,
        }),
      );
    }
    for (const r of entry.rowsLost) {
      result.findings.push(
        finding(downAnchor, 'roundtrip-rows-lost', 'error', `Table ${displayName(r.table)} had ${r.before} row${r.before === 1 ? '' : 's'} before up and ${r.after} after down: the round trip lost ${r.before - r.after} row${r.before - r.after === 1 ? '' : 's'}.`, {
          version: m.version,
          help: 'Make down put the data back (copy it back before dropping what up added), or make up keep what down needs.',
        }),
      );
    }
    emit({ type: 'progress', message: `${label}: up again ...` });
    const again = await applyStep(ctx, { direction: 'up', migration: m });
    entry.durations.reapply = again.durationMs;
    if (!again.ok) {
      entry.outcome = 'reapply-failed';
      entry.error = again.error;
      const where = again.error?.line !== undefined ? ` (${rel(again.error.file ?? m.upPath)}:${again.error.line})` : '';
      result.findings.push(
        finding(downAnchor, 'roundtrip-reapply-failed', 'error', `Up fails when run again after down${where}: ${again.error?.message ?? 'unknown error'}. Down leaves something behind that up does not expect.`, {
          version: m.version,
          help: 'Make down remove everything up creates (or make up tolerate it), so that a rolled-back deployment can be deployed again.',
        }),
      );
      markRest(result, trip, i + 1);
      return;
    }
    const afterAgain = await snapshot();
    const reported = new Set(entry.differences.map((d) => `${d.kind} ${d.name}`));
    entry.reapplyDifferences = compareSnapshots(afterUp, afterAgain).filter((d) => !reported.has(`${d.kind} ${d.name}`));
    for (const d of entry.reapplyDifferences) {
      result.findings.push(
        finding(downAnchor, 'roundtrip-reapply-differs', d.kind === 'column order' ? 'info' : 'warning', `After down and up again, ${describeDifference(d, 'after the first up', 'after the second')}`, {
          version: m.version,
          help: 'Down and up again should give the schema the first up gave; make down undo exactly what up does.',
        }),
      );
    }
    entry.outcome = entry.differences.length + entry.rowsLost.length + entry.sequencesReset.length + entry.reapplyDifferences.length > 0 ? 'differences' : 'restored';
    applied.push(m);
  }
}

function markRest(result: RoundTripResult, trip: readonly Migration[], from: number): void {
  for (const m of trip.slice(from)) {
    result.migrations.push({ version: m.version, name: m.name, file: m.upPath, downFile: m.down?.path, outcome: 'not-run', durations: {}, differences: [], reapplyDifferences: [], rowsLost: [], sequencesReset: [] });
  }
}

function warnAboutStates(statuses: readonly MigrationStatus[], emit: (e: { type: 'warning'; message: string }) => void): void {
  for (const s of statuses) {
    if (s.state === 'failed') emit({ type: 'warning', message: `${s.migration?.name ?? s.version} failed on the dev database (${s.note ?? 'partly applied'}); it is not round-tripped. Fix it with zdm up / zdm rollback first.` });
    if (s.state === 'missing') emit({ type: 'warning', message: `${s.version} is applied on the dev database but its file is not on disk${s.note ? ` (${s.note})` : ''}.` });
  }
}

/**
 * A column that was NOT NULL before up and is nullable after down, with a NOT VALID `CHECK (col IS NOT
 * NULL)` on its table that was not there before: a down that could not restore NOT NULL yet (the
 * column's values come back later: a zdm trio's contract, whose backfill's down refills them and sets
 * NOT NULL). The pair is one finding, not two errors.
 */
function notNullDeferredToCheck(differences: readonly SnapshotDifference[]): { pairs: { column: SnapshotDifference; check: SnapshotDifference }[]; covered: Set<SnapshotDifference> } {
  const pairs: { column: SnapshotDifference; check: SnapshotDifference }[] = [];
  const covered = new Set<SnapshotDifference>();
  for (const column of differences) {
    if (column.kind !== 'column' || column.change !== 'changed' || column.fields?.length !== 1 || column.fields[0] !== 'nullable') continue;
    if (column.before?.nullable !== 'NOT NULL' || column.after?.nullable !== 'NULL' || !column.table) continue;
    const name = column.name.slice(column.name.lastIndexOf('.') + 1);
    // As pg_get_constraintdef prints it: CHECK (email IS NOT NULL), the name quoted where it needs it.
    const quoted = name.replace(/"/g, '""');
    const definitions = [`CHECK (${name} IS NOT NULL)`, `CHECK ((${name} IS NOT NULL))`, `CHECK ("${quoted}" IS NOT NULL)`, `CHECK (("${quoted}" IS NOT NULL))`];
    const check = differences.find(
      (d) => d.kind === 'constraint' && d.change === 'extra' && d.table === column.table && d.after?.valid === 'NOT VALID' && definitions.includes(d.after?.definition ?? '') && !covered.has(d),
    );
    if (!check) continue;
    pairs.push({ column, check });
    covered.add(column).add(check);
  }
  return { pairs, covered };
}

function differenceFinding(d: SnapshotDifference, at: Location, m: Migration, rowsBefore: ReadonlyMap<string, number>): ProveFinding {
  const severity = d.kind === 'column order' ? 'info' : 'error';
  let message = describeDifference(d, 'before up', 'after down');
  if (d.change === 'missing' && d.kind === 'table') {
    const n = rowsBefore.get(d.name);
    if (n !== undefined && n > 0) message += ` Its ${n} row${n === 1 ? ' is' : 's are'} lost.`;
  }
  return finding(at, 'roundtrip-schema', severity, message, { version: m.version, help: helpFor(d) });
}

/** "Index users_email_idx is still there after down: ...". */
export function describeDifference(d: SnapshotDifference, first: string, second: string): string {
  const what = `${d.kind === 'column order' ? 'The column order of table' : capitalize(d.kind)} ${displayName(d.name)}`;
  switch (d.change) {
    case 'extra':
      return `${what} exists ${second} but not ${first}${first === 'before up' ? ': up creates it and down does not remove it' : ''} (${describeFields(d.kind, d.after)}).`;
    case 'missing':
      return `${what} existed ${first} and is gone ${second}${first === 'before up' ? ': down does not bring back what up removed' : ''} (${describeFields(d.kind, d.before)}).`;
    case 'changed': {
      if (d.kind === 'column order') return `${what} differs: ${d.before?.columns} ${first}, ${d.after?.columns} ${second} (a column re-added at the end: SELECT * and INSERT without a column list see it).`;
      const parts = (d.fields ?? []).map((f) => `${f} ${d.before?.[f] ?? '(none)'} → ${d.after?.[f] ?? '(none)'}`);
      return `${what} differs ${second} from ${first}: ${parts.join('; ')}.`;
    }
  }
}

/** The SQL that would make down restore the object, where it can be written from the catalog. */
function helpFor(d: SnapshotDifference): string | undefined {
  // The catalog's names, quoted for SQL where they need it ("App Data"."UserAccounts", mixed case).
  const sql = (n: string) => displayName(n).split('.').map(quoteIdent).join('.');
  const name = sql(d.name);
  const table = d.table ? sql(d.table) : undefined;
  const last = (n: string) => quoteIdent(n.slice(n.lastIndexOf('.') + 1));
  if (d.change === 'extra') {
    switch (d.kind) {
      case 'index':
        return `Add to the down section: DROP INDEX IF EXISTS ${name};`;
      case 'table':
        return `Add to the down section: DROP TABLE IF EXISTS ${name};`;
      case 'column':
        return `Add to the down section: ALTER TABLE ${table} DROP COLUMN IF EXISTS ${last(d.name)};`;
      case 'constraint':
        return table ? `Add to the down section: ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${last(d.name)};` : undefined;
      case 'trigger':
        return `Add to the down section: DROP TRIGGER IF EXISTS ${last(d.name)} ON ${table};`;
      case 'function':
        // A signature (name(argument types)), written as the catalog prints it.
        return `Add to the down section: DROP FUNCTION IF EXISTS ${displayName(d.name)};`;
      case 'type':
        return `Add to the down section: DROP TYPE IF EXISTS ${name};`;
      case 'sequence':
        return `Add to the down section: DROP SEQUENCE IF EXISTS ${name};`;
      case 'view':
        return `Add to the down section: DROP VIEW IF EXISTS ${name};`;
      case 'materialized view':
        return `Add to the down section: DROP MATERIALIZED VIEW IF EXISTS ${name};`;
      case 'schema':
        return `Add to the down section: DROP SCHEMA IF EXISTS ${name};`;
      case 'extension':
        return `Add to the down section: DROP EXTENSION IF EXISTS ${name};`;
      case 'policy':
        return `Add to the down section: DROP POLICY IF EXISTS ${last(d.name)} ON ${table};`;
      default:
        return undefined;
    }
  }
  if (d.change === 'missing') {
    switch (d.kind) {
      case 'index':
      case 'trigger':
        return `Re-create it in the down section: ${d.before?.definition};`;
      case 'column':
        return `Re-create it in the down section: ALTER TABLE ${table} ADD COLUMN ${last(d.name)} ${describeFields('column', d.before)};`;
      case 'constraint':
        return table ? `Re-create it in the down section: ALTER TABLE ${table} ADD CONSTRAINT ${last(d.name)} ${d.before?.definition}${d.before?.valid === 'NOT VALID' ? ' NOT VALID' : ''};` : undefined;
      case 'view':
        return `Re-create it in the down section: CREATE VIEW ${name} AS ${d.before?.definition}`;
      default:
        return 'Re-create it in the down section as it was before up.';
    }
  }
  if (d.kind === 'column order') return undefined;
  return 'Make down restore its definition as it was before up.';
}

function capitalize(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}
