// sqitch's verify scripts (`verify/<change>.sql`), run as sqitch 1.3 runs them on PostgreSQL:
// - through psql with ON_ERROR_STOP: the script's own BEGIN/ROLLBACK (sqitch's template) decide its
//   transaction; any error fails the verify; a transaction the script leaves open ends with psql's
//   connection, rolled back. zdm sends the statements one at a time on its session and does the same.
// - `sqitch deploy --verify` (or `deploy.verify = true`): right after each change's deploy script, with
//   the deploy's variables. A failing verify makes the deploy of that change fail: sqitch runs the
//   change's revert script (again with the deploy's variables), records no `changes` row and logs a
//   `fail` event (App::Sqitch::Engine deploy_change). A missing verify script is a warning, not a failure.
// - `sqitch verify`: every deployed change's verify script, with `[verify.variables]` added, except the
//   earlier versions of a reworked change (sqitch skips them); deployed changes out of plan order, not in
//   the plan, or planned and not deployed are errors; the run fails when any change does.

import * as path from 'node:path';
import { applySessionTimeouts, dbErrorInfo, type Session } from './db';
import { statementError, type PositionedError } from './errors';
import type { RunError } from './events';
import type { RunSection } from './migrations';
import type { ApplyContext } from './apply';
import { isTransactionControl, oneStringGroups } from './apply';
import { isApplied, type MigrationStatus, type Step } from './plan';
import { LineIndex } from '../text/offsets';
import { sqitchChangeOf, type SqitchInfo } from './sqitch';

/** A script's path as sqitch names it in its messages: from the project's top folder (`verify/users.sql`). */
function scriptName(info: SqitchInfo, file: string): string {
  return path.relative(info.top, file) || file;
}

/**
 * Runs a psql script on `session` as psql runs it for sqitch: statement by statement (a `\;` group as
 * one query string), its own BEGIN/COMMIT/ROLLBACK deciding, stopping at the first error; whatever
 * transaction is open at the end (or at the error) is rolled back, as psql's exit ends it. The error,
 * placed in the file, or undefined when every statement ran.
 */
export async function runPsqlScript(session: Session, section: RunSection, redact: (s: string) => string, timeouts: ApplyContext['timeouts']): Promise<RunError | undefined> {
  if (section.toolFailure) {
    const at = new LineIndex(section.fileText).positionAt(section.toolFailure.offset);
    return { message: section.toolFailure.message, file: section.path, section: section.kind, line: at.line + 1, column: at.character + 1, exact: true };
  }
  const groups = oneStringGroups(section);
  let inTransaction = false;
  let error: RunError | undefined;
  try {
    for (let i = 0; i < section.statements.length; i++) {
      const last = groups.get(i) ?? i;
      const sent = section.statements.slice(i, last + 1);
      try {
        await session.queryText(sent.map((s) => (/;\s*$/.test(s.text) ? s.text : `${s.text};`)).join('\n'));
      } catch (failure) {
        const info = dbErrorInfo(failure) as PositionedError | undefined;
        // A position in a group sent whole counts from the group's start: placed on the statement only.
        if (info && last > i) info.position = undefined;
        error = statementError(section, i, info, failure instanceof Error ? failure.message : String(failure), redact);
        return error;
      }
      for (const s of sent) if (isTransactionControl(s)) inTransaction = s.firstWord === 'begin' || s.firstWord === 'start';
      i = last;
    }
    return undefined;
  } finally {
    if (inTransaction || error) await session.queryText('ROLLBACK').catch(() => undefined);
    if (section.statements.some((s) => s.firstWord === 'set' || s.firstWord === 'reset' || s.firstWord === 'discard')) {
      // A SET in the script would outlive it on zdm's session (psql's ends with the script).
      await session.queryText('RESET ALL').catch(() => undefined);
      await applySessionTimeouts(session, timeouts).catch(() => undefined);
    }
  }
}

/**
 * `sqitch deploy --verify` for one change, right after its deploy script ran: its verify script, and
 * when that fails, its revert script. Returns the error that fails the change (the verify script's,
 * with what the revert did), or undefined when the change is verified (or has no verify script: a
 * warning, as sqitch warns).
 */
export async function verifyDeployedChange(ctx: ApplyContext, step: Step): Promise<RunError | undefined> {
  const verified = await runVerifyScript(ctx, step, 'deployed');
  if (!verified) return undefined;
  const { info, failed, error } = verified;
  const revert = info.revertAfterVerify();
  const revertName = scriptName(info, revert?.path ?? step.migration.downPath ?? path.join(info.top, 'revert', path.relative(path.join(info.top, 'verify'), info.verifyPath)));
  const revertError = revert ? await runPsqlScript(ctx.session, revert, ctx.redact, ctx.timeouts) : { message: `${revertName} does not exist` };
  const undone = revertError
    ? `Its revert script ${revertName} then failed too (${revertError.file ? `line ${revertError.line}: ` : ''}${revertError.message}): what ${scriptName(info, step.migration.upPath)} did may remain in the database; undo it by hand.`
    : `zdm ran its revert script ${revertName}, as sqitch deploy --verify does.`;
  error.hint = `${undone} ${step.migration.name} is not recorded as deployed (sqitch's registry has a fail event for it).${failed.hint ? ` PostgreSQL: ${failed.hint}` : ''}`;
  error.reverted = revertError === undefined;
  return error;
}

/**
 * `sqitch deploy --log-only --verify` for one change: its deploy script is not run, its verify script is
 * (App::Sqitch::Engine `deploy_change`: `run_deploy ... unless log_only`, then `verify_change` when
 * verifying); when that fails, nothing is reverted (`run_revert ... unless log_only`) and the change is
 * not logged as deployed (a fail event). Returns that failure, or undefined when verified (or when it has
 * no verify script: a warning, as sqitch warns).
 */
export async function verifyLoggedChange(ctx: ApplyContext, step: Step): Promise<RunError | undefined> {
  const verified = await runVerifyScript(ctx, step, 'recorded');
  if (!verified) return undefined;
  const { failed, error } = verified;
  error.hint = `--log-only ran no deploy script, so the database does not hold what ${step.migration.name} makes; nothing was reverted, and it is not recorded as deployed (sqitch's registry has a fail event for it), as sqitch deploy --log-only --verify leaves it.${failed.hint ? ` PostgreSQL: ${failed.hint}` : ''}`;
  return error;
}

export interface SqitchVerifyEntry {
  /** The change as zdm names it among the migrations (`users@v1.0`: a reworked change's earlier version). */
  name: string;
  file?: string;
  ok: boolean;
  /** Why not ok: the verify script's error, or "Out of order", "Not deployed" ... */
  problem?: string;
  error?: RunError;
  /** The verify script was not run: a reworked change's earlier version (sqitch skips it), or no script (a warning). */
  skipped?: 'reworked' | 'missing';
}

/**
 * `sqitch verify`: the verify script of every deployed change, in the order they were deployed, and the
 * checks sqitch makes around them. `statuses` are the project's, in plan order.
 */
export async function verifySqitchChanges(session: Session, statuses: readonly MigrationStatus[], redact: (s: string) => string, timeouts: ApplyContext['timeouts']): Promise<SqitchVerifyEntry[]> {
  const out: SqitchVerifyEntry[] = [];
  const deployed = statuses.filter(isApplied);
  const planned = statuses.filter((s) => s.migration && sqitchChangeOf(s.migration));
  // In order of deployment (sqitch lists the deployed changes by commit time).
  deployed.sort((a, b) => (a.appliedAt?.getTime() ?? 0) - (b.appliedAt?.getTime() ?? 0));
  // sqitch looks for undeployed changes up to the latest deployed one (in the plan; else the plan's end).
  const latest = deployed.length > 0 ? planned.indexOf(deployed[deployed.length - 1]) : -1;
  const lastIndex = deployed.length === 0 ? -1 : latest === -1 ? planned.length - 1 : latest;
  deployed.forEach((d, i) => {
    const info = d.migration ? sqitchChangeOf(d.migration) : undefined;
    const entry: SqitchVerifyEntry = { name: d.migration?.name ?? d.key, ok: true };
    out.push(entry);
    if (!info) {
      Object.assign(entry, { ok: false, problem: 'Not present in the plan' });
      return;
    }
    if (planned.indexOf(d) !== i) Object.assign(entry, { ok: false, problem: 'Out of order' });
  });
  for (const entry of out) {
    const status = deployed[out.indexOf(entry)];
    const info = status.migration ? sqitchChangeOf(status.migration) : undefined;
    if (!info) continue;
    if (info.change.reworkTags.length > 0) {
      entry.skipped = 'reworked';
      continue;
    }
    const verify = info.verifyScript('verify');
    if (!verify) {
      entry.skipped = 'missing';
      entry.file = info.verifyPath;
      continue;
    }
    entry.file = verify.path;
    const error = await runPsqlScript(session, verify, redact, timeouts);
    if (error) Object.assign(entry, { ok: false, error, problem: `Verify script "${scriptName(info, verify.path)}" failed.` });
  }
  // Changes planned up to the last deployed one that are not deployed.
  for (const s of planned.slice(0, lastIndex + 1)) {
    if (!deployed.includes(s)) out.push({ name: s.migration!.name, ok: false, problem: 'Not deployed' });
  }
  return out;
}

/**
 * Runs a deployed (or recorded) change's verify script: undefined when it passes, when the change has
 * none (a warning, as sqitch warns and goes on) or is no sqitch change; else its failure, and the error
 * that fails the change (naming the script: it is not the up or down section of the migration).
 */
async function runVerifyScript(ctx: ApplyContext, step: Step, done: 'deployed' | 'recorded') {
  const info = sqitchChangeOf(step.migration);
  if (!info) return undefined;
  const verify = info.verifyScript('deploy');
  if (!verify) {
    ctx.emit({ type: 'warning', message: `Verify script ${scriptName(info, info.verifyPath)} does not exist: ${step.migration.name} is ${done} without a verify (sqitch warns the same and goes on).` });
    return undefined;
  }
  const failed = await runPsqlScript(ctx.session, verify, ctx.redact, ctx.timeouts);
  if (!failed) {
    ctx.emit({ type: 'info', message: `  verified (${scriptName(info, verify.path)})` });
    return undefined;
  }
  const error: RunError = { ...failed, section: undefined, message: `Verify script ${scriptName(info, verify.path)} failed: ${failed.message}` };
  return { info, failed, error };
}
