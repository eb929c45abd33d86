// Applying one migration step. A section runs as one transaction holding its statements and its
// bookkeeping rows, so a failure leaves schema and bookkeeping as they were; or, when the format layer
// says it cannot run in a transaction, its statements are sent one at a time (CREATE INDEX
// CONCURRENTLY must be sent alone) with a progress record in zdm_migrations, so a failure or a killed
// process leaves a clear record of which statement failed and how many were committed.

import { concurrentOperation } from '../sql/classify';
import { applySessionTimeouts, batchCommands, dbErrorInfo, isCancelled, isConnectionLost, preparedName, quoteIdent, runCommands, type Session, type SqlCommand } from './db';
import { firstLine, statementError, type PositionedError } from './errors';
import type { RunError, RunEvent, StatementResult, StepResult } from './events';
import { downSectionOf, withStatementTexts, type Migration, type RunSection, type RunStatement } from './migrations';
import { fileValues, gooseReplacements, replaceInStatement, sessionPlaceholderValues, substitutePlaceholders } from './placeholders';
import type { Step } from './plan';
import { LineIndex, lineNumberAt } from '../text/offsets';
import type { Tracker, ZdmTable } from './tracking/index';

export interface ApplyContext {
  session: Session;
  tracker: Tracker;
  zdm: ZdmTable;
  /** The session settings the runner keeps: timeouts, and the search_path the tool migrates with (Flyway's schema). */
  timeouts: { lockTimeout?: string; statementTimeout?: string; searchPath?: string };
  emit(event: RunEvent): void;
  redact(text: string): string;
  /** Send a transactional section's statements in one round trip (default); false: one at a time. */
  batch?: boolean;
  /**
   * Runs after an up section sent statement by statement has run to its end, before it is recorded:
   * an error fails the step, which is then not recorded as applied (the hook has undone it). sqitch's
   * --verify (sqitch-verify.ts); sqitch's scripts are always sent statement by statement.
   */
  afterUp?: (ctx: ApplyContext, step: Step) => Promise<RunError | undefined>;
  /**
   * Runs before an up recorded without running it (--log-only) is recorded: an error fails the step,
   * which is then recorded as failed (the tool's failure record), not as applied. sqitch's
   * `deploy --log-only --verify` runs the verify script (sqitch-verify.ts).
   */
  beforeLogged?: (ctx: ApplyContext, step: Step) => Promise<RunError | undefined>;
  /**
   * True once the run was asked to stop (Ctrl-C: the CLI's SIGINT or SIGTERM, the editor's Cancel):
   * a section sent statement by statement sends no further statement, and fails as if the next one had.
   */
  interrupted?: () => boolean;
}

export interface StepOptions {
  /** The migration that becomes the latest applied after a rollback (golang-migrate stores it). */
  previous?: Migration;
  /** Resume a non-transactional section at this 0-based statement (earlier ones were committed by an interrupted run). */
  resumeAt?: number;
}

export interface ExecutionMode {
  atomic: boolean;
  reason: string;
}

/** How a section runs, from its transaction mode (decided by the format layer) and PostgreSQL's rules. */
export function executionMode(section: RunSection): ExecutionMode {
  const controls = section.statements.some(isTransactionControl);
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
      if (section.statements.length === 1 && mayEndTransaction(section.statements[0])) {
        // The tool sends a lone statement outside any transaction block, where a procedure or DO block may COMMIT.
        const what = section.statements[0].firstWord === 'call' ? 'a CALL (the procedure may COMMIT)' : 'a DO block that COMMITs or ROLLs BACK';
        return { atomic: false, reason: `${section.transactionSource}; its only statement is ${what}, which fails inside a transaction block, so it is sent alone` };
      }
      return { atomic: true, reason: `${section.transactionSource}: one transaction` };
  }
}

const TRANSACTION_WORDS = new Set(['begin', 'start', 'commit', 'end', 'rollback', 'abort']);

/** BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT: the file controls its own transaction. */
export function isTransactionControl(statement: RunStatement): boolean {
  return TRANSACTION_WORDS.has(statement.firstWord) && !/^rollback\s+(?:work\s+|transaction\s+)?to\b/i.test(statement.text);
}

/** Statements PostgreSQL refuses inside a transaction block. */
export function cannotRunInTransaction(statement: RunStatement): boolean {
  if (!['create', 'drop', 'reindex', 'alter', 'vacuum'].includes(statement.firstWord)) return false;
  if (concurrentOperation(statement.node)) return true;
  return ['VacuumStmt', 'CreatedbStmt', 'DropdbStmt', 'AlterSystemStmt', 'CreateTableSpaceStmt', 'DropTableSpaceStmt', 'CreateSubscriptionStmt', 'DropSubscriptionStmt'].includes(statement.kind);
}

/**
 * A statement that may end the transaction it runs in: CALL (a procedure may COMMIT or ROLLBACK) or a
 * DO block whose body does. PostgreSQL allows that only outside a transaction block ("invalid
 * transaction termination" inside one).
 */
export function mayEndTransaction(statement: RunStatement): boolean {
  if (statement.firstWord === 'call') return statement.kind === 'CallStmt';
  if (statement.firstWord !== 'do' || statement.kind !== 'DoStmt') return false;
  const args = (statement.node?.DoStmt?.args ?? []) as { DefElem?: { defname?: string; arg?: { String?: { sval?: string } } } }[];
  const body = args.map((a) => (a.DefElem?.defname === 'as' ? a.DefElem.arg?.String?.sval ?? '' : '')).join('\n');
  const code = body
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""');
  return /(?:^|;|\b(?:begin|then|else|loop)\b)\s*(?:commit|rollback)\b/i.test(code);
}

/**
 * True when the run goes on after this failed step: a Liquibase changeset marked `failOnError:false`
 * that failed running its SQL (or a precondition), as Liquibase's ChangeSet.execute catches the error,
 * rolls the changeset's transaction back and returns ExecType FAILED, for which no row is written.
 * Not a changeset zdm refuses to run (`toolFailure`: Liquibase would run it), nor a lost connection.
 */
export function passesOverFailure(step: Step, error: RunError | undefined): boolean {
  if (step.direction !== 'up' || step.migration.changeset?.failOnError !== false || step.migration.up.toolFailure) return false;
  return error !== undefined && !isConnectionLost(error) && !error.interrupted;
}

export async function applyStep(ctx: ApplyContext, step: Step, options: StepOptions = {}): Promise<StepResult> {
  const { migration, direction } = step;
  const written = direction === 'up' ? migration.up : downSectionOf(migration)!;
  if (written.absent) {
    ctx.emit({ type: 'warning', message: `${migration.name} has no '-- +goose Down' section: as goose does, rolling it back runs nothing and only deletes its row from the tracking table. What its up did stays in the database, and the next zdm up runs it again.` });
  } else if (direction === 'down' && written.statements.length === 0 && migration.up.statements.length > 0) {
    // A down section written but left empty (or holding only comments): the tool runs nothing too.
    ctx.emit({ type: 'warning', message: `${migration.name}'s down section has no statement: rolling it back runs nothing and only deletes its row from the tracking table. What its up did stays in the database, and the next zdm up runs it again.` });
  }
  // The tool's placeholders, substituted before anything runs: one without a value stops the step here;
  // so does a section the tool itself would fail to run (goose cutting a statement in two).
  const prepared = written.toolFailure ? { error: toolFailureError(written, written.toolFailure) } : written.placeholders ? await substituted(ctx, written) : { section: written };
  if ('error' in prepared) {
    const result: StepResult = { version: migration.version, name: migration.name, direction, file: written.path, ok: false, durationMs: 0, mode: 'statements', modeReason: 'not run', statements: [], error: prepared.error };
    ctx.emit({ type: 'migration-end', step: result });
    return result;
  }
  const section = prepared.section;
  const mode = executionMode(section);
  const resumeAt = !mode.atomic && options.resumeAt !== undefined && options.resumeAt > 0 ? options.resumeAt : undefined;
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
  ctx.emit({ type: 'migration-start', version: migration.version, name: migration.name, file: section.path, format: migration.format, direction, mode: result.mode, modeReason: mode.reason, statements: section.statements.length, resumeAt: resumeAt !== undefined ? resumeAt + 1 : undefined });
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
  if (section.statements.some((s) => s.firstWord === 'discard' || s.firstWord === 'deallocate')) ctx.session.forgetPrepared();
  if (section.statements.some((s) => s.firstWord === 'set' || s.firstWord === 'reset' || s.firstWord === 'discard') && !isConnectionLost(result.error)) {
    // A SET in a migration outlives it on this session: start the next one from the configured state.
    await ctx.session.queryText('RESET ALL').catch(() => undefined);
    await applySessionTimeouts(ctx.session, ctx.timeouts).catch(() => undefined);
  }
  ctx.emit({ type: 'migration-end', step: result });
  return result;
}

/**
 * A step recorded without running it (`zdm up --log-only`, `zdm rollback --log-only`): only the
 * bookkeeping a run would write (the tool's rows and zdm_migrations' row), in one transaction, as
 * `sqitch deploy --log-only` logs a change it does not deploy. A tool that records such a step its own
 * way (Prisma's `migrate resolve --applied`) gives its statements (`Tracker.recordLogged`). Nothing of
 * the migration's file is sent, so its placeholders and transaction mode do not matter.
 */
export async function recordStep(ctx: ApplyContext, step: Step, options: StepOptions = {}): Promise<StepResult> {
  const { migration, direction } = step;
  const file = direction === 'up' ? migration.upPath : downSectionOf(migration)?.path ?? migration.downPath ?? migration.upPath;
  const modeReason = `log only: recorded as ${direction === 'up' ? 'applied' : 'rolled back'}, not run`;
  const result: StepResult = { version: migration.version, name: migration.name, direction, file, ok: false, durationMs: 0, mode: 'transaction', modeReason, statements: [], logOnly: true };
  ctx.emit({ type: 'migration-start', version: migration.version, name: migration.name, file, format: migration.format, direction, mode: 'transaction', modeReason, statements: 0, logOnly: true });
  const started = performance.now();
  try {
    const rejected = direction === 'up' ? await ctx.beforeLogged?.(ctx, step) : undefined;
    if (rejected) {
      result.error = rejected;
      await runAtomically(ctx.session, failedRecord(ctx, step, rejected)).catch(() => undefined);
      result.durationMs = performance.now() - started;
      ctx.emit({ type: 'migration-end', step: result });
      return result;
    }
    const commands = direction === 'up' && ctx.tracker.recordLogged ? [...ctx.tracker.recordLogged(migration), ctx.zdm.recordApplied(migration, 0)] : bookkeeping(ctx, step, 0, options);
    await runAtomically(ctx.session, commands);
    result.ok = true;
  } catch (error) {
    result.error = plainError(error, ctx.redact);
  }
  result.durationMs = performance.now() - started;
  ctx.emit({ type: 'migration-end', step: result });
  return result;
}

/** The error of a section its tool would fail to run: where, and why (the format problem's message). */
function toolFailureError(section: RunSection, failure: NonNullable<RunSection['toolFailure']>): RunError {
  const at = new LineIndex(section.fileText).positionAt(failure.offset);
  const statement = section.statements.findIndex((s) => s.span.start <= failure.offset && failure.offset < s.span.end);
  // committed: 0 — nothing was sent, so the CLI says so rather than that a transaction was rolled back.
  return {
    message: `${failure.message}${failure.help ? ` ${failure.help}` : ''} Nothing of it was run.`,
    file: section.path,
    section: section.kind,
    statement: statement + 1 || undefined,
    statementText: statement >= 0 ? firstLine(section.statements[statement].text) : undefined,
    line: at.line + 1,
    column: at.character + 1,
    exact: true,
    committed: 0,
  };
}

/** The section with the tool's placeholders substituted, or the error naming the first one without a value. */
async function substituted(ctx: ApplyContext, section: RunSection): Promise<{ section: RunSection } | { error: RunError }> {
  const stopped = (out: { offset: number; message: string }): { error: RunError } => {
    const at = new LineIndex(section.fileText).positionAt(out.offset);
    const statement = section.statements.find((s) => s.span.start <= out.offset && out.offset < s.span.end);
    return {
      error: {
        message: ctx.redact(out.message),
        file: section.path,
        section: section.kind,
        statement: statement ? statement.index + 1 : undefined,
        statementText: statement ? ctx.redact(firstLine(statement.text)) : undefined,
        line: at.line + 1,
        column: at.character + 1,
        exact: true,
        committed: 0,
      },
    };
  };
  if (section.envsub) {
    // goose: its lines under ENVSUB, read through the whole file (formats/goose-envsub.ts).
    const out = gooseReplacements(section.fileText, section.envsub, section.placeholders!);
    if ('missing' in out) return stopped(out);
    return { section: withStatementTexts(section, section.statements.map((s) => replaceInStatement(s.text, s.span.start, out.replacements.filter((r) => s.span.start <= r.start && r.end <= s.span.end)))) };
  }
  const extra = fileValues(section.path);
  if (section.format === 'flyway') for (const [k, v] of await sessionPlaceholderValues(ctx.session, section.statements.map((s) => s.text), section.placeholders!)) extra.set(k, v);
  const texts: { text: string; toOriginal: (offset: number) => number }[] = [];
  for (const statement of section.statements) {
    const out = substitutePlaceholders(statement.text, section.placeholders!, extra);
    if ('missing' in out) return stopped({ offset: statement.span.start + out.offset, message: out.message });
    texts.push(out);
  }
  return { section: withStatementTexts(section, texts) };
}

class StatementFailed extends Error {
  constructor(readonly runError: RunError) {
    super(runError.message);
  }
}

async function runAtomic(ctx: ApplyContext, step: Step, section: RunSection, result: StepResult, options: StepOptions): Promise<void> {
  const started = performance.now();
  const { session } = ctx;
  try {
    if (ctx.batch === false || section.statements.length === 0) {
      // One statement per round trip; BEGIN travels with the first.
      let begin = 'BEGIN;\n';
      for (const statement of section.statements) {
        await runStatement(ctx, step, section, statement, result, begin);
        begin = '';
      }
      if (begin) await session.queryText('BEGIN');
    } else await runBatch(ctx, step, section, result);
    // The bookkeeping rows of every table in one statement, then COMMIT: three round trips in all.
    await runCommands(session, bookkeeping(ctx, step, performance.now() - started, options));
    await session.queryText('COMMIT');
  } catch (error) {
    await session.queryText('ROLLBACK').catch(() => undefined);
    if (error instanceof StatementFailed) {
      result.error = error.runError;
      // Rolled back, so nothing of it is recorded; but a tool that writes its row before the script
      // runs (Prisma) leaves that row failed, and zdm leaves what the tool would.
      const failed = step.direction === 'up' ? ctx.tracker.recordFailedTransaction?.(step.migration, error.runError) : undefined;
      if (failed) await runAtomically(session, failed).catch(() => undefined);
      return;
    }
    throw error;
  }
}

/**
 * Sends BEGIN and all statements of a transactional section as one query string (one round trip),
 * with `SELECT clock_timestamp()` before and after each statement, so each statement's duration is
 * measured by the server. When one fails, PostgreSQL's error position says which; for an error without
 * a position, the statements are run again one at a time in a transaction that is always rolled back,
 * to find the one that fails.
 */
async function runBatch(ctx: ApplyContext, step: Step, section: RunSection, result: StepResult): Promise<void> {
  const parts: string[] = ['BEGIN;\n'];
  /** Code points before each statement in the query string (PostgreSQL's error positions count them). */
  const starts: number[] = [];
  let length = parts[0].length;
  for (const statement of section.statements) {
    parts.push(MARKER);
    length += MARKER.length;
    starts.push(length);
    const text = /;\s*$/.test(statement.text) ? `${statement.text}\n` : `${statement.text}\n;\n`;
    parts.push(text);
    length += codePoints(text);
  }
  parts.push(MARKER);
  let results: { fields?: { name: string }[]; rows?: Record<string, unknown>[] }[];
  try {
    results = (await ctx.session.queryResults(parts.join(''))) as typeof results;
  } catch (error) {
    await ctx.session.queryText('ROLLBACK').catch(() => undefined);
    const position = dbErrorInfo(error)?.position;
    let index = position !== undefined ? starts.findLastIndex((start) => start < position) : -1;
    // A cancelled batch (Ctrl-C) is not run again to find the statement: it is the one that was running.
    if (index === -1 && !isCancelled(error, ctx.session)) index = await findFailingStatement(ctx, section);
    if (index === -1) {
      const message = error instanceof Error ? error.message : String(error);
      const failed: RunError = { ...statementError(section, 0, dbErrorInfo(error), message, ctx.redact), statement: undefined, statementText: undefined, line: lineOfAnchor(section), column: 1, exact: false };
      if (isCancelled(error, ctx.session)) Object.assign(failed, { interrupted: true, hint: 'The migration was cancelled while it ran (Ctrl-C, the editor\'s Cancel, or pg_cancel_backend).' });
      throw new StatementFailed(failed);
    }
    // A syntax error stops PostgreSQL before it runs anything; otherwise the statements before ran (and were rolled back).
    const ranBefore = dbErrorInfo(error)?.code !== '42601';
    for (let i = ranBefore ? 0 : index; i <= index; i++) report(ctx, step, section, result, i, Number.NaN, i < index);
    throw statementFailure(ctx, section, section.statements[index], error, position !== undefined ? starts[index] : 0);
  }
  const times = results.filter((r) => r.fields?.length === 1 && r.fields[0].name === 'zdm_marker').map((r) => Number(r.rows?.[0]?.zdm_marker));
  section.statements.forEach((_, i) => report(ctx, step, section, result, i, times[i + 1] - times[i], true));
}

/** Server time in milliseconds (epoch), as one column named zdm_marker. */
const MARKER = 'SELECT extract(epoch FROM clock_timestamp()) * 1000 AS zdm_marker;\n';

function report(ctx: ApplyContext, step: Step, section: RunSection, result: StepResult, index: number, durationMs: number, ok: boolean): void {
  const statement = section.statements[index];
  const entry: StatementResult = { number: index + 1, line: statement.line, text: ctx.redact(firstLine(statement.text)), durationMs: Number.isFinite(durationMs) ? durationMs : -1, ok };
  result.statements.push(entry);
  ctx.emit({ type: 'statement', version: step.migration.version, file: section.path, direction: step.direction, result: entry });
}

/** Runs the statements again, one at a time, in a transaction that is rolled back: the index of the one that fails, or -1. */
async function findFailingStatement(ctx: ApplyContext, section: RunSection): Promise<number> {
  let failing = -1;
  await ctx.session.queryText('BEGIN');
  try {
    for (const statement of section.statements) {
      try {
        await ctx.session.queryText(statement.text);
      } catch {
        failing = statement.index;
        break;
      }
    }
  } finally {
    await ctx.session.queryText('ROLLBACK').catch(() => undefined);
  }
  return failing;
}

function lineOfAnchor(section: RunSection): number {
  return lineNumberAt(section.fileText, section.anchor.start);
}

function codePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

async function runOneByOne(ctx: ApplyContext, step: Step, section: RunSection, result: StepResult, options: StepOptions, from: number): Promise<void> {
  const { migration, direction } = step;
  const started = performance.now();
  const total = section.statements.length;
  await runAtomically(ctx.session, [
    from === 0 ? ctx.zdm.recordRunning(migration, direction, total) : ctx.zdm.recordResumed(migration, direction, from, total),
    ...(direction === 'up' ? ctx.tracker.markStarted?.(migration) ?? [] : []),
  ]);
  let inUserTransaction = false;
  // The statement that opened the file's own transaction, while it is open.
  let openedBy = -1;
  // Statements committed so far (by this run or the attempt it resumes): inside the file's own BEGIN,
  // nothing is committed until its COMMIT.
  let committed = from;
  const groups = oneStringGroups(section);
  for (let i = from; i < total; i++) {
    const statement = section.statements[i];
    // The last statement sent with this one: the tool sends a goose StatementBegin/End block whole.
    const last = groups.get(i) ?? i;
    try {
      if (ctx.interrupted?.()) {
        const stopped: RunError = { ...statementError(section, i, undefined, `Interrupted before statement ${i + 1} of ${total} ran: it and the statements after it were not sent.`, ctx.redact), interrupted: true };
        if (direction === 'up' && from === 0 && i === 0 && !ctx.tracker.markStarted) {
          // Nothing of it ran: no record of it either (not a failure the tool's table should keep, as Flyway's would).
          result.error = { ...stopped, committed: 0 };
          await runAtomically(ctx.session, [ctx.zdm.recordRemoved(migration)]).catch(() => undefined);
          return;
        }
        throw new StatementFailed(stopped);
      }
      if (last > i) await runQueryString(ctx, step, section, i, last, result);
      else await runStatement(ctx, step, section, statement, result);
    } catch (error) {
      if (!(error instanceof StatementFailed)) throw error;
      result.error = { ...error.runError, committed };
      // A failure inside the file's own BEGIN leaves an aborted transaction: end it before recording.
      await ctx.session.queryText('ROLLBACK').catch(() => undefined);
      const invalid = await invalidIndexLeft(ctx, statement, error.runError);
      if (invalid) result.error.hint = result.error.hint ? `${result.error.hint} ${invalid}` : invalid;
      // The number recorded is where a resumed run starts: the first statement of a block sent whole.
      // Passed over (Liquibase's failOnError:false): no record of it, so the next run starts it again from its first statement.
      const record = passesOverFailure(step, result.error) ? ctx.zdm.recordRemoved(migration) : ctx.zdm.recordFailed(migration, direction, i + 1, ctx.redact(error.runError.message));
      await runAtomically(ctx.session, [record, ...failedRecord(ctx, step, result.error)]).catch(() => undefined);
      return;
    }
    for (let k = i; k <= last; k++) {
      const sent = section.statements[k];
      if (!isTransactionControl(sent)) continue;
      const opens = sent.firstWord === 'begin' || sent.firstWord === 'start';
      if (opens && !inUserTransaction) openedBy = k;
      inUserTransaction = opens;
    }
    i = last;
    if (!inUserTransaction) committed = i + 1;
    if (!inUserTransaction && i + 1 < total) await runAtomically(ctx.session, [ctx.zdm.recordProgress(migration, i + 1)]);
  }
  if (inUserTransaction) {
    // The section's own BEGIN is never committed. Recorded now, the migration would be recorded inside
    // that transaction and lost with it when the session ends, and so would everything after the BEGIN:
    // reported applied, applied in part, recorded nowhere (what the tool itself does).
    await ctx.session.queryText('ROLLBACK').catch(() => undefined);
    const begin = section.statements[openedBy];
    const error = statementError(section, openedBy, undefined, `The ${section.kind} section ends inside the transaction that this ${begin.firstWord.toUpperCase()} opens: no COMMIT follows it, so nothing after it would be committed, nor the record that the migration ran. zdm rolled it back.`, ctx.redact);
    error.hint = 'End the transaction with COMMIT; at the end of the section (or remove the BEGIN).';
    result.error = { ...error, committed };
    const record = passesOverFailure(step, result.error) ? ctx.zdm.recordRemoved(migration) : ctx.zdm.recordFailed(migration, direction, openedBy + 1, ctx.redact(error.message));
    await runAtomically(ctx.session, [record, ...failedRecord(ctx, step, result.error)]).catch(() => undefined);
    return;
  }
  const rejected = direction === 'up' ? await ctx.afterUp?.(ctx, step) : undefined;
  if (rejected) {
    // Undone by the hook (sqitch: the revert script after a failed verify): not applied, so no row of
    // progress either; the tool's failure record (sqitch's fail event) says what happened.
    result.error = rejected;
    await runAtomically(ctx.session, [ctx.zdm.recordRemoved(migration), ...failedRecord(ctx, step, rejected)]).catch(() => undefined);
    return;
  }
  try {
    await runAtomically(ctx.session, bookkeeping(ctx, step, performance.now() - started, options));
  } catch (error) {
    if (isConnectionLost(error)) throw error;
    // Every statement is committed; only recording it failed (the tool's table altered by hand, a
    // privilege taken away). Left `running` at its last statement, the next run would send that one
    // again: recorded as failed after the last one, it is recorded without sending any statement.
    await runAtomically(ctx.session, [ctx.zdm.recordProgress(migration, total), ctx.zdm.recordFailed(migration, direction, null, ctx.redact(error instanceof Error ? error.message : String(error)))]).catch(() => undefined);
    const again = direction === 'up' ? 'zdm up' : 'zdm rollback';
    result.error = { ...plainError(error, ctx.redact), committed: total, hint: `All ${total} statements of the ${section.kind} section ran and were committed; recording that in the tracking tables failed. Repair what the error names, then run ${again} again: it records the migration without sending its statements again.` };
  }
}

/**
 * The INVALID index a failed CREATE INDEX CONCURRENTLY left behind (PostgreSQL keeps the index it
 * started building when the build fails: a unique violation, a deadlock, a cancel), said when the
 * statement fails rather than when it is run again and fails with "already exists".
 */
async function invalidIndexLeft(ctx: ApplyContext, statement: RunStatement, error: RunError): Promise<string | undefined> {
  const index = statement.node?.IndexStmt as { concurrent?: boolean; idxname?: string; relation?: { schemaname?: string } } | undefined;
  if (!index?.concurrent || !index.idxname || error.code === '42P07' || isConnectionLost(error)) return undefined;
  const name = index.relation?.schemaname ? `${quoteIdent(index.relation.schemaname)}.${quoteIdent(index.idxname)}` : quoteIdent(index.idxname);
  const rows = await ctx.session
    .query<{ name: string }>('SELECT i.indexrelid::regclass::text AS name FROM pg_index i WHERE i.indexrelid = to_regclass($1) AND NOT i.indisvalid', [name])
    .catch(() => []);
  if (rows.length === 0) return undefined;
  return `The failed CREATE INDEX CONCURRENTLY left the index ${rows[0].name} behind, INVALID: queries do not use it, but writes keep it up to date. Drop it (DROP INDEX CONCURRENTLY ${rows[0].name};) before running the migration again.`;
}

/**
 * The groups of statements a section sends as one query string (`RunSection.queryStrings`): the index
 * of each group's first statement mapped to its last, for groups of more than one.
 */
export function oneStringGroups(section: RunSection): Map<number, number> {
  const groups = new Map<number, number>();
  for (const block of section.queryStrings ?? []) {
    const inside = section.statements.filter((s) => block.start <= s.span.start && s.span.end <= block.end);
    if (inside.length > 1) groups.set(inside[0].index, inside[inside.length - 1].index);
  }
  return groups;
}

/**
 * Sends statements `first`..`last` as one query string, as the tool does (a goose StatementBegin/End
 * block): PostgreSQL runs them as one implicit transaction, so a failure rolls all of them back, and
 * CREATE INDEX CONCURRENTLY among them fails as it does under the tool. The error's position says which
 * statement failed; without one, the first that cannot run in a transaction block, else the first.
 */
async function runQueryString(ctx: ApplyContext, step: Step, section: RunSection, first: number, last: number, result: StepResult): Promise<void> {
  const statements = section.statements.slice(first, last + 1);
  const starts: number[] = [];
  let text = '';
  for (const statement of statements) {
    starts.push(codePoints(text));
    text += /;\s*$/.test(statement.text) ? `${statement.text}\n` : `${statement.text};\n`;
  }
  const started = performance.now();
  let failure: unknown;
  try {
    await ctx.session.queryText(text);
  } catch (error) {
    failure = error;
  }
  const durationMs = performance.now() - started;
  let failed = -1;
  if (failure !== undefined) {
    const position = dbErrorInfo(failure)?.position;
    failed = position !== undefined ? starts.findLastIndex((start) => start < position) : -1;
    if (failed === -1) failed = Math.max(0, statements.findIndex(cannotRunInTransaction));
  }
  statements.forEach((statement, k) => {
    if (failed !== -1 && k > failed) return;
    // One round trip for the block: its time is the first statement's; a failure rolls back those before it.
    const entry: StatementResult = { number: statement.index + 1, line: statement.line, text: ctx.redact(firstLine(statement.text)), durationMs: k === 0 ? durationMs : 0, ok: failed === -1 || k < failed };
    result.statements.push(entry);
    ctx.emit({ type: 'statement', version: step.migration.version, file: section.path, direction: step.direction, result: entry });
  });
  if (failure === undefined) return;
  const statement = statements[failed];
  const error = statementFailure(ctx, section, statement, failure, starts[failed]);
  const sent = `${section.format !== 'goose' ? 'The tool sends these statements' : inStatementBlock(section, statement) ? 'goose sends a StatementBegin/StatementEnd block' : 'goose ends a statement only where a line ends with `;`, so it sends these statements'} as one query string (statements ${first + 1}-${last + 1}), which PostgreSQL runs as one implicit transaction: none of them was committed.`;
  error.runError.hint = error.runError.hint ? `${sent} ${error.runError.hint}` : sent;
  throw error;
}

/**
 * Runs commands as one unit: one statement alone, or several inside BEGIN ... COMMIT. A cancel meant
 * for the migration's statement (Ctrl-C) that reaches the server as this bookkeeping runs instead
 * cancels it: it is run once more, so the record stays true to what was committed.
 */
async function runAtomically(session: Session, commands: SqlCommand[]): Promise<void> {
  try {
    await runAtomicallyOnce(session, commands);
  } catch (error) {
    if (!isCancelled(error, session)) throw error;
    await runAtomicallyOnce(session, commands);
  }
}

async function runAtomicallyOnce(session: Session, commands: SqlCommand[]): Promise<void> {
  const batches = batchCommands(commands);
  if (batches.length === 1) {
    await session.queryPrepared(preparedName(batches[0].text), batches[0].text, batches[0].values);
    return;
  }
  await session.queryText('BEGIN');
  try {
    for (const batch of batches) await session.queryPrepared(preparedName(batch.text), batch.text, batch.values);
  } catch (error) {
    await session.queryText('ROLLBACK').catch(() => undefined);
    throw error;
  }
  await session.queryText('COMMIT');
}

/** The tool's record of an up that failed part way, when it keeps one (sqitch's `fail` event, Flyway's and Prisma's failed rows). */
function failedRecord(ctx: ApplyContext, step: Step, error: RunError): SqlCommand[] {
  return step.direction === 'up' ? ctx.tracker.recordFailed?.(step.migration, error) ?? [] : [];
}

function bookkeeping(ctx: ApplyContext, step: Step, durationMs: number, options: StepOptions): SqlCommand[] {
  const { migration, direction } = step;
  if (direction === 'up') return [...ctx.tracker.recordUp(migration, durationMs), ctx.zdm.recordApplied(migration, durationMs)];
  return [...ctx.tracker.recordDown(migration, options.previous), ctx.zdm.recordRemoved(migration)];
}

/** Sends one statement (after `prefix`, when one travels with it) and records its duration. */
async function runStatement(ctx: ApplyContext, step: Step, section: RunSection, statement: RunStatement, result: StepResult, prefix = ''): Promise<void> {
  const started = performance.now();
  let failure: unknown;
  try {
    await ctx.session.queryText(prefix + statement.text);
  } catch (error) {
    failure = error;
  }
  const entry: StatementResult = {
    number: statement.index + 1,
    line: statement.line,
    text: ctx.redact(firstLine(statement.text)),
    durationMs: performance.now() - started,
    ok: failure === undefined,
  };
  result.statements.push(entry);
  ctx.emit({ type: 'statement', version: step.migration.version, file: section.path, direction: step.direction, result: entry });
  if (failure !== undefined) throw statementFailure(ctx, section, statement, failure, prefix.length);
}

/**
 * The error of a failed statement placed in the file. `before` is how many characters (code points)
 * preceded the statement in the query string, since PostgreSQL's positions count from its start.
 */
function statementFailure(ctx: ApplyContext, section: RunSection, statement: RunStatement, failure: unknown, before: number): StatementFailed {
  const info = dbErrorInfo(failure) as PositionedError | undefined;
  if (info) {
    const raw = failure as { internalPosition?: string; internalQuery?: string };
    if (raw.internalPosition && /^\d+$/.test(raw.internalPosition)) info.internalPosition = Number(raw.internalPosition);
    if (raw.internalQuery) info.internalQuery = raw.internalQuery;
    if (info.position !== undefined) info.position = info.position > before ? info.position - before : undefined;
  }
  const message = failure instanceof Error ? failure.message : String(failure);
  const runError = statementError(section, statement.index, info, message, ctx.redact);
  if (!info) runError.message = ctx.redact(message);
  const cancelled = isCancelled(failure, ctx.session);
  const hint = extraHint(info, statement, section, cancelled);
  if (hint && !runError.hint) runError.hint = hint;
  if (cancelled) runError.interrupted = true;
  return new StatementFailed(runError);
}

function extraHint(info: PositionedError | undefined, statement: RunStatement, section: RunSection, cancelled: boolean): string | undefined {
  if (!info) return undefined;
  if (info.code === '25001' && concurrentOperation(statement.node)) {
    return `${concurrentOperation(statement.node)} cannot run inside a transaction: ${outsideTransactionHowTo(section, statement)}.`;
  }
  if (info.code === '42P07' && concurrentOperation(statement.node)) {
    return 'An interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index behind: drop it (DROP INDEX CONCURRENTLY) and run again.';
  }
  if (info.code === '2D000' && (statement.firstWord === 'call' || statement.firstWord === 'do')) {
    return `A procedure or DO block that COMMITs must run outside a transaction block: ${outsideTransactionHowTo(section, statement)}.`;
  }
  if (info.code === '55P03') return 'lock_timeout expired while waiting for a lock: another session holds a conflicting lock. Retry, or raise "lockTimeout" in .zdm.json.';
  if (cancelled) return 'The statement was cancelled while it ran (Ctrl-C, the editor\'s Cancel, or pg_cancel_backend).';
  if (info.code === '57014') return 'statement_timeout cancelled the statement. Raise "statementTimeout" in .zdm.json for long migrations.';
  return undefined;
}

function inStatementBlock(section: RunSection, statement: RunStatement): boolean {
  return section.statementBlocks?.some((b) => b.start <= statement.span.start && statement.span.end <= b.end) ?? false;
}

/** How the section's own format says "run this outside a transaction". */
function outsideTransactionHowTo(section: RunSection, statement: RunStatement): string {
  const queryString = section.queryStrings?.find((q) => q.start <= statement.span.start && statement.span.end <= q.end);
  if (queryString) {
    if (section.format === 'goose' && !inStatementBlock(section, statement)) {
      // Before a StatementBegin line, where goose had not ended it: sent with the block (formats/goose-cuts.ts).
      if (section.statementBlocks?.some((b) => b.end === queryString.end && statement.span.end <= b.start)) return 'end its line with `;` (only a `--` comment may follow it), and the line of the statement before it too: goose sends what it has read and not yet sent at a StatementBegin line together with the block, as one query string';
      return 'put it on a line of its own, with the statement before it ending its line with `;` (goose sends statements that share a line as one query string)';
    }
    return 'move it out of its StatementBegin/StatementEnd block (goose sends the block as one query string)';
  }
  if (section.transaction === 'implicit') {
    // Already sent outside a tool transaction, but as one query string with the other statements.
    return section.format === 'dbmate' ? 'make it the only statement of its block, in a migration of its own' : 'make it the only statement of its file, in a migration of its own';
  }
  switch (section.format) {
    case 'dbmate':
      return `add transaction:false to its "-- migrate:${section.kind}" line`;
    case 'goose':
      return 'add "-- +goose NO TRANSACTION" to the file';
    case 'golang-migrate':
      return 'make it the only statement of its file (golang-migrate then sends it alone, outside a transaction)';
    case 'diesel':
      return 'set run_in_transaction = false in the migration\'s metadata.toml';
    case 'flyway':
      return 'put it in a script of its own (Flyway then runs it outside a transaction), or set executeInTransaction=false in the script\'s .conf file';
    case 'prisma':
      return 'put it in a migration of its own (Prisma sends a migration as one query string)';
    case 'plain':
      return 'put it in a file of its own, or set "assumeInTransaction": false in .zdm.json if your runner sends statements one at a time';
    default:
      return 'mark the section as non-transactional in the migration format';
  }
}

function plainError(error: unknown, redact: (s: string) => string): RunError {
  const info = dbErrorInfo(error);
  const message = redact(error instanceof Error ? error.message : String(error));
  const out: RunError = { message };
  if (info?.code) out.code = info.code;
  if (isConnectionLost(error)) out.hint = 'The connection to the database was lost; run `zdm status` to see what was applied.';
  return out;
}
