// Applying one migration step. A section runs as one transaction holding its statements and its
// bookkeeping rows, so a failure leaves schema and bookkeeping as they were; or, when the format layer
// says it cannot run in a transaction, its statements are sent one at a time (CREATE INDEX
// CONCURRENTLY must be sent alone) with a progress record in zdm_migrations, so a failure or a killed
// process leaves a clear record of which statement failed and how many were committed.

import { concurrentOperation } from '../sql/classify';
import { applySessionTimeouts, dbErrorInfo, isConnectionLost, withTransaction, type Session } from './db';
import { firstLine, lineOf, statementError, type PositionedError } from './errors';
import type { RunError, RunEvent, StatementResult, StepResult } from './events';
import type { Migration, RunSection, RunStatement } from './migrations';
import type { Step } from './plan';
import type { Tracker, ZdmTable } from './tracking/index';

export interface ApplyContext {
  session: Session;
  tracker: Tracker;
  zdm: ZdmTable;
  timeouts: { lockTimeout?: string; statementTimeout?: string };
  emit(event: RunEvent): void;
  redact(text: string): string;
}

export interface StepOptions {
  /** The migration that becomes the latest applied after a rollback (golang-migrate stores it). */
  previous?: Migration;
  /** Resume a non-transactional up at this 0-based statement (earlier ones were committed by an interrupted run). */
  resumeAt?: number;
}

export interface ExecutionMode {
  atomic: boolean;
  reason: string;
}

/** How a section runs, from its transaction mode (decided by the format layer) and PostgreSQL's rules. */
export function executionMode(section: RunSection): ExecutionMode {
  const controls = section.statements.some((s) => s.kind === 'TransactionStmt');
  switch (section.transaction) {
    case 'transaction':
      if (controls) return { atomic: false, reason: 'the section holds its own BEGIN/COMMIT, so statements are sent one at a time' };
      return { atomic: true, reason: section.transactionSource };
    case 'none':
      return { atomic: false, reason: section.transactionSource };
    case 'implicit':
      if (controls) return { atomic: false, reason: `${section.transactionSource}, and it holds its own BEGIN/COMMIT` };
      if (section.statements.length === 1 && cannotRunInTransaction(section.statements[0])) {
        return { atomic: false, reason: `${section.transactionSource}; its only statement cannot run in a transaction block, so it is sent alone` };
      }
      return { atomic: true, reason: `${section.transactionSource}: one transaction` };
  }
}

/** Statements PostgreSQL refuses inside a transaction block. */
export function cannotRunInTransaction(statement: RunStatement): boolean {
  if (concurrentOperation(statement.node)) return true;
  return ['VacuumStmt', 'CreatedbStmt', 'DropdbStmt', 'AlterSystemStmt', 'CreateTableSpaceStmt', 'DropTableSpaceStmt', 'CreateSubscriptionStmt', 'DropSubscriptionStmt'].includes(statement.kind);
}

export async function applyStep(ctx: ApplyContext, step: Step, options: StepOptions = {}): Promise<StepResult> {
  const { migration, direction } = step;
  const section = direction === 'up' ? migration.up : migration.down!;
  const mode = executionMode(section);
  const resumeAt = direction === 'up' && !mode.atomic && options.resumeAt !== undefined && options.resumeAt > 0 ? options.resumeAt : undefined;
  const result: StepResult = {
    version: migration.version,
    name: migration.name,
    direction,
    file: section.path,
    ok: false,
    durationMs: 0,
    mode: mode.atomic ? 'transaction' : 'statements',
    modeReason: mode.reason,
    statements: [],
  };
  if (resumeAt !== undefined) result.resumedAt = resumeAt + 1;
  ctx.emit({ type: 'migration-start', version: migration.version, name: migration.name, file: section.path, direction, mode: result.mode, modeReason: mode.reason, statements: section.statements.length, resumeAt: resumeAt !== undefined ? resumeAt + 1 : undefined });
  const started = performance.now();
  try {
    if (mode.atomic) await runAtomic(ctx, step, section, result, options);
    else await runOneByOne(ctx, step, section, result, options, resumeAt ?? 0);
    result.ok = result.error === undefined;
  } catch (error) {
    result.ok = false;
    result.error ??= plainError(error, ctx.redact);
  }
  result.durationMs = performance.now() - started;
  if (section.statements.some((s) => s.kind === 'VariableSetStmt' || s.kind === 'DiscardStmt') && !isConnectionLost(result.error)) {
    // A SET in a migration outlives it on this session: start the next one from the configured state.
    await ctx.session.queryText('RESET ALL').catch(() => undefined);
    await applySessionTimeouts(ctx.session, ctx.timeouts).catch(() => undefined);
  }
  ctx.emit({ type: 'migration-end', step: result });
  return result;
}

class StatementFailed extends Error {
  constructor(readonly runError: RunError) {
    super(runError.message);
  }
}

async function runAtomic(ctx: ApplyContext, step: Step, section: RunSection, result: StepResult, options: StepOptions): Promise<void> {
  const started = performance.now();
  try {
    await withTransaction(ctx.session, async () => {
      for (const statement of section.statements) await runStatement(ctx, step, section, statement, result);
      await bookkeeping(ctx, step, performance.now() - started, options);
    });
  } catch (error) {
    if (error instanceof StatementFailed) {
      result.error = error.runError;
      return;
    }
    throw error;
  }
}

async function runOneByOne(ctx: ApplyContext, step: Step, section: RunSection, result: StepResult, options: StepOptions, from: number): Promise<void> {
  const { migration, direction } = step;
  const started = performance.now();
  const total = section.statements.length;
  await withTransaction(ctx.session, async () => {
    if (from === 0) await ctx.zdm.recordRunning(ctx.session, migration, direction, total);
    else await ctx.zdm.recordProgress(ctx.session, migration, from);
    if (direction === 'up') await ctx.tracker.markStarted?.(ctx.session, migration);
  });
  let inUserTransaction = false;
  for (let i = from; i < total; i++) {
    const statement = section.statements[i];
    try {
      await runStatement(ctx, step, section, statement, result);
    } catch (error) {
      if (!(error instanceof StatementFailed)) throw error;
      result.error = { ...error.runError, committed: i };
      // A failure inside the file's own BEGIN leaves an aborted transaction: end it before recording.
      await ctx.session.queryText('ROLLBACK').catch(() => undefined);
      await ctx.zdm.recordFailed(ctx.session, migration, direction, i + 1, ctx.redact(error.runError.message)).catch(() => undefined);
      return;
    }
    const transaction = statement.node?.TransactionStmt?.kind as string | undefined;
    if (transaction === 'TRANS_STMT_BEGIN' || transaction === 'TRANS_STMT_START') inUserTransaction = true;
    else if (transaction !== undefined) inUserTransaction = false;
    if (!inUserTransaction && i + 1 < total) await ctx.zdm.recordProgress(ctx.session, migration, i + 1);
  }
  await withTransaction(ctx.session, () => bookkeeping(ctx, step, performance.now() - started, options));
}

async function bookkeeping(ctx: ApplyContext, step: Step, durationMs: number, options: StepOptions): Promise<void> {
  const { migration, direction } = step;
  if (direction === 'up') {
    await ctx.tracker.recordUp(ctx.session, migration, durationMs);
    await ctx.zdm.recordApplied(ctx.session, migration, durationMs);
  } else {
    await ctx.tracker.recordDown(ctx.session, migration, options.previous);
    await ctx.zdm.recordRemoved(ctx.session, migration);
  }
}

async function runStatement(ctx: ApplyContext, step: Step, section: RunSection, statement: RunStatement, result: StepResult): Promise<void> {
  const started = performance.now();
  let failure: unknown;
  try {
    await ctx.session.queryText(statement.text);
  } catch (error) {
    failure = error;
  }
  const entry: StatementResult = {
    number: statement.index + 1,
    line: lineOf(section.fileText, statement.span.start),
    text: ctx.redact(firstLine(statement.text)),
    durationMs: performance.now() - started,
    ok: failure === undefined,
  };
  result.statements.push(entry);
  ctx.emit({ type: 'statement', version: step.migration.version, file: section.path, direction: step.direction, result: entry });
  if (failure !== undefined) {
    const info = dbErrorInfo(failure) as PositionedError | undefined;
    if (info) {
      const raw = failure as { internalPosition?: string; internalQuery?: string };
      if (raw.internalPosition && /^\d+$/.test(raw.internalPosition)) info.internalPosition = Number(raw.internalPosition);
      if (raw.internalQuery) info.internalQuery = raw.internalQuery;
    }
    const runError = statementError(section, statement.index, info, failure instanceof Error ? failure.message : String(failure), ctx.redact);
    if (!info) runError.message = ctx.redact(`${failure instanceof Error ? failure.message : String(failure)}`);
    const hint = extraHint(info, statement);
    if (hint && !runError.hint) runError.hint = hint;
    throw new StatementFailed(runError);
  }
}

function extraHint(info: PositionedError | undefined, statement: RunStatement): string | undefined {
  if (!info) return undefined;
  if (info.code === '25001' && concurrentOperation(statement.node)) {
    return `${concurrentOperation(statement.node)} cannot run inside a transaction: mark the section as non-transactional for your tool (dbmate: "-- migrate:up transaction:false").`;
  }
  if (info.code === '42P07' && concurrentOperation(statement.node)) {
    return 'An interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index behind: drop it (DROP INDEX CONCURRENTLY) and run again.';
  }
  if (info.code === '55P03') return 'lock_timeout expired while waiting for a lock: another session holds a conflicting lock. Retry, or raise "lockTimeout" in .zdm.json.';
  if (info.code === '57014') return 'statement_timeout cancelled the statement. Raise "statementTimeout" in .zdm.json for long migrations.';
  return undefined;
}

function plainError(error: unknown, redact: (s: string) => string): RunError {
  const info = dbErrorInfo(error);
  const message = redact(error instanceof Error ? error.message : String(error));
  const out: RunError = { message };
  if (info?.code) out.code = info.code;
  if (isConnectionLost(error)) out.hint = 'The connection to the database was lost; run `zdm status` to see what was applied.';
  return out;
}
