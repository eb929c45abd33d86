// What the proving commands print: the round trip and the lock trace as Markdown reports (the CLI's
// default for `zdm trace`, `--report FILE` for both, and what the editor shows in its preview), and
// short text summaries for the terminal. Pure: results in, text out.

import * as path from 'node:path';
import type { LockMode } from '../locks';
import type { ProveFinding } from './findings';
import type { RoundTripResult } from './roundtrip';
import { displayName } from './snapshot';
import type { TracedStatement, TraceResult } from './trace';
import { kindName } from './trace-compare';
import type { VerifyResult } from './verify';

export interface RenderOptions {
  /** Paths are shown relative to this folder. */
  cwd: string;
}

const CLASS_MARK: Record<string, string> = { confirmed: '✓', 'static only': '✗ static only', 'trace only': '+ trace only' };

/** The lock trace as Markdown. */
export function traceMarkdown(result: TraceResult, options: RenderOptions): string {
  const rel = (f: string) => path.relative(options.cwd, f) || f;
  const out: string[] = [];
  out.push(`# Lock trace: ${result.file ? rel(result.file) : '?'} (${result.section})`, '');
  if (result.usageError || result.error) {
    out.push(`**The trace did not run:** ${result.usageError ?? result.error?.message}`, '');
    return out.join('\n');
  }
  const where = result.throwaway
    ? `${result.throwaway.base === 'copy' ? `a throwaway copy of \`${result.throwaway.source}\`` : 'an empty throwaway database'} (\`${result.throwaway.name}\`, ${result.throwaway.dropped ? 'dropped' : '**not dropped**'})`
    : 'no database';
  out.push(`PostgreSQL ${result.serverVersion ?? '?'} · ${where}`);
  if (result.realRun) out.push(`A real run sends this section ${result.realRun.atomic ? 'as **one transaction**' : '**statement by statement**'}: ${result.realRun.reason}.`);
  if (result.prepared.rolledBack.length + result.prepared.applied.length > 0) {
    out.push(`Prepared the copy: ${[result.prepared.rolledBack.length ? `rolled back ${result.prepared.rolledBack.join(', ')}` : '', result.prepared.applied.length ? `applied ${result.prepared.applied.join(', ')}` : ''].filter(Boolean).join('; ')}.`);
  }
  out.push('Each statement runs in a transaction of its own on the copy (pg_locks then shows exactly its locks); statements that cannot run in a transaction block run in autocommit and are watched from a second session.', '');
  for (const w of result.warnings) out.push(`> ⚠ ${w}`, '');

  out.push('| # | Line | Statement | Locks taken (trace) | Lock table | Rewrites | Blocked queries | Time | lock_timeout |', '|---|---|---|---|---|---|---|---|---|');
  for (const s of result.statements) {
    out.push(
      `| ${s.number} | ${s.line} | \`${cell(s.text)}\` | ${cell(locksCell(s))} | ${cell(staticCell(s))} | ${cell(rewriteCell(s))} | ${cell(blockedCell(s))} | ${s.durationMs !== undefined ? formatMs(s.durationMs) : ''} | ${cell(s.lockTimeout ? `${s.lockTimeout.value}` : '')} |`,
    );
  }
  out.push('');

  if (result.heldUntilCommit && result.heldUntilCommit.length > 0) {
    out.push('## Held until COMMIT', '', 'The section runs as one transaction, so each lock is held from the statement that takes it until the end:', '');
    for (const h of result.heldUntilCommit) out.push(`- **${h.mode}** on ${kindName(h.kind)} \`${displayName(h.object)}\` (from statement${h.from.length === 1 ? '' : 's'} ${h.from.join(', ')})${trafficNote(h.mode, h.kind)}`);
    out.push('');
  }

  out.push('## Mismatches with the lock table', '');
  if (result.mismatches.length === 0) out.push(`None: every lock the trace saw on an existing object is the one zdm's lock table (and its hover) claims.`, '');
  else {
    out.push('Each is a bug report against zdm\'s lock table (server/src/engine/locks.ts):', '');
    for (const m of result.mismatches) out.push(`- statement ${m.statement} (line ${m.line}) \`${m.text}\` — **${m.kind}**: ${m.message}`);
    out.push('');
  }

  out.push('## Statements', '');
  for (const s of result.statements) {
    out.push(`### ${s.number}. Line ${s.line}: \`${s.text}\``, '');
    if (s.ran === 'skipped' || s.ran === 'not run') {
      out.push(s.ran === 'skipped' ? `Skipped: ${s.how}.` : 'Not run (an earlier statement failed).', '');
      continue;
    }
    out.push(`- Ran ${s.how ?? s.ran}${s.durationMs !== undefined ? `, ${formatMs(s.durationMs)}` : ''}.`);
    if (s.error) out.push(`- **Failed:** ${s.error.message}${s.error.code ? ` (SQLSTATE ${s.error.code})` : ''}`);
    if (s.lockTimeout) out.push(`- lock_timeout ${s.lockTimeout.value} (${s.lockTimeout.source}); statement_timeout ${s.statementTimeout}.`);
    if (s.facts.length > 0) out.push(`- Lock table: ${s.facts.join(', ')}${s.claims.rewrite ? ' (claims a rewrite)' : s.claims.scan ? ' (claims a scan)' : ''}.`);
    else if (s.ok) out.push('- Lock table: no entry for this statement.');
    for (const st of s.static) out.push(`  - ${CLASS_MARK[st.classification]}: ${st.mode} on the ${st.role} ${st.object ? `\`${displayName(st.object)}\`` : ''}${st.observedMode ? ` — the trace shows ${st.observedMode}` : ''}`);
    if (s.observed !== 'in transaction' && s.ok) out.push(`- Locks were ${s.observed === 'while waiting' ? 'read while it waited' : s.observed === 'sampled' ? 'sampled while it ran (it never waited, so some may have been missed)' : 'not observed (it finished before they could be read)'}.`);
    const locks = s.locks.filter((l) => l.classification !== 'confirmed');
    for (const l of locks) out.push(`  - ${CLASS_MARK[l.classification]}: ${l.mode}${l.granted ? '' : ' (waiting)'} on ${kindName(l.kind)} \`${displayName(`${l.schema}.${l.name}`)}\`${l.note ? ` — ${l.note}` : ''}${l.staticMode ? ` — the lock table claims ${l.staticMode}` : ''}`);
    if (s.rewritten.length > 0) out.push(`- Rewritten (new relfilenode): ${s.rewritten.map((r) => `${r.kind} \`${displayName(r.name)}\``).join(', ')}.`);
    if (s.created.length > 0) out.push(`- Created: ${s.created.map((r) => `${r.kind} \`${displayName(r.name)}\``).join(', ')}.`);
    if (s.dropped.length > 0) out.push(`- Dropped: ${s.dropped.map((r) => `${r.kind} \`${displayName(r.name)}\``).join(', ')}.`);
    for (const c of s.constraints) out.push(`- Constraint ${c.change}: ${c.type} \`${c.name}\` on \`${displayName(c.table)}\`${c.change === 'dropped' ? '' : c.valid ? ' (valid)' : ' (**NOT VALID**)'}.`);
    if (s.blocked && s.blocked.length > 0) out.push(`- While it held its locks, a second session was: ${s.blocked.map((b) => `\`${displayName(b.table)}\` ${probeText(b)}`).join('; ')}.`);
    out.push('');
  }
  return out.join('\n');
}

function locksCell(s: TracedStatement): string {
  if (s.error) return `failed: ${s.error.message}`;
  if (s.ran === 'skipped') return 'skipped';
  if (s.ran === 'not run') return 'not run';
  const relevant = s.locks.filter((l) => l.classification === 'confirmed' || l.mismatch || (!l.created && !l.note));
  if (relevant.length === 0) return s.observed === 'not observed' ? 'not observed' : '—';
  return relevant.map((l) => `${l.mode}${l.granted ? '' : ' (waiting)'} ${displayName(`${l.schema}.${l.name}`)} ${l.classification === 'confirmed' ? '✓' : l.mismatch ? '✗' : ''}`.trim()).join(', ');
}

function staticCell(s: TracedStatement): string {
  if (s.facts.length === 0) return s.ok ? '—' : '';
  const bad = s.mismatches.length;
  return `${s.facts.join(', ')}${bad > 0 ? ` (${bad} mismatch${bad === 1 ? '' : 'es'})` : ' ✓'}`;
}

function rewriteCell(s: TracedStatement): string {
  const tables = s.rewritten.filter((r) => r.kind === 'table' || r.kind === 'materialized view' || r.kind === 'partitioned table');
  if (tables.length > 0) return `**rewrote** ${tables.map((r) => displayName(r.name)).join(', ')}`;
  if (s.rewritten.length > 0) return `rebuilt ${s.rewritten.map((r) => displayName(r.name)).join(', ')}`;
  const added = s.constraints.filter((c) => c.change !== 'dropped').map((c) => `${c.name}${c.valid ? '' : ' NOT VALID'}`);
  return added.length > 0 ? `— (constraint ${added.join(', ')})` : '—';
}

function blockedCell(s: TracedStatement): string {
  if (!s.blocked) return s.ok && s.ran === 'autocommit' ? 'not probed' : '';
  if (s.blocked.length === 0) return '—';
  const blocked = s.blocked.filter((b) => b.select || b.insert || b.update);
  if (blocked.length === 0) return 'none';
  return blocked.map((b) => `${displayName(b.table)}: ${[b.select ? 'SELECT' : '', b.insert ? 'INSERT' : '', b.update ? 'UPDATE' : ''].filter(Boolean).join(', ')}`).join('; ');
}

function probeText(b: NonNullable<TracedStatement['blocked']>[number]): string {
  const word = (v: boolean | undefined) => (v === undefined ? 'not tried' : v ? 'blocked' : 'not blocked');
  const parts = [`SELECT ${word(b.select)}`];
  if (b.insert !== undefined || b.update !== undefined) parts.push(`INSERT ${word(b.insert)}`, `UPDATE ${word(b.update)}`);
  return parts.join(', ');
}

function trafficNote(mode: LockMode, kind: string): string {
  if (kind === 'type') return '';
  if (mode === 'ACCESS EXCLUSIVE') return ': blocks reads and writes until COMMIT';
  if (['SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE'].includes(mode)) return ': blocks writes until COMMIT';
  return '';
}

/** The round trip as Markdown. */
export function roundTripMarkdown(result: RoundTripResult, options: RenderOptions): string {
  const rel = (f: string) => path.relative(options.cwd, f) || f;
  const out: string[] = ['# Up/down round trip', ''];
  if (result.usageError || (result.error && result.migrations.length === 0)) {
    out.push(`**The round trip did not run:** ${result.usageError ?? result.error?.message}`, '');
    return out.join('\n');
  }
  if (result.throwaway) {
    out.push(
      `PostgreSQL ${result.serverVersion ?? '?'} · ${result.throwaway.base === 'copy' ? `a throwaway copy of \`${result.throwaway.source}\`` : 'an empty throwaway database'} (\`${result.throwaway.name}\`, ${result.throwaway.dropped ? 'dropped' : '**not dropped**'})` +
        (result.replayed.length ? ` · replayed ${result.replayed.length} applied migration${result.replayed.length === 1 ? '' : 's'} first` : '') +
        (result.seed ? ` · seed \`${rel(result.seed.file)}\`${result.seed.ok ? '' : ' (failed)'}` : ''),
      '',
    );
  }
  for (const w of result.warnings) out.push(`> ⚠ ${w}`, '');
  if (result.error) out.push(`**Error:** ${result.error.message}`, '');
  if (result.migrations.length === 0) {
    out.push('No pending migration: nothing to check.', '');
    return out.join('\n');
  }
  out.push('For each pending migration: schema snapshot and row counts, up, down, snapshot and counts again (they must match), then up again.', '');
  out.push('| Migration | Result | up | down | up again |', '|---|---|---|---|---|');
  for (const m of result.migrations) {
    out.push(`| \`${rel(m.file)}\` | ${OUTCOME[m.outcome](m)} | ${ms(m.durations.up)} | ${ms(m.durations.down)} | ${ms(m.durations.reapply)} |`);
  }
  out.push('');
  const byVersion = groupFindings(result.findings);
  for (const m of result.migrations) {
    const findings = byVersion.get(m.version) ?? [];
    if (findings.length === 0) continue;
    out.push(`## ${rel(m.file)}`, '');
    for (const f of findings) {
      out.push(`- **${f.severity}** \`${f.rule}\` at ${rel(f.file)}:${f.line}: ${f.message}`);
      if (f.help) out.push(`  ${f.help}`);
    }
    out.push('');
  }
  return out.join('\n');
}

const OUTCOME: Record<string, (m: RoundTripResult['migrations'][number]) => string> = {
  restored: () => '✓ restored',
  differences: (m) => `✗ ${m.differences.length + m.reapplyDifferences.length + m.rowsLost.length + m.sequencesReset.length} difference${m.differences.length + m.reapplyDifferences.length + m.rowsLost.length + m.sequencesReset.length === 1 ? '' : 's'}`,
  'up-failed': () => '✗ up failed',
  'down-failed': () => '✗ down failed',
  'reapply-failed': () => '✗ up failed after down',
  'no-down': () => 'no down section',
  'not-run': () => 'not checked',
};

/** The round trip for a terminal. */
export function roundTripText(result: RoundTripResult, options: RenderOptions): string {
  const rel = (f: string) => path.relative(options.cwd, f) || f;
  const out: string[] = [];
  if (result.throwaway) out.push(`Throwaway database ${result.throwaway.name} (${result.throwaway.base === 'copy' ? `copy of ${result.throwaway.source}` : 'empty'}${result.replayed.length ? `, ${result.replayed.length} applied migration(s) replayed` : ''}) — ${result.throwaway.dropped ? 'dropped' : 'NOT dropped'}.`);
  const byVersion = groupFindings(result.findings);
  for (const m of result.migrations) {
    out.push(`${OUTCOME[m.outcome](m).padEnd(22)} ${rel(m.file)}${m.durations.up !== undefined ? `  (up ${ms(m.durations.up)}${m.durations.down !== undefined ? `, down ${ms(m.durations.down)}` : ''}${m.durations.reapply !== undefined ? `, up again ${ms(m.durations.reapply)}` : ''})` : ''}`);
    for (const f of byVersion.get(m.version) ?? []) {
      out.push(`  ${rel(f.file)}:${f.line}:${f.column}: ${f.severity} [${f.rule}] ${f.message}`);
      if (f.help) out.push(`    ${f.help}`);
    }
  }
  if (result.migrations.length === 0 && !result.error) out.push('No pending migration: nothing to round-trip.');
  const problems = result.findings.filter((f) => f.severity === 'error' || f.severity === 'warning').length;
  if (!result.error) out.push(`${problems === 0 ? 'Round trip clean' : `${problems} problem${problems === 1 ? '' : 's'}`}: ${result.migrations.filter((m) => m.outcome === 'restored').length} of ${result.migrations.length} migration${result.migrations.length === 1 ? '' : 's'} restored exactly, in ${ms(result.durationMs)}.`);
  return out.join('\n') + '\n';
}

/** Backfill verification for a terminal. */
export function verifyText(result: VerifyResult, options: RenderOptions): string {
  const rel = (f: string) => path.relative(options.cwd, f) || f;
  const out: string[] = [];
  for (const f of result.files) {
    out.push(`${f.ran ? (f.passed ? 'pass' : 'FAIL') : 'skip'}  ${rel(f.file)}${f.note ? `  (${f.note})` : ''}`);
    for (const d of f.directives) {
      out.push(`  ${d.passed ? '✓' : '✗'} line ${d.line}: ${d.sql}  — expect ${d.expect}, ${d.error ? `error: ${d.error.message}` : `got ${d.actual}`} (${ms(d.durationMs)})`);
    }
  }
  const ran = result.files.filter((f) => f.ran);
  if (result.sqitch) {
    // As `sqitch verify` lists them: each deployed change, ok or not ok with why.
    const changes = result.sqitch.changes;
    if (changes.length === 0) out.push('sqitch: no changes deployed.');
    const width = Math.max(0, ...changes.map((c) => c.name.length));
    for (const c of changes) {
      const why = c.error ? `${c.problem} ${c.error.file ? `${rel(c.error.file)}:${c.error.line}:${c.error.column}: ` : ''}${c.error.message}` : c.problem;
      const note = c.skipped === 'reworked' ? '  (reworked: sqitch runs no verify script for it)' : c.skipped === 'missing' ? `  (no verify script: ${rel(c.file!)})` : '';
      out.push(`  * ${c.name} ${'.'.repeat(width - c.name.length + 2)} ${c.ok ? 'ok' : 'not ok'}${why ? `  # ${why}` : ''}${note}`);
    }
    if (changes.length > 0) out.push(result.sqitch.passed ? 'Verify successful' : `Verify failed: ${changes.filter((c) => !c.ok).length} of ${changes.length} changes not ok.`);
    if (result.files.length > 0) out.push('');
  }
  if (result.files.length === 0) {
    if (!result.sqitch) out.push('No -- zdm:verify directives to run.');
  } else out.push(`${ran.filter((f) => f.passed).length} of ${ran.length} verified file${ran.length === 1 ? '' : 's'} passed${ran.length < result.files.length ? `, ${result.files.length - ran.length} skipped` : ''}; recorded in .zdm/verify.json.`);
  return out.join('\n') + '\n';
}

function groupFindings(findings: readonly ProveFinding[]): Map<string, ProveFinding[]> {
  const out = new Map<string, ProveFinding[]>();
  for (const f of findings) {
    const key = f.version ?? '';
    out.set(key, [...(out.get(key) ?? []), f]);
  }
  return out;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function ms(value: number | undefined): string {
  return value === undefined ? '' : formatMs(value);
}

export function formatMs(value: number): string {
  if (value < 10) return `${value.toFixed(1)} ms`;
  if (value < 10_000) return `${Math.round(value)} ms`;
  return `${(value / 1000).toFixed(1)} s`;
}
