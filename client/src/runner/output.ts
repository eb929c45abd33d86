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
      return event.steps.length === 0 ? ['Nothing to do.'] : [];
    case 'migration-start':
      return [`${event.direction === 'up' ? '↑' : '↓'} ${migrationLabel(event, rel)} (${event.mode === 'transaction' ? 'one transaction' : 'statements one at a time'}: ${event.modeReason}${event.resumeAt ? `; resuming at statement ${event.resumeAt}` : ''})`];
    case 'statement': {
      const r = event.result;
      return [`  ${(r.durationMs < 0 ? '—' : formatMs(r.durationMs)).padStart(9)}  ${`L${r.line}`.padEnd(5)} ${r.ok ? '' : '✗ '}${r.text}`];
    }
    case 'migration-end':
      return [event.step.ok ? `  ✓ ${event.step.direction === 'up' ? 'applied' : 'rolled back'} in ${formatMs(event.step.durationMs)}` : `  ✗ failed after ${formatMs(event.step.durationMs)}`];
  }
}

export function resultLines(result: RunResult, cwd: string): string[] {
  const lines: string[] = [];
  if (result.usageError) lines.push(`error: ${result.usageError}`);
  if (result.needsConfirmation) lines.push(result.needsConfirmation.message, ...result.needsConfirmation.details.map((d) => `  - ${d}`));
  if (result.error) lines.push(...errorLines(result.error, cwd));
  if (result.command !== 'status') lines.push(`${result.ok ? 'Done' : 'Failed'}: ${summary(result)} in ${formatMs(result.durationMs)}.`);
  else if (result.status) lines.push(`${result.status.filter((s) => s.state === 'applied' || s.state === 'edited').length} applied, ${result.status.filter((s) => s.state === 'pending').length} pending.`);
  return lines;
}

export function summary(result: RunResult): string {
  const ups = result.steps.filter((s) => s.ok && s.direction === 'up').length;
  const downs = result.steps.filter((s) => s.ok && s.direction === 'down').length;
  const parts = [ups ? `${ups} migration${ups === 1 ? '' : 's'} applied` : '', downs ? `${downs} rolled back` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : 'nothing changed';
}

export function errorLines(error: RunError, cwd: string): string[] {
  const where = error.file ? `${path.relative(cwd, error.file) || error.file}:${error.line}:${error.column}: ` : '';
  const lines = [`error: ${where}${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}`];
  if (error.statement !== undefined) lines.push(`  in statement ${error.statement} of the ${error.section} section: ${error.statementText}`);
  if (error.detail) lines.push(`  detail: ${error.detail}`);
  if (error.hint) lines.push(`  hint: ${error.hint}`);
  if (error.where) lines.push(`  context: ${error.where.split('\n')[0]}`);
  if (error.committed !== undefined) lines.push(error.committed > 0 ? `  ${error.committed} statement(s) were committed before it; the next Migrate Up resumes at the failed statement.` : '  Nothing of this migration was committed.');
  else if (error.file) lines.push('  The migration was rolled back: schema and bookkeeping are as before it.');
  return lines;
}

export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}
