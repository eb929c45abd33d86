// Code actions: every fix travels inside its diagnostic's `data` (invariant 5: no server-side cache),
// plus "Disable <rule> for this statement / file" and "Show documentation". `source.fixAll.zdm` applies
// all safe fixes, re-linting between passes.
//
// A fix whose edits are cheap travels as a ready WorkspaceEdit. A fix that moves statements into a
// new migration (engine/fixes/lazy.ts) builds the moved text, what undoes it and the new files: on a
// long migration, building those for every finding on every keystroke cost about a quarter of the
// lint. When the client can resolve code actions (`codeAction/resolve` with `edit`, as VS Code does),
// such a fix travels as its title alone, and its edit is built when the user picks it, from a new lint
// of the document's text at that moment.

import { pathToFileURL } from 'node:url';
import { CodeActionKind, type CodeAction, type Diagnostic, Range, type TextEdit as LspTextEdit, type WorkspaceEdit } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { applySafeFixesInPasses } from '../engine/fixes/apply';
import type { ProjectHost } from '../engine/host';
import { isLazyFix } from '../engine/fixes/lazy';
import type { Finding, Fix, LintResult } from '../engine/model';
import { liquibaseHeaderEnd } from '../engine/formats/liquibase';
import { eolOf, LineIndex } from '../engine/text/offsets';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.zdm`;
/** The VS Code extension's command that opens a rule's documentation. */
export const SHOW_DOCS_COMMAND = 'zdm.showRuleDocs';
/** The same, run by the server (workspace/executeCommand), for clients that are not the extension. */
export const SERVER_SHOW_DOCS_COMMAND = 'zdm.server.showRuleDocs';

/** What a zdm diagnostic carries in `data`. */
export interface DiagnosticData {
  rule: string;
  /** Each fix with its edit, or without one when the edit is built on `codeAction/resolve` (see above). */
  fixes: { title: string; safe: boolean; edit?: WorkspaceEdit }[];
  /** Line of the statement the finding is on (for "Disable for this statement"); absent for file-level findings. */
  statementLine?: number;
  /** Its character on that line, when something else comes before it there (another statement). */
  statementCharacter?: number;
  /** The version of the document the finding was made on (what the ignore comments' edits are for). */
  version?: number;
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
/**
 * Whether edits name the version of the document they were computed on (`documentChanges`, when the
 * client supports them): a client then refuses a fix built for an older text, instead of applying
 * its offsets to the new one (a quick fix picked from a diagnostic that a keystroke made stale).
 */
let versionedEdits = false;

export function useVersionedEdits(enabled: boolean): void {
  versionedEdits = enabled;
}

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
  if (!fix.creates?.length && !versionedEdits) return { changes: Object.fromEntries(byUri) };
  const documentChanges: WorkspaceEdit['documentChanges'] = [];
  for (const c of fix.creates ?? []) {
    const uri = uriOf(c.path);
    documentChanges.push({ kind: 'create', uri, options: { ignoreIfExists: false, overwrite: false } });
    documentChanges.push({ textDocument: { uri, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: c.text }] });
  }
  for (const [uri, edits] of byUri) documentChanges.push({ textDocument: { uri, version: versionedEdits && uri === document.uri ? document.version : null }, edits });
  return { documentChanges };
}

/** Edits of one document, for the version they were computed on when the client checks versions. */
function editOf(uri: string, version: number | undefined, edits: LspTextEdit[]): WorkspaceEdit {
  return version === undefined ? { changes: { [uri]: edits } } : { documentChanges: [{ textDocument: { uri, version }, edits }] };
}

/** What a code action to be resolved carries in `data`: enough to find its fix again in a new lint. */
export interface ResolveData {
  uri: string;
  rule: string;
  /** The diagnostic's range: the finding's span. */
  range: Range;
  title: string;
}

/** `resolveLazy`: the client resolves code actions' edits, so lazy fixes travel without theirs. */
export function diagnosticData(document: TextDocument, finding: Finding, result: LintResult, host: ProjectHost, resolveLazy = false): DiagnosticData {
  const data: DiagnosticData = {
    rule: finding.rule,
    fixes: (finding.fixes ?? []).map((f) => (resolveLazy && isLazyFix(f) ? { title: f.title, safe: f.safe } : { title: f.title, safe: f.safe, edit: toWorkspaceEdit(document, f, host) })),
  };
  if (versionedEdits) data.version = document.version;
  const statement = finding.statementIndex !== undefined ? result.statements[finding.statementIndex] : undefined;
  if (statement) {
    const at = document.positionAt(statement.span.start);
    data.statementLine = at.line;
    if (/\S/.test(document.getText({ start: { line: at.line, character: 0 }, end: at }))) data.statementCharacter = at.character;
  }
  return data;
}

/**
 * A zdm diagnostic's `data` when it has the shape diagnosticData gave it; undefined when the client
 * stripped, rewrote or invented it (a string, a number, an object of another shape). The rule id is
 * written into ignore comments, so it must look like one.
 */
export function readDiagnosticData(data: unknown): DiagnosticData | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Partial<Record<keyof DiagnosticData, unknown>>;
  if (typeof d.rule !== 'string' || !RULE_ID.test(d.rule) || !Array.isArray(d.fixes)) return undefined;
  const fixOk = (f: unknown) => {
    const x = f as Partial<Record<'title' | 'safe' | 'edit', unknown>> | null;
    return typeof x === 'object' && x !== null && typeof x.title === 'string' && typeof x.safe === 'boolean' && (x.edit === undefined || (typeof x.edit === 'object' && x.edit !== null));
  };
  const index = (n: unknown) => n === undefined || (Number.isInteger(n) && (n as number) >= 0);
  if (!d.fixes.every(fixOk) || !index(d.statementLine) || !index(d.statementCharacter) || !(d.version === undefined || Number.isInteger(d.version))) return undefined;
  return d as DiagnosticData;
}

const RULE_ID = /^[a-z0-9_-]+$/;

/**
 * The data of the finding a zdm diagnostic shows, from `result`, a lint of the document's current text:
 * the finding of the diagnostic's rule (`code`) on its range. For a diagnostic whose `data` the client
 * lost or changed; undefined when the text no longer has that finding.
 */
export function dataFromLint(document: TextDocument, diagnostic: Diagnostic, result: LintResult, host: ProjectHost, resolveLazy: boolean): DiagnosticData | undefined {
  if (typeof diagnostic.code !== 'string' || !Range.is(diagnostic.range)) return undefined;
  const start = document.offsetAt(diagnostic.range.start);
  const end = document.offsetAt(diagnostic.range.end);
  const finding = result.findings.find((f) => f.rule === diagnostic.code && f.span.start === start && Math.max(f.span.end, f.span.start) === end);
  return finding && diagnosticData(document, finding, result, host, resolveLazy);
}

/**
 * Quick fixes for the zdm diagnostics in a code action request. `recover` gives the data of a zdm
 * diagnostic whose own is not zdm's (readDiagnosticData), from the document; without it, or when
 * it finds none, that diagnostic gets no actions.
 */
export function quickFixes(document: TextDocument, diagnostics: Diagnostic[], docsCommand = SHOW_DOCS_COMMAND, recover?: (diagnostic: Diagnostic) => DiagnosticData | undefined): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const diagnostic of diagnostics) {
    if (diagnostic.source !== 'zdm') continue;
    const data = readDiagnosticData(diagnostic.data) ?? recover?.(diagnostic);
    if (!data) continue;
    data.fixes.forEach((fix, i) => {
      const action: CodeAction = { title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: i === 0 && fix.safe };
      if (fix.edit) action.edit = fix.edit;
      else action.data = { uri: document.uri, rule: data.rule, range: diagnostic.range, title: fix.title } satisfies ResolveData;
      actions.push(action);
    });
    if (data.rule !== 'syntax-error') {
      if (data.statementLine !== undefined) {
        const line = data.statementLine;
        const lineText = document.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
        const indent = /^[ \t]*/.exec(lineText)![0];
        // The line's own break (\r\n, \n or a lone \r), or the file's on its last line.
        const eol = /\r\n?$|\n$/.exec(lineText)?.[0] ?? eolOf(document.getText());
        // The comment goes on the line above the statement; when another statement starts that line,
        // the statement first moves to a line of its own (a comment above the line would be that one's).
        const character = data.statementCharacter;
        const edit =
          character === undefined
            ? { range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}-- zdm-ignore ${data.rule}${eol}` }
            : { range: { start: { line, character }, end: { line, character } }, newText: `${eol}${indent}-- zdm-ignore ${data.rule}${eol}${indent}` };
        actions.push({ title: `Disable ${data.rule} for this statement`, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], edit: editOf(document.uri, data.version, [edit]) });
      }
      actions.push({
        title: `Disable ${data.rule} for this file`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        edit: editOf(document.uri, data.version, [fileIgnoreEdit(document, data.rule)]),
      });
    }
    actions.push({ title: `Show documentation for ${data.rule}`, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], command: { title: 'Show documentation', command: docsCommand, arguments: [data.rule] } });
  }
  return actions;
}

/**
 * The edit of a code action sent without one (`ResolveData`), from `result`, a lint of the document's
 * current text: the fix of the finding with the same rule and range and a fix of the same title.
 * Undefined when the text changed so that the finding or its fix is no longer there.
 */
export function resolvedEdit(document: TextDocument, data: ResolveData, result: LintResult, host: ProjectHost): WorkspaceEdit | undefined {
  const start = document.offsetAt(data.range.start);
  const end = document.offsetAt(data.range.end);
  for (const f of result.findings) {
    if (f.rule !== data.rule || f.span.start !== start || Math.max(f.span.end, f.span.start) !== end) continue;
    const fix = f.fixes?.find((x) => x.title === data.title);
    if (fix) return toWorkspaceEdit(document, fix, host);
  }
  return undefined;
}

export function isResolveData(data: unknown): data is ResolveData {
  const d = data as Partial<ResolveData> | null | undefined;
  return typeof d?.uri === 'string' && typeof d.rule === 'string' && typeof d.title === 'string' && Range.is(d.range);
}

/**
 * Adds the rule to an existing `-- zdm-ignore-file a, b` line, or inserts one at the top, in the file's
 * own line ending: after a byte order mark, and after the `--liquibase formatted sql` line, which must
 * stay first (a comment above it makes the file no longer Liquibase formatted SQL, for Liquibase and zdm).
 */
function fileIgnoreEdit(document: TextDocument, rule: string): LspTextEdit {
  const text = document.getText();
  const m = /^(--[ \t]*zdm-ignore-file[ \t]+)([a-z0-9_-]+(?:[ \t]*,[ \t]*[a-z0-9_-]+)*)/m.exec(text);
  if (m) {
    const at = document.positionAt(m.index + m[0].length);
    return { range: { start: at, end: at }, newText: `, ${rule}` };
  }
  const eol = eolOf(text);
  const header = liquibaseHeaderEnd(text);
  if (header !== undefined) {
    const at = document.positionAt(header);
    return { range: { start: at, end: at }, newText: `${eol}-- zdm-ignore-file ${rule}` };
  }
  const start = { line: 0, character: text.charCodeAt(0) === 0xfeff ? 1 : 0 };
  return { range: { start, end: start }, newText: `-- zdm-ignore-file ${rule}${eol}` };
}

/**
 * All safe fixes of a file, as one edit: apply the fixes that do not overlap, re-lint, repeat (a fix
 * can only be computed on the text it applies to). Only edits to this file; file creations need review.
 */
export function fixAllEdit(document: TextDocument, lint: (text: string) => LintResult): WorkspaceEdit | undefined {
  const original = document.getText();
  // The same passes as zdm lint --fix; what passed before a failure is kept.
  const { text } = applySafeFixesInPasses(original, lint(original), lint);
  if (text === original) return undefined;
  // The whole text, replaced: for the version it was computed on, when the client checks versions (an
  // unchecked one would put back the text as it was before the keystrokes that came since).
  return editOf(document.uri, versionedEdits ? document.version : undefined, [{ range: { start: { line: 0, character: 0 }, end: document.positionAt(original.length) }, newText: text }]);
}
