// The "generate the down section" fix: the inverse of the up statements, written where the file's
// format keeps its down (a `-- migrate:down` block, a `-- +goose Down` section, `--rollback` lines,
// or a new `.down.sql` / `down.sql` / `U…` / `revert/` file).

import { companionOf } from '../context';
import { describeLike } from '../formats/index';
import type { ProjectHost } from '../host';
import type { FileCreate, MigrationDocument, Section, Statement, TextEdit } from '../model';
import { nodeKind, parseStatement } from '../sql/parser';
import { splitStatements } from '../sql/split';
import { isAscii, lineBreakAfter, utf16FromUtf8 } from '../text/offsets';
import { inverseOf } from './inverse';
import { eolOf } from './statements';

export interface DownFix {
  title: string;
  edits: TextEdit[];
  creates?: FileCreate[];
  /** False when the generated down holds TODOs a person must resolve. */
  complete: boolean;
}

/**
 * The fix that writes a down for `document`, or undefined when its format has no down. For the down
 * file of a split format (an empty `.down.sql`, `down.sql`, `U…`, `revert/`), the host gives the up
 * file to invert.
 */
export function generateDownFix(document: MigrationDocument, statements: readonly Statement[], host?: ProjectHost): DownFix | undefined {
  if (!document.supportsDown) return undefined;
  const text = document.text;
  if (document.role === 'down') return host ? fillDownFile(document, statements, host) : undefined;
  const upStatements = (section?: Section) => statements.filter((s) => s.section.kind === 'up' && (section === undefined || s.section === section));
  const eol = eolOf(text);
  const body = (lines: string[]) => lines.join(eol) + eol;

  switch (document.format) {
    case 'dbmate':
    case 'goose': {
      const inverse = inverseOf(upStatements());
      const lines = inverse.lines.length > 0 ? inverse.lines : ['-- TODO nothing to undo?'];
      const existing = document.sections.find((s) => s.kind === 'down');
      if (existing) {
        // An empty down block: fill it (and mark it non-transactional when it must be).
        const edits: TextEdit[] = [{ span: { start: existing.span.start, end: existing.span.end }, newText: body(lines) }];
        if (inverse.concurrent && document.format === 'dbmate' && existing.marker && existing.transaction !== 'none') {
          edits.push({ span: existing.marker, newText: `${text.slice(existing.marker.start, existing.marker.end).trimEnd()} transaction:false` });
        }
        return { title: 'Fill the down section with the inverse of the up statements', edits, complete: !inverse.incomplete };
      }
      const marker = document.format === 'dbmate' ? `-- migrate:down${inverse.concurrent ? ' transaction:false' : ''}` : '-- +goose Down';
      const separator = text.length === 0 || text.endsWith('\n') ? eol : eol + eol;
      return { title: 'Add a down section with the inverse of the up statements', edits: [{ span: { start: text.length, end: text.length }, newText: `${separator}${marker}${eol}${body(lines)}` }], complete: !inverse.incomplete };
    }
    case 'liquibase': {
      const edits: TextEdit[] = [];
      let complete = true;
      for (const up of document.sections.filter((s) => s.kind === 'up')) {
        if (document.sections.some((s) => s.kind === 'down' && s.label === up.label)) continue;
        const inverse = inverseOf(upStatements(up));
        complete &&= !inverse.incomplete;
        const rollback = inverse.lines.map((l) => (l.startsWith('--') ? l : `--rollback ${l}`));
        const at = endOfContent(text, up.span.end);
        edits.push({ span: { start: at, end: at }, newText: (text[at - 1] === '\n' || at === 0 ? '' : eol) + body(rollback) });
      }
      return edits.length ? { title: 'Add --rollback lines with the inverse of each changeset', edits, complete } : undefined;
    }
    default: {
      if (!document.companionPath || document.companionExists || document.role !== 'up') return undefined;
      const inverse = inverseOf(upStatements());
      const lines = inverse.lines.length > 0 ? oneQueryString(document, inverse.lines) : ['-- TODO nothing to undo?'];
      const name = document.companionPath.split(/[\\/]/).pop();
      return { title: `Create ${name} with the inverse of the up statements`, edits: [], creates: [{ path: document.companionPath, text: body(lines) }], complete: !inverse.incomplete };
    }
  }
}

/** Offset just after the last non-blank character before `end` (so appended lines follow the content). */
function endOfContent(text: string, end: number): number {
  let at = end;
  while (at > 0 && /\s/.test(text[at - 1])) at--;
  const lineBreak = lineBreakAfter(text, at);
  return lineBreak.end >= end || lineBreak.next > end ? end : lineBreak.next;
}

/** An empty down file of a split format, filled with the inverse of its up file. */
function fillDownFile(document: MigrationDocument, statements: readonly Statement[], host: ProjectHost): DownFix | undefined {
  if (statements.length > 0) return undefined;
  const upPath = companionOf(document, host);
  const upText = upPath === undefined ? undefined : host.readFile(upPath);
  if (upPath === undefined || upText === undefined) return undefined;
  const inverse = inverseOf(statementsOf(upPath, upText, host, document).filter((s) => s.section.kind === 'up'));
  if (inverse.lines.length === 0) return undefined;
  const section = document.sections.find((s) => s.kind === 'down' && s.source === document.text);
  if (!section) return undefined;
  const eol = eolOf(document.text);
  const name = upPath.split(/[\\/]/).pop();
  // Keep what the file says before its end (a header comment), and add the statements after it.
  const at = section.span.end;
  const before = document.text.slice(0, at);
  const lead = before.length === 0 || before.endsWith('\n') ? '' : eol;
  return { title: `Fill the down with the inverse of ${name}`, edits: [{ span: { start: at, end: at }, newText: lead + oneQueryString(document, inverse.lines).join(eol) + eol }], complete: !inverse.incomplete };
}

/**
 * golang-migrate and Prisma send a file as one query string, which runs as one transaction when it
 * holds more than one statement: there a down drops its indexes without CONCURRENTLY (a rollback drops
 * what its up built; DROP INDEX CONCURRENTLY would fail in the transaction). Not golang-migrate in
 * multi-statement mode, which sends each statement alone.
 */
function oneQueryString(document: MigrationDocument, lines: string[]): string[] {
  if (document.format !== 'golang-migrate' && document.format !== 'prisma') return lines;
  if (document.formatOptions?.golangMigrateMultiStatement) return lines;
  if (lines.filter((l) => !l.startsWith('--')).length <= 1) return lines;
  return lines.map((l) => l.replace(/^DROP INDEX CONCURRENTLY /, 'DROP INDEX '));
}

/** The statements of another migration file, parsed the way lint.ts parses the linted one. */
function statementsOf(filePath: string, text: string, host: ProjectHost, like: MigrationDocument): Statement[] {
  const other = describeLike(filePath, text, host, like);
  const out: Statement[] = [];
  for (const section of other.sections) {
    for (const raw of splitStatements(section.source, section.span.start, section.span.end).statements) {
      const statementText = section.source.slice(raw.span.start, raw.span.end);
      const ascii = isAscii(statementText);
      const start = raw.span.start;
      const parsed = raw.unterminated ? undefined : parseStatement(statementText);
      const node = parsed && !parsed.error ? parsed.nodes[0] : undefined;
      out.push({
        index: out.length,
        section,
        span: raw.span,
        text: statementText,
        terminated: raw.terminated,
        node,
        kind: node ? nodeKind(node) : 'Unparsed',
        leadingComments: raw.leadingComments,
        tokens: raw.tokens,
        offsetOf: (location) => start + utf16FromUtf8(statementText, location ?? 0, ascii),
      });
    }
  }
  return out;
}
