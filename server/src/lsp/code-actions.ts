// Code actions: every fix travels inside its diagnostic's `data` as a ready WorkspaceEdit (invariant
// 5: no server-side cache), plus "Disable <rule> for this statement / file" and "Show documentation".
// `source.fixAll.zdm` applies all safe fixes, re-linting between passes.

import { pathToFileURL } from 'node:url';
import { CodeActionKind, type CodeAction, type Diagnostic, type Range, type TextEdit as LspTextEdit, type WorkspaceEdit } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { applyEdits, chooseSafeFixes } from '../engine/fixes/apply';
import type { ProjectHost } from '../engine/host';
import type { Finding, Fix, LintResult } from '../engine/model';
import { LineIndex } from '../engine/text/offsets';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.zdm`;
export const SHOW_DOCS_COMMAND = 'zdm.showRuleDocs';

/** What a zdm diagnostic carries in `data`. */
export interface DiagnosticData {
  rule: string;
  fixes: { title: string; safe: boolean; edit: WorkspaceEdit }[];
  /** Line of the statement the finding is on (for "Disable for this statement"); absent for file-level findings. */
  statementLine?: number;
}

/** File URIs by path: every keystroke converts every fix of the file again, mostly to the same few paths. */
const uris = new Map<string, string>();

function uriOf(path: string): string {
  let uri = uris.get(path);
  if (uri === undefined) {
    if (uris.size >= 1000) uris.clear();
    uri = pathToFileURL(path).toString();
    uris.set(path, uri);
  }
  return uri;
}

/** Converts an engine fix into a WorkspaceEdit against the open document (and other files through the host). */
export function toWorkspaceEdit(document: TextDocument, fix: Fix, host: ProjectHost): WorkspaceEdit {
  const byUri = new Map<string, LspTextEdit[]>();
  const indexes = new Map<string, LineIndex>();
  for (const e of fix.edits) {
    let uri = document.uri;
    let range: Range;
    if (e.path === undefined) {
      range = { start: document.positionAt(e.span.start), end: document.positionAt(e.span.end) };
    } else {
      uri = uriOf(e.path);
      let index = indexes.get(e.path);
      if (!index) indexes.set(e.path, (index = new LineIndex(host.readFile(e.path) ?? '')));
      range = { start: index.positionAt(e.span.start), end: index.positionAt(e.span.end) };
    }
    const list = byUri.get(uri) ?? [];
    list.push({ range, newText: e.newText });
    byUri.set(uri, list);
  }
  if (!fix.creates?.length) return { changes: Object.fromEntries(byUri) };
  const documentChanges: WorkspaceEdit['documentChanges'] = [];
  for (const c of fix.creates) {
    const uri = uriOf(c.path);
    documentChanges.push({ kind: 'create', uri, options: { ignoreIfExists: false, overwrite: false } });
    documentChanges.push({ textDocument: { uri, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: c.text }] });
  }
  for (const [uri, edits] of byUri) documentChanges.push({ textDocument: { uri, version: null }, edits });
  return { documentChanges };
}

export function diagnosticData(document: TextDocument, finding: Finding, result: LintResult, host: ProjectHost): DiagnosticData {
  const data: DiagnosticData = { rule: finding.rule, fixes: (finding.fixes ?? []).map((f) => ({ title: f.title, safe: f.safe, edit: toWorkspaceEdit(document, f, host) })) };
  const statement = finding.statementIndex !== undefined ? result.statements[finding.statementIndex] : undefined;
  if (statement) data.statementLine = document.positionAt(statement.span.start).line;
  return data;
}

/** Quick fixes for the zdm diagnostics in a code action request. */
export function quickFixes(document: TextDocument, diagnostics: Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const diagnostic of diagnostics) {
    if (diagnostic.source !== 'zdm') continue;
    const data = diagnostic.data as DiagnosticData | undefined;
    if (!data?.rule) continue;
    data.fixes.forEach((fix, i) => {
      actions.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], edit: fix.edit, isPreferred: i === 0 && fix.safe });
    });
    if (data.rule !== 'syntax-error') {
      if (data.statementLine !== undefined) {
        const line = data.statementLine;
        const indent = /^\s*/.exec(document.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }))![0].replace(/\r?\n$/, '');
        actions.push({
          title: `Disable ${data.rule} for this statement`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          edit: { changes: { [document.uri]: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}-- zdm-ignore ${data.rule}\n` }] } },
        });
      }
      actions.push({
        title: `Disable ${data.rule} for this file`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        edit: { changes: { [document.uri]: [fileIgnoreEdit(document, data.rule)] } },
      });
    }
    actions.push({ title: `Show documentation for ${data.rule}`, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], command: { title: 'Show documentation', command: SHOW_DOCS_COMMAND, arguments: [data.rule] } });
  }
  return actions;
}

/** Adds the rule to an existing `-- zdm-ignore-file a, b` line, or inserts one at the top. */
function fileIgnoreEdit(document: TextDocument, rule: string): LspTextEdit {
  const m = /^(--[ \t]*zdm-ignore-file[ \t]+)([a-z0-9_-]+(?:[ \t]*,[ \t]*[a-z0-9_-]+)*)/m.exec(document.getText());
  if (m) {
    const at = document.positionAt(m.index + m[0].length);
    return { range: { start: at, end: at }, newText: `, ${rule}` };
  }
  return { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: `-- zdm-ignore-file ${rule}\n` };
}

/**
 * All safe fixes of a file, as one edit: apply the fixes that do not overlap, re-lint, repeat (a fix
 * can only be computed on the text it applies to). Only edits to this file; file creations need review.
 */
export function fixAllEdit(document: TextDocument, lint: (text: string) => LintResult): WorkspaceEdit | undefined {
  const original = document.getText();
  let text = original;
  let result = lint(text);
  for (let pass = 0; pass < 10; pass++) {
    const fixes = chooseSafeFixes(result.findings);
    if (fixes.length === 0) break;
    const outcome = applyEdits(text, fixes.flatMap((f) => f.edits));
    if (!outcome.ok) break;
    const next = lint(outcome.text);
    if (next.statements.filter((s) => s.error).length > result.statements.filter((s) => s.error).length) break;
    text = outcome.text;
    result = next;
  }
  if (text === original) return undefined;
  return { changes: { [document.uri]: [{ range: { start: { line: 0, character: 0 }, end: document.positionAt(original.length) }, newText: text }] } };
}
