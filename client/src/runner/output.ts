// The lines the "zdm Migrations" output channel shows for a run: every statement with its duration, as
// the CLI prints them in a terminal. No VS Code API here.

import * as path from 'node:path';
import { migrationLabel, type RunError, type RunEvent, type RunResult } from '../../../server/src/engine/runner/events';

export function eventLines(event: RunEvent, cwd: string): string[] {
  const rel = (file: string) => path.relative(cwd, file) || file;
  switch (event.type) {
    case 'database':
      return [`database: ${event.url} (${event.source}${event.serverVersion ? `, PostgreSQL ${event.serverVersion}` : ''})`];
    case 'info':
      return [event.message];
    case 'warning':
      return [`warning: ${event.message}`];
    case 'plan':
      // --log-only says so before anything is recorded, as the CLI does in a terminal.
      if (event.logOnly) return [event.steps.length === 0 ? 'Nothing to record.' : `Log only: recording ${count(event.steps.length)} as ${event.command === 'up' ? 'applied' : 'not applied'}, running none of their statements.`];
      return event.steps.length === 0 ? ['Nothing to do.'] : [];
    case 'migration-start':
      if (event.logOnly) return [`${event.direction === 'up' ? '↑' : '↓'} ${migrationLabel(event, rel)} (log only: not run)`];
      return [`${event.direction === 'up' ? '↑' : '↓'} ${migrationLabel(event, rel)} (${event.mode === 'transaction' ? 'one transaction' : 'statements one at a time'}: ${event.modeReason}${event.resumeAt ? `; resuming at statement ${event.resumeAt}` : ''})`];
    case 'statement': {
      const r = event.result;
      return [`  ${(r.durationMs < 0 ? '—' : formatMs(r.durationMs)).padStart(9)}  ${`L${r.line}`.padEnd(5)} ${r.ok ? '' : '✗ '}${r.text}`];
    }
    case 'migration-end':
      if (event.step.logOnly) return [event.step.ok ? `  ✓ recorded as ${event.step.direction === 'up' ? 'applied' : 'not applied'}, not run` : '  ✗ not recorded'];
      return [event.step.ok ? `  ✓ ${event.step.direction === 'up' ? 'applied' : 'rolled back'} in ${formatMs(event.step.durationMs)}` : `  ✗ failed after ${formatMs(event.step.durationMs)}`];
  }
}

export function resultLines(result: RunResult, cwd: string): string[] {
  const lines: string[] = [];
  if (result.usageError) lines.push(`error: ${result.usageError}`);
  if (result.needsConfirmation) lines.push(result.needsConfirmation.message, ...result.needsConfirmation.details.map((d) => `  - ${d}`));
  if (result.error) lines.push(...errorLines(result.error, cwd));
  if (result.command !== 'status') lines.push(`${result.ok ? 'Done' : 'Failed'}: ${summary(result)} in ${formatMs(result.durationMs)}.`);
  else if (result.status) {
    // Below a Flyway baseline: neither applied by a run nor pending (as `zdm status` counts them: the migrations on disk).
    const below = result.status.filter((s) => s.state === 'below-baseline' && s.file).length;
    lines.push(`${result.status.filter((s) => s.state === 'applied' || s.state === 'edited').length} applied, ${result.status.filter((s) => s.state === 'pending').length} pending${below > 0 ? `, ${below} below the Flyway baseline` : ''}.`);
  }
  return lines;
}

export function summary(result: RunResult): string {
  // A step recorded without running it (--log-only) is never counted as applied or rolled back: it was not.
  const done = (direction: 'up' | 'down', logOnly: boolean) => result.steps.filter((s) => s.ok && s.direction === direction && (s.logOnly === true) === logOnly).length;
  const [ups, downs, recordedUp, recordedDown] = [done('up', false), done('down', false), done('up', true), done('down', true)];
  const parts = [
    ups ? `${count(ups)} applied` : '',
    downs ? `${downs} rolled back` : '',
    recordedUp ? `${count(recordedUp)} recorded as applied (not run)` : '',
    recordedDown ? `${count(recordedDown)} recorded as not applied (not run)` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'nothing changed';
}

function count(n: number): string {
  return `${n} migration${n === 1 ? '' : 's'}`;
}

export function errorLines(error: RunError, cwd: string): string[] {
  const where = error.file ? `${path.relative(cwd, error.file) || error.file}:${error.line}:${error.column}: ` : '';
  const lines = [`error: ${where}${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}`];
  if (error.statement !== undefined) lines.push(`  in statement ${error.statement} of the ${error.section} section: ${error.statementText}`);
  if (error.detail) lines.push(`  detail: ${error.detail}`);
  if (error.hint) lines.push(`  hint: ${error.hint}`);
  if (error.where) lines.push(`  context: ${error.where.split('\n')[0]}`);
  if (error.committed !== undefined) lines.push(error.committed > 0 ? `  ${error.committed} statement(s) were committed before it; the next ${error.section === 'down' ? 'Roll Back' : 'Migrate Up'} resumes at the failed statement.` : '  Nothing of this migration was committed.');
  else if (error.file) lines.push('  The migration was rolled back: schema and bookkeeping are as before it.');
  return lines;
}

export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}
