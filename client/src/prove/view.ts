// How the proving commands show their results in the editor:
//   - findings (a down that does not undo its up, a failed verification, a statement that failed in
//     the trace, a mismatch with the lock table) as diagnostics, one collection per command, placed by
//     the CLI's 1-based lines and UTF-16 columns;
//   - the lock trace inline: one line of text after each traced statement (locks, rewrite, blocked
//     queries, time), with the statement's full detail on hover. These are decorations, not LSP
//     hints: the trace is a run, not a property of the text, so it is cleared when the file changes;
//   - the full report (the CLI's Markdown) in the Markdown preview.

import * as vscode from 'vscode';
import type { ProveFinding } from '../../../server/src/engine/prove/findings';
import type { TracedStatement, TraceResult } from '../../../server/src/engine/prove/trace';

const SEVERITY: Record<ProveFinding['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

export interface ProveView {
  /** Replaces a command's diagnostics (only for `files` when given: other files keep theirs). */
  showFindings(kind: 'roundtrip' | 'trace' | 'verify', findings: readonly ProveFinding[], files?: readonly string[]): void;
  showTrace(result: TraceResult): void;
  openReport(file: vscode.Uri): Promise<void>;
}

export function createProveView(context: vscode.ExtensionContext): ProveView {
  const collections = {
    roundtrip: vscode.languages.createDiagnosticCollection('zdm roundtrip'),
    trace: vscode.languages.createDiagnosticCollection('zdm trace'),
    verify: vscode.languages.createDiagnosticCollection('zdm verify'),
  };
  const decoration = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
    isWholeLine: false,
  });
  context.subscriptions.push(...Object.values(collections), decoration);
  // file path -> decorations of its last trace
  const traces = new Map<string, vscode.DecorationOptions[]>();

  const apply = (editor: vscode.TextEditor) => editor.setDecorations(decoration, traces.get(editor.document.uri.fsPath) ?? []);
  context.subscriptions.push(
    vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach(apply)),
    vscode.workspace.onDidChangeTextDocument((e) => {
      // The trace describes the text it ran; once the text changes, it no longer lines up.
      if (e.contentChanges.length === 0 || !traces.has(e.document.uri.fsPath)) return;
      traces.delete(e.document.uri.fsPath);
      collections.trace.delete(e.document.uri);
      for (const editor of vscode.window.visibleTextEditors) if (editor.document === e.document) apply(editor);
    }),
  );

  return {
    showFindings(kind, findings, files) {
      const collection = collections[kind];
      if (files) for (const f of files) collection.delete(vscode.Uri.file(f));
      else collection.clear();
      const byFile = new Map<string, vscode.Diagnostic[]>();
      for (const f of findings) {
        const range = new vscode.Range(f.line - 1, f.column - 1, f.endLine - 1, Math.max(f.endColumn - 1, f.line === f.endLine ? f.column : 0));
        const d = new vscode.Diagnostic(range, f.help ? `${f.message}\n${f.help}` : f.message, SEVERITY[f.severity]);
        d.source = `zdm ${kind}`;
        d.code = f.rule;
        byFile.set(f.file, [...(byFile.get(f.file) ?? []), d]);
      }
      for (const [file, diagnostics] of byFile) collection.set(vscode.Uri.file(file), diagnostics);
    },
    showTrace(result) {
      if (!result.file) return;
      const options: vscode.DecorationOptions[] = [];
      for (const s of result.statements) {
        const line = s.line - 1;
        options.push({
          range: new vscode.Range(line, Number.MAX_SAFE_INTEGER, line, Number.MAX_SAFE_INTEGER),
          renderOptions: { after: { contentText: summary(s) } },
          hoverMessage: detail(s),
        });
      }
      traces.set(result.file, options);
      for (const editor of vscode.window.visibleTextEditors) if (editor.document.uri.fsPath === result.file) apply(editor);
    },
    async openReport(file) {
      await vscode.commands.executeCommand('markdown.showPreviewToSide', file);
    },
  };
}

/** One line after the statement: "🔒 SHARE users ✓ · blocks INSERT, UPDATE · 4 ms". */
function summary(s: TracedStatement): string {
  if (s.ran === 'skipped') return `zdm trace: skipped (${s.how})`;
  if (s.ran === 'not run') return 'zdm trace: not run';
  if (s.error) return `zdm trace: failed — ${s.error.message}`;
  const locks = s.locks.filter((l) => l.classification === 'confirmed' || l.mismatch || (!l.created && !l.note));
  const parts = [locks.length > 0 ? locks.map((l) => `${l.mode} ${l.name}${l.classification === 'confirmed' ? ' ✓' : l.mismatch ? ' ✗' : ''}`).join(', ') : s.observed === 'not observed' ? 'locks not observed' : 'no locks on existing objects'];
  const rewritten = s.rewritten.filter((r) => r.kind === 'table' || r.kind === 'materialized view');
  if (rewritten.length > 0) parts.push(`rewrites ${rewritten.map((r) => r.name.replace(/^public\./, '')).join(', ')}`);
  const blocked = (s.blocked ?? []).filter((b) => b.select || b.insert || b.update);
  if (blocked.length > 0) parts.push(`blocks ${[...new Set(blocked.flatMap((b) => [b.select ? 'SELECT' : '', b.insert ? 'INSERT' : '', b.update ? 'UPDATE' : '']).filter(Boolean))].join(', ')}`);
  if (s.durationMs !== undefined) parts.push(s.durationMs < 10 ? `${s.durationMs.toFixed(1)} ms` : `${Math.round(s.durationMs)} ms`);
  if (s.mismatches.length > 0) parts.push(`${s.mismatches.length} mismatch${s.mismatches.length === 1 ? '' : 'es'} with the lock table`);
  return `🔒 ${parts.join(' · ')}`;
}

function detail(s: TracedStatement): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**zdm lock trace**, statement ${s.number}: ran ${s.how ?? s.ran}\n\n`);
  if (s.lockTimeout) md.appendMarkdown(`lock_timeout ${s.lockTimeout.value} (${s.lockTimeout.source})\n\n`);
  for (const l of s.locks) md.appendMarkdown(`- ${l.classification}: \`${l.mode}\` on ${l.schema}.${l.name}${l.note ? ` — ${l.note}` : ''}\n`);
  for (const st of s.static.filter((x) => x.classification !== 'confirmed')) md.appendMarkdown(`- static only: \`${st.mode}\` on the ${st.role} ${st.object ?? ''} (${st.facts.join(', ')})\n`);
  if (s.facts.length > 0) md.appendMarkdown(`\nLock table: ${s.facts.join(', ')}\n`);
  if (s.rewritten.length > 0) md.appendMarkdown(`\nRewritten: ${s.rewritten.map((r) => `${r.kind} ${r.name}`).join(', ')}\n`);
  for (const c of s.constraints) md.appendMarkdown(`\nConstraint ${c.change}: ${c.name} (${c.type}${c.change === 'dropped' ? '' : c.valid ? ', valid' : ', NOT VALID'})\n`);
  for (const b of s.blocked ?? []) md.appendMarkdown(`\n${b.table}: SELECT ${b.select ? 'blocked' : 'ok'}${b.insert !== undefined ? `, INSERT ${b.insert ? 'blocked' : 'ok'}` : ''}${b.update !== undefined ? `, UPDATE ${b.update ? 'blocked' : 'ok'}` : ''}\n`);
  for (const m of s.mismatches) md.appendMarkdown(`\n⚠ ${m.message}\n`);
  return md;
}
