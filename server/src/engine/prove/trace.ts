// The lock trace: a migration's section run on a throwaway copy of the dev database, one statement at a
// time, recording after each what the server did — the locks it took (pg_locks of the tracing
// backend), the tables and indexes it rewrote (pg_class.relfilenode changed), the constraints it added
// or validated (and whether they are valid), how long it took, and the lock_timeout in force — and,
// from a second session, which ordinary queries (SELECT, INSERT, UPDATE on the tables it touched) it
// blocked. Each statement's locks are compared with the lock table (locks.ts `locksOf`, the same
// claims hover shows): trace-compare.ts classifies them and lists the mismatches.
//
// How statements run:
//   - each statement runs in a transaction of its own (BEGIN; statement; read pg_locks, pg_class,
//     pg_constraint; probe from the second session; COMMIT), so pg_locks shows exactly that
//     statement's locks — in one long transaction a lock an earlier statement already holds would hide
//     the later statement's. `SET LOCAL` is carried over to the next statements. When the section runs
//     as one transaction in a real run, the locks it holds until COMMIT are listed too. The copy is
//     dropped at the end, so nothing of it is kept (the same as rolling back, and more).
//   - statements that cannot run in a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, DO blocks
//     that COMMIT) run in autocommit while a third session holds ROW EXCLUSIVE on the tables they name
//     in an open REPEATABLE READ transaction: CONCURRENTLY operations wait for it, and their locks are
//     read from pg_locks while they wait; then the blocker lets go. Locks of a statement that never
//     waits are sampled while it runs ("sampled"), or reported as not observed.

import * as path from 'node:path';
import { computeFacts } from '../context';
import { describeMigration, describeOptionsOf } from '../formats/index';
import { createDiskHost } from '../host';
import { buildStatements } from '../lint';
import { locksOf, modeFromPgLocks, strongest, type LockKnowledge, type LockMode, type StatementLocks } from '../locks';
import type { Statement } from '../model';
import { cannotRunInTransaction, executionMode, applyStep, type ApplyContext } from '../runner/apply';
import { dbErrorInfo, openSession, quoteIdent, type Session } from '../runner/db';
import { firstLine } from '../runner/errors';
import type { RunEvent } from '../runner/events';
import type { Migration, RunSection, RunStatement } from '../runner/migrations';
import { holdsMigration, previousApplied } from '../runner/plan';
import { relationFromNames, typeNameOf, type RelationRef } from '../sql/ast';
import { parseStatement } from '../sql/parser';
import { finding, locationOf, type ProveFinding } from './findings';
import { migrationOfFile, ProveUsageError, readStatuses, resolveTarget, type ProveOptions, type ProveTarget } from './target';
import { compareLocks, heldUntilCommit, kindName, type ClassifiedObserved, type ClassifiedStatic, type LockMismatch, type ObservedLock } from './trace-compare';
import { trackSession, type Throwaway } from './throwaway';
import { onThrowaway } from './throwaway-run';

export interface TraceOptions extends ProveOptions {
  /** The migration file (its up file, or for split formats either half). */
  file: string;
  /** Which section to trace (default 'up'). */
  section?: 'up' | 'down';
  /** Start from an empty database with the earlier migrations applied, instead of copying the dev database. */
  fresh?: boolean;
  /** Probe SELECT / INSERT / UPDATE from a second session while each statement holds its locks (default true). */
  probe?: boolean;
}

export interface TracedStatement {
  /** 1-based number within the section. */
  number: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** First line of the statement. */
  text: string;
  kind: string;
  /** How it ran in the trace. */
  ran: 'transaction' | 'autocommit' | 'skipped' | 'not run';
  /** Why it ran that way, or why it was skipped. */
  how?: string;
  ok: boolean;
  error?: { message: string; code?: string };
  durationMs?: number;
  /** The lock_timeout in force when it ran, and where it came from. */
  lockTimeout?: { value: string; source: string };
  statementTimeout?: string;
  /** How its locks were seen: inside its transaction, while it waited for zdm's blocker, sampled while it ran, or not at all. */
  observed: 'in transaction' | 'while waiting' | 'sampled' | 'not observed' | 'not run';
  locks: ClassifiedObserved[];
  /** The lock table's claims, classified. */
  static: ClassifiedStatic[];
  /** LOCK_FACTS ids the lock table gives the statement. */
  facts: string[];
  /** The lock table's claims about rewriting and scanning the table. */
  claims: { rewrite: boolean; scan: boolean };
  /** Tables, materialized views and indexes that got a new relfilenode (rewritten or rebuilt). */
  rewritten: { name: string; kind: string }[];
  created: { name: string; kind: string }[];
  dropped: { name: string; kind: string }[];
  constraints: { table: string; name: string; type: string; valid: boolean; change: 'added' | 'validated' | 'dropped' }[];
  /** Ordinary queries a second session tried while the statement held its locks (lock_timeout 50 ms). */
  blocked?: { table: string; select?: boolean; insert?: boolean; update?: boolean }[];
  mismatches: TraceMismatch[];
}

export interface TraceMismatch extends Omit<LockMismatch, 'kind'> {
  kind: LockMismatch['kind'] | 'rewrite';
  statement?: number;
  line?: number;
  text?: string;
}

export interface TraceResult {
  command: 'trace';
  ok: boolean;
  file?: string;
  version?: string;
  name?: string;
  section: 'up' | 'down';
  database?: string;
  source?: string;
  serverVersion?: number;
  throwaway?: { name: string; base: 'copy' | 'empty'; source?: string; dropped: boolean };
  /** How a real run sends the section (from the format layer). */
  realRun?: { transaction: string; atomic: boolean; reason: string };
  /** What was done to bring the copy to the state before the section. */
  prepared: { applied: string[]; rolledBack: string[] };
  statements: TracedStatement[];
  /** When a real run sends the section as one transaction: the locks it holds until COMMIT. */
  heldUntilCommit?: { object: string; kind: string; mode: LockMode; from: number[] }[];
  /** Every statement's mismatches against the lock table, in order. */
  mismatches: TraceMismatch[];
  /** Statement failures and mismatches, placed on the statements (for editors). */
  findings: ProveFinding[];
  warnings: string[];
  usageError?: string;
  error?: { message: string; code?: string };
  durationMs: number;
}

interface CatalogRelation {
  oid: string;
  schema: string;
  name: string;
  kind: string;
  filenode: string;
  parentSchema: string | null;
  parentName: string | null;
}

interface CatalogConstraint {
  oid: string;
  table: string;
  name: string;
  type: string;
  valid: boolean;
}

/** Traces a migration section's locks on a throwaway copy. Never leaves the copy behind. */
export async function traceLocks(options: TraceOptions): Promise<TraceResult> {
  const started = performance.now();
  const section = options.section ?? 'up';
  const result: TraceResult = { command: 'trace', ok: false, section, prepared: { applied: [], rolledBack: [] }, statements: [], mismatches: [], findings: [], warnings: [], durationMs: 0 };
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
    target = await resolveTarget({ ...options, onEvent: emit }, 'The lock trace');
  } catch (error) {
    if (error instanceof ProveUsageError) {
      result.usageError = error.message;
      return finish();
    }
    throw error;
  }
  const file = path.resolve(options.cwd, options.file);
  result.file = file;
  const migration = migrationOfFile(target, file);
  if (!migration) {
    result.usageError = `${path.relative(options.cwd, file) || file} is not one of the project's migrations (in ${target.project.dirs.map((d) => path.relative(options.cwd, d) || d).join(', ')}).`;
    return finish();
  }
  const runSection = section === 'up' ? migration.up : migration.down;
  if (!runSection) {
    result.usageError = `${migration.name} has no down section to trace.`;
    return finish();
  }
  result.version = migration.version;
  result.name = migration.name;
  result.database = target.display;
  result.source = target.origin;
  const mode = executionMode(runSection);
  result.realRun = { transaction: runSection.transaction, atomic: mode.atomic, reason: mode.reason };

  await onThrowaway(
    {
      purpose: 'trace',
      target,
      base: options.fresh ? 'empty' : 'copy',
      busyFallback: 'Tracing on an empty database instead, with the earlier migrations applied (no dev data: durations and rewrites of big tables do not show). Close those sessions, or pass --fresh to skip the copy.',
      emit,
      applicationName: 'zdm trace',
    },
    result,
    async (tracer, base, box) => {
      const prepared = await prepare(tracer, target, migration, section, base, emit);
      if (!prepared) return;
      result.prepared = prepared.done;
      const helpers = await openHelpers(box, options.probe !== false);
      try {
        await traceSection(tracer, helpers, target, migration, runSection, result, emit);
      } finally {
        await helpers.close();
      }
    },
  );
  result.ok = result.error === undefined && result.usageError === undefined && result.statements.every((s) => s.ok || s.ran === 'skipped') && !result.findings.some((f) => f.severity === 'error');
  return finish();
}

/** Brings the throwaway database to the state just before the traced section. */
async function prepare(
  session: Session,
  target: ProveTarget,
  migration: Migration,
  section: 'up' | 'down',
  base: 'copy' | 'empty',
  emit: (e: { type: 'info' | 'warning' | 'progress'; message: string }) => void,
): Promise<{ done: { applied: string[]; rolledBack: string[] } } | undefined> {
  const migrations = target.project.loadedMigrations.migrations;
  const at = migrations.indexOf(migration);
  const done = { applied: [] as string[], rolledBack: [] as string[] };
  const ctx: ApplyContext = { session, tracker: target.tracker, zdm: target.zdm, timeouts: target.timeouts, emit: (_e: RunEvent) => undefined, redact: target.redact };
  const rel = (m: Migration) => path.relative(target.project.root, m.upPath) || m.upPath;
  const fail = (what: string, m: Migration, message?: string): never => {
    throw new PrepareError(`Preparing the copy failed: ${what} ${rel(m)} failed${message ? `: ${message}` : ''}. The trace needs the schema as it is right before ${rel(migration)}.`);
  };
  let statuses = await readStatuses(session, target);
  // Below a Flyway baseline: the copy has it (the database had it before Flyway), so it is not applied again;
  // nothing rolls it back either, so it is never in the rollback list below.
  const isApplied = (m: Migration) => base === 'copy' && statuses.some((s) => s.migration === m && holdsMigration(s));
  // Roll back what is applied at or after the migration (newest first): the copy must be as before it.
  if (base === 'copy') {
    // The traced migration itself below the baseline: the copy has what it makes, and nothing rolls it back.
    if (statuses.some((s) => s.migration === migration && s.state === 'below-baseline')) {
      throw new ProveUsageError(`${rel(migration)} is below Flyway's baseline on the dev database: the copy already has what it makes, and nothing rolls it back, so the copy cannot be brought back to before it. Trace with --fresh (an empty database with the earlier migrations applied).`);
    }
    const later = statuses.filter((s) => s.migration && (s.state === 'applied' || s.state === 'edited') && migrations.indexOf(s.migration) >= at).reverse();
    const removed = new Set<string>();
    for (const s of later) {
      const m = s.migration!;
      if (!m.down) throw new ProveUsageError(`${rel(m)} is applied on the dev database and has no down section, so the copy cannot be brought back to before ${rel(migration)}. Trace with --fresh (an empty database with the earlier migrations applied).`);
      emit({ type: 'progress', message: `Rolling back ${rel(m)} on the copy ...` });
      const step = await applyStep(ctx, { direction: 'down', migration: m }, { previous: previousApplied(statuses, m, removed) });
      if (!step.ok) fail('rolling back', m, step.error?.message);
      removed.add(m.key);
      done.rolledBack.push(m.version);
    }
    statuses = await readStatuses(session, target);
  }
  for (const m of migrations.slice(0, at)) {
    if (isApplied(m)) continue;
    emit({ type: 'progress', message: `Applying ${rel(m)} on the copy ...` });
    const step = await applyStep(ctx, { direction: 'up', migration: m });
    if (!step.ok) fail('applying', m, step.error?.message);
    done.applied.push(m.version);
  }
  if (section === 'down') {
    emit({ type: 'progress', message: `Applying ${rel(migration)} on the copy (its down is traced) ...` });
    const step = await applyStep(ctx, { direction: 'up', migration });
    if (!step.ok) fail('applying', migration, step.error?.message);
    done.applied.push(migration.version);
  }
  return { done };
}

class PrepareError extends Error {}

interface Helpers {
  observer: Session;
  blocker: Session;
  reader: Session;
  probe?: Session;
  close(): Promise<void>;
}

async function openHelpers(box: Throwaway, probe: boolean): Promise<Helpers> {
  const sessions: Session[] = [];
  const open = async (name: string) => {
    const s = await openSession(box.url, { applicationName: `zdm trace ${name}` });
    sessions.push(s);
    trackSession(box, s);
    return s;
  };
  const observer = await open('observer');
  const blocker = await open('blocker');
  const reader = await open('reader');
  const probeSession = probe ? await open('probe') : undefined;
  if (probeSession) await probeSession.query("SELECT set_config('lock_timeout', '50ms', false)");
  return {
    observer,
    blocker,
    reader,
    probe: probeSession,
    async close() {
      await Promise.all(sessions.map((s) => s.close()));
    },
  };
}

async function traceSection(
  tracer: Session,
  helpers: Helpers,
  target: ProveTarget,
  migration: Migration,
  runSection: RunSection,
  result: TraceResult,
  emit: (e: { type: 'info' | 'warning' | 'progress'; message: string }) => void,
): Promise<void> {
  const config = target.project.loaded.config;
  const document = describeMigration(runSection.path, runSection.fileText, createDiskHost(), describeOptionsOf(config));
  const sectionOf = document.sections.find((s) => s.kind === runSection.kind);
  const lintStatements = buildStatements(document).filter((s) => s.section === sectionOf);
  const facts = computeFacts(lintStatements);
  const byStart = new Map(lintStatements.map((s) => [s.span.start, s]));
  const [{ oid: databaseOid }] = await tracer.query<{ oid: string }>('SELECT oid::int8::text AS oid FROM pg_database WHERE datname = current_database()');
  let failed = false;
  // In a section that runs as one transaction, what it created stays invisible to other sessions until COMMIT.
  const createdInSection = new Set<string>();
  for (const statement of runSection.statements) {
    const lint = byStart.get(statement.span.start);
    const location = locationOf(runSection.path, runSection.fileText, statement.span);
    const traced: TracedStatement = {
      number: statement.index + 1,
      ...pick(location),
      text: firstLine(statement.text),
      kind: statement.kind,
      ran: 'not run',
      ok: false,
      observed: 'not run',
      locks: [],
      static: [],
      facts: [],
      claims: { rewrite: false, scan: false },
      rewritten: [],
      created: [],
      dropped: [],
      constraints: [],
      mismatches: [],
    };
    result.statements.push(traced);
    if (failed) continue;
    if (statement.kind === 'TransactionStmt') {
      traced.ran = 'skipped';
      traced.ok = true;
      traced.how = 'transaction control: the trace runs every statement in a transaction of its own';
      continue;
    }
    emit({ type: 'progress', message: `Statement ${traced.number} (line ${traced.line}): ${traced.text}` });
    const lockFacts = lint?.node ? facts.statements[lint.index] : undefined;
    const [settings] = await tracer.query<{ lock_timeout: string; statement_timeout: string }>("SELECT current_setting('lock_timeout') AS lock_timeout, current_setting('statement_timeout') AS statement_timeout");
    const setAt = lockFacts?.lockTimeout ? lintStatements.find((s) => s.index === lockFacts.lockTimeout!.statementIndex) : undefined;
    traced.lockTimeout = {
      value: settings.lock_timeout,
      source: setAt ? `set at line ${locationOf(runSection.path, runSection.fileText, setAt.span).line}` : `.zdm.json "lockTimeout" ${config.lockTimeout}, which the runner sets on its session`,
    };
    traced.statementTimeout = settings.statement_timeout;

    const before = await readRelations(tracer);
    const constraintsBefore = await readConstraints(tracer);
    const claimed = lint ? locksOf(lint, tracer.serverVersion, await liveKnowledge(tracer, lint)) : { facts: [], taken: [] };
    traced.facts = claimed.facts.map((f) => f.id);
    traced.claims = { rewrite: claimed.facts.some((f) => f.rewrite), scan: claimed.facts.some((f) => f.scan) };

    const outcome = cannotRunInTransaction(statement)
      ? await runObserved(tracer, helpers, statement, claimed, before, databaseOid, 'it cannot run inside a transaction block')
      : await runInTransaction(tracer, helpers, statement, before, databaseOid, result.realRun?.atomic ? createdInSection : new Set());
    let final = outcome;
    if (outcome.error && (outcome.error.code === '25001' || outcome.error.code === '2D000')) {
      final = await runObserved(tracer, helpers, statement, claimed, before, databaseOid, `PostgreSQL refused it in a transaction block (${outcome.error.message})`);
    }
    traced.ran = final.ran;
    traced.how = final.how;
    traced.durationMs = final.durationMs;
    traced.observed = final.observed;
    if (final.error) {
      traced.error = { message: target.redact(final.error.message), ...(final.error.code ? { code: final.error.code } : {}) };
      result.findings.push(finding(location, 'trace-statement-failed', 'error', `The statement fails on a copy of the database: ${traced.error.message}`, { version: migration.version, help: 'The statements after it were not traced.' }));
      failed = true;
      continue;
    }
    if (result.realRun?.atomic && final.ran === 'autocommit') {
      // Traced on its own, outside a transaction; a real run sends it inside the section's one.
      result.findings.push(
        finding(location, 'trace-cannot-run-in-transaction', 'error', `A real run sends this section as one transaction (${result.realRun.reason}), and this statement cannot run inside a transaction block: the migration fails here. It was traced on its own, outside a transaction.`, {
          version: migration.version,
          help: 'Mark the section non-transactional in the migration format, or move the statement into a migration of its own.',
        }),
      );
    }
    traced.ok = true;
    const after = await readRelations(tracer);
    const constraintsAfter = await readConstraints(tracer);
    // Names as before the statement (a RENAME names the old one), then what it created.
    const all = new Map([...final.extraRelations, ...after, ...before]);
    const observed = observedLocks(final.locks, all, before);
    const comparison = compareLocks(statement.kind, claimed, observed);
    traced.locks = comparison.observed;
    traced.static = comparison.static;
    traced.mismatches = comparison.mismatches.map((m) => ({ ...m }));
    if (final.observed === 'not observed' || final.observed === 'sampled') {
      // A statement whose locks could not be seen while held: missing locks are not the table's fault.
      for (const s of traced.static) if (s.classification === 'static only' && !s.observedMode) s.mismatch = false;
      traced.mismatches = traced.mismatches.filter((m) => m.kind !== 'static only');
    }
    for (const [oid, r] of after) {
      if (r.schema === 'pg_toast') continue;
      if (!before.has(oid)) createdInSection.add(oid);
      const old = before.get(oid);
      if (!old) traced.created.push({ name: `${r.schema}.${r.name}`, kind: kindName(r.kind) });
      else if (old.filenode !== r.filenode && r.filenode !== '0' && r.kind !== 't') traced.rewritten.push({ name: `${r.schema}.${r.name}`, kind: kindName(r.kind) });
    }
    for (const [oid, r] of before) if (!after.has(oid) && r.schema !== 'pg_toast') traced.dropped.push({ name: `${r.schema}.${r.name}`, kind: kindName(r.kind) });
    for (const [oid, c] of constraintsAfter) {
      const old = constraintsBefore.get(oid);
      if (!old) traced.constraints.push({ table: c.table, name: c.name, type: constraintType(c.type), valid: c.valid, change: 'added' });
      else if (!old.valid && c.valid) traced.constraints.push({ table: c.table, name: c.name, type: constraintType(c.type), valid: true, change: 'validated' });
    }
    for (const [oid, c] of constraintsBefore) if (!constraintsAfter.has(oid)) traced.constraints.push({ table: c.table, name: c.name, type: constraintType(c.type), valid: c.valid, change: 'dropped' });
    traced.blocked = final.blocked;
    const rewriteMismatch = compareRewrite(claimed, traced, before);
    if (rewriteMismatch) traced.mismatches.push(rewriteMismatch);
    for (const m of traced.mismatches) {
      result.mismatches.push({ ...m, statement: traced.number, line: traced.line, text: traced.text });
      result.findings.push(finding(location, 'trace-lock-table-mismatch', 'info', `Lock trace vs zdm's lock table: ${m.message}`, { version: migration.version, help: 'This is a bug report against zdm\'s lock table (server/src/engine/locks.ts): please report it with the statement and the PostgreSQL version.' }));
    }
  }
  if (result.realRun?.atomic) {
    result.heldUntilCommit = heldUntilCommit(result.statements.filter((s) => s.ok).map((s) => ({ statement: s.number, locks: s.locks })));
  }
}

interface RunOutcome {
  ran: 'transaction' | 'autocommit';
  how?: string;
  observed: TracedStatement['observed'];
  durationMs: number;
  error?: { message: string; code?: string };
  locks: LockRow[];
  /** Relations seen by the observer (created and dropped between the catalog reads). */
  extraRelations: Map<string, CatalogRelation>;
  blocked?: TracedStatement['blocked'];
}

interface LockRow {
  locktype: string;
  relation: string | null;
  objid: string | null;
  typename: string | null;
  mode: string;
  granted: boolean;
}

/** BEGIN; statement; read its locks and probe from the second session; COMMIT. */
async function runInTransaction(tracer: Session, helpers: Helpers, statement: RunStatement, before: Map<string, CatalogRelation>, databaseOid: string, invisible: ReadonlySet<string>): Promise<RunOutcome> {
  await tracer.queryText('BEGIN');
  const started = performance.now();
  let failure: unknown;
  try {
    await tracer.queryText(statement.text);
  } catch (error) {
    failure = error;
  }
  const durationMs = performance.now() - started;
  if (failure !== undefined) {
    await tracer.queryText('ROLLBACK').catch(() => undefined);
    const info = dbErrorInfo(failure);
    return { ran: 'transaction', observed: 'not observed', durationMs, error: { message: info?.message ?? (failure instanceof Error ? failure.message : String(failure)), code: info?.code }, locks: [], extraRelations: new Map() };
  }
  try {
    const locks = await readLocks(tracer, tracer.backendPid, databaseOid);
    const blocked = helpers.probe ? await probeTraffic(helpers.probe, locks, before, invisible) : undefined;
    // SET LOCAL lasts until the end of the migration's transaction in a real run: carry it over.
    const local = statement.node?.VariableSetStmt?.is_local ? (statement.node.VariableSetStmt.name as string | undefined) : undefined;
    const localValue = local ? (await tracer.query<{ v: string }>('SELECT current_setting($1) AS v', [local]))[0]?.v : undefined;
    await tracer.queryText('COMMIT');
    if (local && localValue !== undefined) await tracer.query('SELECT set_config($1, $2, false)', [local, localValue]);
    return { ran: 'transaction', how: 'in a transaction of its own, committed after its locks were read', observed: 'in transaction', durationMs, locks, extraRelations: new Map(), blocked };
  } catch (error) {
    await tracer.queryText('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Autocommit, watched from the observer session while zdm's sessions hold locks the statement has to
 * wait for, so its locks can be read where it waits. First the blocker: ROW EXCLUSIVE and a snapshot on
 * the tables it names (SHARE UPDATE EXCLUSIVE on a partition being detached). Each time the statement
 * waits for one of zdm's sessions, its locks are read, the other session takes ACCESS SHARE and a
 * snapshot on the same tables (a later, stronger request — the ACCESS EXCLUSIVE that ends DETACH
 * PARTITION CONCURRENTLY — then waits too), and the first one lets go. At most four waits.
 */
async function runObserved(
  tracer: Session,
  helpers: Helpers,
  statement: RunStatement,
  claimed: StatementLocks,
  before: Map<string, CatalogRelation>,
  databaseOid: string,
  why: string,
): Promise<RunOutcome> {
  const tables = blockerTables(claimed, before);
  let holder: Session | undefined = tables.length > 0 && (await holdTables(helpers.blocker, tables, 'blocker')) ? helpers.blocker : undefined;
  const release = async (session: Session | undefined) => {
    if (session) await session.queryText('COMMIT').catch(() => undefined);
  };
  // The wait zdm causes on purpose must not trip the section's lock_timeout (nothing else runs on the copy).
  const [{ lock_timeout: lockTimeout }] = await tracer.query<{ lock_timeout: string }>("SELECT current_setting('lock_timeout') AS lock_timeout");
  if (holder) await tracer.query("SELECT set_config('lock_timeout', '0', false)");
  const started = performance.now();
  let done = false;
  let failure: unknown;
  const running = tracer.queryText(statement.text).then(
    () => {
      done = true;
    },
    (error) => {
      done = true;
      failure = error;
    },
  );
  const seen = new Map<string, LockRow>();
  const extraRelations = new Map<string, CatalogRelation>();
  const record = (rows: LockRow[]) => {
    for (const r of rows) {
      const key = `${r.locktype}:${r.relation ?? r.objid}:${r.mode}`;
      if (!seen.has(key) || (!seen.get(key)!.granted && r.granted)) seen.set(key, r);
    }
  };
  let waits = 0;
  const deadline = Date.now() + 10_000;
  try {
    while (!done && Date.now() < deadline) {
      record(await readLocks(helpers.observer, tracer.backendPid, databaseOid));
      if (holder && (await blockingPids(helpers.observer, tracer.backendPid)).includes(holder.backendPid)) {
        // It waits for zdm's session, holding everything it took so far: read it all, with the names of what it created.
        record(await readLocks(helpers.observer, tracer.backendPid, databaseOid));
        for (const [oid, r] of await readRelations(helpers.observer)) if (!before.has(oid)) extraRelations.set(oid, r);
        waits++;
        const next = waits < 4 ? (holder === helpers.blocker ? helpers.reader : helpers.blocker) : undefined;
        const nextHeld = next ? await holdTables(next, tables, next === helpers.blocker ? 'blocker' : 'reader') : false;
        await release(holder);
        holder = nextHeld ? next : undefined;
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    await release(holder);
  }
  await running;
  const durationMs = performance.now() - started;
  await tracer.query("SELECT set_config('lock_timeout', $1, false)", [lockTimeout]);
  const held = tables.map((t) => `${t.mode} on ${t.sql.replace(/"/g, '').replace(/^public\./, '')}`).join(', ');
  const how = `in autocommit (${why})${
    waits > 0
      ? `, its locks read each time it waited for zdm's sessions (${waits} wait${waits === 1 ? '' : 's'}; first ${held}, then ACCESS SHARE); the duration includes those waits`
      : tables.length > 0
        ? `; zdm's blocker session held ${held}, which it did not wait for`
        : ''
  }`;
  if (failure !== undefined) {
    const info = dbErrorInfo(failure);
    return { ran: 'autocommit', how, observed: 'not observed', durationMs, error: { message: info?.message ?? (failure instanceof Error ? failure.message : String(failure)), code: info?.code }, locks: [], extraRelations };
  }
  const locks = [...seen.values()];
  return { ran: 'autocommit', how, observed: waits > 0 ? 'while waiting' : locks.length > 0 ? 'sampled' : 'not observed', durationMs, locks, extraRelations };
}

/**
 * Opens a REPEATABLE READ transaction on `session` holding, on each table: the blocker's mode (and a
 * snapshot), or for a reader ACCESS SHARE on the table and its indexes (a SELECT plans with them) and a
 * snapshot. A table it cannot lock within 20 ms (the statement holds it) is skipped.
 */
async function holdTables(session: Session, tables: readonly { sql: string; mode: string }[], as: 'blocker' | 'reader'): Promise<boolean> {
  let held = 0;
  try {
    await session.queryText('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await session.query("SELECT set_config('lock_timeout', '20ms', true)");
    for (const t of tables) {
      await session.queryText('SAVEPOINT zdm_hold');
      try {
        if (as === 'blocker') await session.queryText(`LOCK TABLE ${t.sql} IN ${t.mode} MODE`);
        await session.queryText(`SELECT 1 FROM ${t.sql} LIMIT 1`);
        await session.queryText('RELEASE SAVEPOINT zdm_hold');
        held++;
      } catch {
        await session.queryText('ROLLBACK TO SAVEPOINT zdm_hold');
      }
    }
  } catch {
    held = 0;
  }
  if (held === 0) await session.queryText('ROLLBACK').catch(() => undefined);
  return held > 0;
}

async function blockingPids(observer: Session, pid: number): Promise<number[]> {
  const [row] = await observer.query<{ pids: number[] }>('SELECT pg_blocking_pids($1) AS pids', [pid]);
  return row?.pids ?? [];
}

/**
 * The tables a blocker should lock, and how: ROW EXCLUSIVE (with a snapshot) on the tables the lock
 * table says the statement locks (an index's table for an index) — CONCURRENTLY operations wait for
 * such transactions while holding their own locks. A partition (DETACH ... CONCURRENTLY, which commits
 * its first step before it waits, so it holds nothing then) gets SHARE UPDATE EXCLUSIVE instead: the
 * statement then waits for it while holding its lock on the parent.
 */
function blockerTables(claimed: StatementLocks, before: Map<string, CatalogRelation>): { sql: string; mode: 'ROW EXCLUSIVE' | 'SHARE UPDATE EXCLUSIVE' }[] {
  const out = new Map<string, 'ROW EXCLUSIVE' | 'SHARE UPDATE EXCLUSIVE'>();
  const partitions = claimed.taken.filter((t) => t.role === 'partition' && t.object);
  const find = (ref: RelationRef | undefined, kinds: string[]) =>
    ref ? [...before.values()].filter((r) => kinds.includes(r.kind) && r.name === ref.name && (ref.schema === undefined || ref.schema === r.schema)).sort((a, b) => Number(b.schema === 'public') - Number(a.schema === 'public'))[0] : undefined;
  for (const t of claimed.taken) {
    if (partitions.length > 0) {
      if (t.role !== 'partition') continue;
      const table = find(t.object, ['r', 'p']);
      if (table) out.set(`${quoteIdent(table.schema)}.${quoteIdent(table.name)}`, 'SHARE UPDATE EXCLUSIVE');
    } else if (t.role === 'index') {
      const index = find(t.object, ['i', 'I']);
      if (index?.parentName && index.parentSchema) out.set(`${quoteIdent(index.parentSchema)}.${quoteIdent(index.parentName)}`, 'ROW EXCLUSIVE');
    } else if (t.role === 'table' || t.role === 'parent table') {
      const table = find(t.object, ['r', 'p']);
      if (table) out.set(`${quoteIdent(table.schema)}.${quoteIdent(table.name)}`, 'ROW EXCLUSIVE');
    }
  }
  return [...out].map(([sql, mode]) => ({ sql, mode }));
}


/** SELECT, INSERT and UPDATE on each table the statement locked, from the probe session (lock_timeout 50 ms; EXPLAIN: planned, never run). */
async function probeTraffic(probe: Session, locks: LockRow[], before: Map<string, CatalogRelation>, invisible: ReadonlySet<string>): Promise<TracedStatement['blocked']> {
  const out: NonNullable<TracedStatement['blocked']> = [];
  const oids = new Set(locks.filter((l) => l.locktype === 'relation' && l.relation && !invisible.has(l.relation)).map((l) => l.relation!));
  for (const oid of oids) {
    const r = before.get(oid);
    if (!r || !['r', 'p', 'v', 'm'].includes(r.kind)) continue;
    const name = `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`;
    const entry: NonNullable<TracedStatement['blocked']>[number] = { table: `${r.schema}.${r.name}` };
    entry.select = await blockedBy(probe, `EXPLAIN SELECT 1 FROM ${name}`);
    if (r.kind === 'r' || r.kind === 'p') {
      entry.insert = await blockedBy(probe, `EXPLAIN INSERT INTO ${name} DEFAULT VALUES`);
      const [column] = await probe.query<{ attname: string }>(
        "SELECT attname FROM pg_attribute WHERE attrelid = $1::int8::oid AND attnum > 0 AND NOT attisdropped AND attidentity = '' AND attgenerated = '' ORDER BY attnum LIMIT 1",
        [oid],
      );
      if (column) entry.update = await blockedBy(probe, `EXPLAIN UPDATE ${name} SET ${quoteIdent(column.attname)} = ${quoteIdent(column.attname)} WHERE false`);
    }
    out.push(entry);
  }
  return out;
}

async function blockedBy(probe: Session, sql: string): Promise<boolean | undefined> {
  try {
    await probe.queryText(sql);
    return false;
  } catch (error) {
    return dbErrorInfo(error)?.code === '55P03' ? true : undefined;
  }
}

async function readLocks(session: Session, pid: number, databaseOid: string): Promise<LockRow[]> {
  return session.query<LockRow>(
    `SELECT l.locktype, l.relation::int8::text AS relation, l.objid::int8::text AS objid, l.mode, l.granted,
            CASE WHEN l.locktype = 'object' THEN (SELECT n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = l.objid) END AS typename
       FROM pg_locks l
      WHERE l.pid = $1 AND l.database = $2::int8::oid AND (l.locktype = 'relation' OR (l.locktype = 'object' AND l.classid = 'pg_type'::regclass))`,
    [pid, databaseOid],
  );
}

async function readRelations(session: Session): Promise<Map<string, CatalogRelation>> {
  const rows = await session.query<CatalogRelation>(
    `SELECT c.oid::int8::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.relfilenode::int8::text AS filenode,
            p.schema AS "parentSchema", p.name AS "parentName"
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN LATERAL (
         SELECT tn.nspname AS schema, t.relname AS name FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
          WHERE c.relkind IN ('i', 'I') AND i.indexrelid = c.oid
         UNION ALL
         SELECT tn.nspname, t.relname FROM pg_class t JOIN pg_namespace tn ON tn.oid = t.relnamespace WHERE c.relkind = 't' AND t.reltoastrelid = c.oid
       ) p ON true
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp%'`,
  );
  return new Map(rows.map((r) => [r.oid, r]));
}

async function readConstraints(session: Session): Promise<Map<string, CatalogConstraint>> {
  const rows = await session.query<CatalogConstraint>(
    `SELECT co.oid::int8::text AS oid, n.nspname || '.' || c.relname AS table, co.conname AS name, co.contype AS type, co.convalidated AS valid
       FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_temp\\_%'`,
  );
  return new Map(rows.map((r) => [r.oid, r]));
}

/** pg_locks rows as observed locks: one per object, its strongest mode. */
function observedLocks(rows: readonly LockRow[], relations: Map<string, CatalogRelation>, before: Map<string, CatalogRelation>): ObservedLock[] {
  const byObject = new Map<string, ObservedLock>();
  for (const row of rows) {
    const mode = modeFromPgLocks(row.mode);
    if (!mode) continue;
    let key: string;
    let lock: Omit<ObservedLock, 'mode' | 'modes' | 'granted'>;
    if (row.locktype === 'relation' && row.relation) {
      const r = relations.get(row.relation);
      // A catalog relation (pg_locks itself, pg_class, ...), or TOAST, whose locks follow its table's.
      if (!r || r.schema === 'pg_toast') continue;
      key = `rel:${row.relation}`;
      lock = { schema: r.schema, name: r.name, kind: r.kind, created: !before.has(row.relation), ...(r.parentName && r.parentSchema ? { table: { schema: r.parentSchema, name: r.parentName } } : {}) };
    } else if (row.locktype === 'object' && row.typename) {
      const dot = row.typename.indexOf('.');
      const schema = row.typename.slice(0, dot);
      if (schema === 'pg_catalog' || schema === 'information_schema' || schema.startsWith('pg_toast')) continue;
      key = `type:${row.objid}`;
      lock = { schema, name: row.typename.slice(dot + 1), kind: 'type', created: false };
    } else continue;
    const existing = byObject.get(key);
    if (existing) {
      existing.modes.push(mode);
      existing.mode = strongest(existing.modes)!;
      existing.granted = existing.granted && row.granted;
    } else byObject.set(key, { ...lock, mode, modes: [mode], granted: row.granted });
  }
  return [...byObject.values()];
}

/** The column types and constraints of the tables an ALTER TABLE names, read from the database before it runs. */
async function liveKnowledge(session: Session, statement: Statement): Promise<LockKnowledge> {
  const alter = statement.node?.AlterTableStmt;
  if (!alter?.relation?.relname) return {};
  const name = `${alter.relation.schemaname ? quoteIdent(alter.relation.schemaname) + '.' : ''}${quoteIdent(alter.relation.relname)}`;
  const columns = await session.query<{ attname: string; type: string }>(
    'SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped',
    [name],
  );
  const constraints = await session.query<{ conname: string; contype: string; referenced: string | null }>(
    "SELECT conname, contype, CASE WHEN confrelid <> 0 THEN (SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = confrelid) END AS referenced FROM pg_constraint WHERE conrelid = to_regclass($1)",
    [name],
  );
  const types = new Map(columns.map((c) => [c.attname, typeOfText(c.type)]));
  const kinds: Record<string, string> = { c: 'check', f: 'foreign key', u: 'unique', p: 'primary key', x: 'exclusion', n: 'not null' };
  return {
    columnTypeBefore: (_table, column) => types.get(column),
    constraint: (_table, conname) => {
      const c = constraints.find((x) => x.conname === conname);
      if (!c) return undefined;
      return { kind: kinds[c.contype] ?? c.contype, ...(c.referenced ? { referenced: relationFromNames(c.referenced.split('.').map((sval) => ({ String: { sval } }))) } : {}) };
    },
  };
}

/** A type as format_type prints it ("character varying(20)"), read the way the lock table reads a TypeName. */
function typeOfText(text: string): NonNullable<ReturnType<typeof typeNameOf>> | undefined {
  const outcome = parseStatement(`SELECT NULL::${text}`);
  const cast = outcome.nodes?.[0]?.SelectStmt?.targetList?.[0]?.ResTarget?.val?.TypeCast;
  return typeNameOf(cast?.typeName);
}

/** The lock table's rewrite claim against the relfilenodes: one mismatch when they disagree about a table that existed before. */
function compareRewrite(claimed: StatementLocks, traced: TracedStatement, before: Map<string, CatalogRelation>): TraceMismatch | undefined {
  if (claimed.facts.length === 0) return undefined;
  const existingTables = new Set([...before.values()].filter((r) => r.kind === 'r' || r.kind === 'm' || r.kind === 'p').map((r) => `${r.schema}.${r.name}`));
  const rewrittenTables = traced.rewritten.filter((r) => existingTables.has(r.name) && (r.kind === 'table' || r.kind === 'materialized view'));
  const claims = traced.claims.rewrite;
  const ids = claimed.facts.map((f) => f.id);
  if (claims && rewrittenTables.length === 0 && traced.observed === 'in transaction') {
    return { kind: 'rewrite', object: traced.static[0]?.object ?? '(table)', facts: ids, message: `The lock table says ${ids.join(', ')} rewrites the table; the trace shows no new relfilenode (no rewrite on PostgreSQL as traced).` };
  }
  if (!claims && rewrittenTables.length > 0) {
    return { kind: 'rewrite', object: rewrittenTables.map((r) => r.name).join(', '), facts: ids, message: `The server rewrote ${rewrittenTables.map((r) => r.name).join(', ')} (new relfilenode), which the lock table (${ids.join(', ')}) does not claim.` };
  }
  return undefined;
}

function constraintType(t: string): string {
  return { c: 'check', f: 'foreign key', u: 'unique', p: 'primary key', x: 'exclusion', n: 'not null', t: 'trigger' }[t] ?? t;
}

function pick(l: { line: number; column: number; endLine: number; endColumn: number }) {
  return { line: l.line, column: l.column, endLine: l.endLine, endColumn: l.endColumn };
}

export { PrepareError };
