// Small builders for fixes that rewrite SQL: statements inserted after or instead of a statement,
// constraint clauses named and marked NOT VALID, the unique index behind UNIQUE / PRIMARY KEY, and a
// line added to the migration's own down.

import { counterpartOf } from '../context';
import { describeLike } from '../formats/index';
import type { ProjectHost } from '../host';
import type { MigrationDocument, Section, Statement, TextEdit } from '../model';
import { namesOf, quoteIdent, type RelationRef } from '../sql/ast';
import { generatedConstraintName } from '../sql/classify';
import { parseStatement } from '../sql/parser';
import { splitStatements } from '../sql/split';
import { clauseEnd } from '../sql/tokens';
import { eolOf, lineStartOf } from '../text/offsets';

/** The whitespace before the statement on its line. */
export function indentOf(s: Statement): string {
  const text = s.section.source;
  const lineStart = lineStartOf(text, s.span.start);
  const before = text.slice(lineStart, s.span.start);
  return /^[ \t]*$/.test(before) ? before : '';
}

export { eolOf } from '../text/offsets';

/** Inserts statements on their own lines right after `s` (ending `s` with the semicolon it lacks). */
export function insertAfter(s: Statement, sql: readonly string[]): TextEdit {
  const eol = eolOf(s.section.source);
  const indent = indentOf(s);
  return { span: { start: s.span.end, end: s.span.end }, newText: `${s.terminated ? '' : ';'}${sql.map((l) => eol + indent + l).join('')}` };
}

/** Replaces the whole statement `s` (semicolon included) with statements, one per line. */
export function replaceStatement(s: Statement, sql: readonly string[]): TextEdit {
  const eol = eolOf(s.section.source);
  const indent = indentOf(s);
  return { span: s.span, newText: sql.join(eol + indent) };
}

/** The constraint's name: as written, or the one PostgreSQL would give it. */
export function constraintName(constraint: any, table: RelationRef): string | undefined {
  return constraint?.conname ?? generatedConstraintName(constraint, table);
}

/**
 * Edits that make an ADD CONSTRAINT clause NOT VALID, naming it first when it has no name (PostgreSQL's
 * own name for it, so that VALIDATE CONSTRAINT can refer to it).
 */
export function notValidEdits(s: Statement, constraint: any, table: RelationRef): { name: string; edits: TextEdit[] } | undefined {
  const name = constraintName(constraint, table);
  if (name === undefined || constraint.location === undefined) return undefined;
  const start = s.offsetOf(constraint.location);
  const end = clauseEnd(s, start);
  const edits: TextEdit[] = [];
  if (!constraint.conname) edits.push({ span: { start, end: start }, newText: `CONSTRAINT ${quoteIdent(name)} ` });
  edits.push({ span: { start: end, end }, newText: ' NOT VALID' });
  return { name, edits };
}

export function validateSql(table: RelationRef, name: string): string {
  return `ALTER TABLE ${table.display} VALIDATE CONSTRAINT ${quoteIdent(name)};`;
}

/**
 * `CREATE UNIQUE INDEX CONCURRENTLY` and `ADD CONSTRAINT ... USING INDEX` for a UNIQUE or PRIMARY KEY
 * clause, or undefined when the clause has options an index-backed constraint cannot take over
 * (storage parameters, a tablespace) or no plain column list.
 */
export function uniqueIndexSql(constraint: any, table: RelationRef): { name: string; index: string; constraint: string } | undefined {
  const name = constraintName(constraint, table);
  const keys = namesOf(constraint?.keys);
  if (name === undefined || keys.length === 0 || constraint.indexname || constraint.options?.length || constraint.indexspace) return undefined;
  const including = namesOf(constraint.including);
  const kind = constraint.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE';
  const index = `CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(name)} ON ${table.display} (${keys.map(quoteIdent).join(', ')})${including.length > 0 ? ` INCLUDE (${including.map(quoteIdent).join(', ')})` : ''}${constraint.nulls_not_distinct ? ' NULLS NOT DISTINCT' : ''};`;
  const attributes = `${constraint.deferrable ? ' DEFERRABLE' : ''}${constraint.initdeferred ? ' INITIALLY DEFERRED' : ''}`;
  return { name, index, constraint: `ALTER TABLE ${table.display} ADD CONSTRAINT ${quoteIdent(name)} ${kind} USING INDEX ${quoteIdent(name)}${attributes};` };
}

/**
 * An edit that adds `sql` to the down of the migration `up` belongs to: at the start of its down
 * section (after the SET statements that open it), or of its down file. Undefined when the migration
 * has no down to add to. `at`: before the down's statement of that position (0-based, SET statements
 * counted), or after its last statement ('end'), where the order of the down needs it (what the up
 * made first is undone last).
 */
export function addToDownEdit(document: MigrationDocument, statements: readonly Statement[], host: ProjectHost, up: Section, sql: readonly string[], at?: number | 'end'): TextEdit | undefined {
  const own = document.sections.filter((s) => s.kind === 'down' && s.label === up.label && s.source === document.text);
  if (own.length > 0) {
    const section = own[0];
    const eol = eolOf(document.text);
    const list = statements.filter((s) => s.section === section);
    const placed = placedInsertion(document.text, list.map((s) => s.span), section.span.start, sql, eol, at);
    if (placed) return placed;
    const settings = list.filter((s, i) => s.kind === 'VariableSetStmt' && list.slice(0, i).every((t) => t.kind === 'VariableSetStmt'));
    if (settings.length > 0) return insertAfter(settings[settings.length - 1], sql);
    const start = list[0] ? lineStart(document.text, list[0].span.start, section.span.start) : section.span.start;
    return { span: { start, end: start }, newText: sql.map((l) => l + eol).join('') };
  }
  if (document.sections.some((s) => s.kind === 'down' && s.label === up.label)) return undefined;
  const counterpart = counterpartOf(document, statements, host, up);
  if (!counterpart?.path || counterpart.text === undefined) return undefined;
  const text = counterpart.text;
  const eol = eolOf(text);
  const other = describeLike(counterpart.path, text, host, document);
  const section = other.sections.find((s) => s.kind === 'down' && s.source === text);
  if (!section) return undefined;
  const raws = splitStatements(text, section.span.start, section.span.end).statements;
  const placed = placedInsertion(text, raws.map((r) => r.span), section.span.start, sql, eol, at);
  if (placed) return { path: counterpart.path, ...placed };
  let offset = section.span.start;
  for (const raw of raws) {
    const node = raw.unterminated ? undefined : parseStatement(text.slice(raw.span.start, raw.span.end)).nodes[0];
    if (!node || !('VariableSetStmt' in node)) {
      offset = lineStart(text, raw.span.start, section.span.start);
      return { path: counterpart.path, span: { start: offset, end: offset }, newText: sql.map((l) => l + eol).join('') };
    }
    offset = raw.span.end;
  }
  return { path: counterpart.path, span: { start: offset, end: offset }, newText: (offset > section.span.start ? eol : '') + sql.join(eol) + (offset > section.span.start ? '' : eol) };
}

/** The insertion `at` asks for among a down's statements (undefined: the default place, or no such statement). */
function placedInsertion(text: string, spans: readonly { start: number; end: number }[], floor: number, sql: readonly string[], eol: string, at: number | 'end' | undefined): TextEdit | undefined {
  if (at === undefined || spans.length === 0) return undefined;
  if (at === 'end') {
    const end = spans[spans.length - 1].end;
    return { span: { start: end, end }, newText: eol + sql.join(eol) };
  }
  const before = spans[at];
  if (!before) return undefined;
  const start = lineStart(text, before.start, floor);
  return { span: { start, end: start }, newText: sql.map((l) => l + eol).join('') };
}

function lineStart(text: string, offset: number, floor: number): number {
  let at = offset;
  while (at > floor && text[at - 1] !== '\n') at--;
  return at;
}

/**
 * Joins an insertion with an edit that starts at the same offset of the same file into one edit: LSP
 * clients reject a WorkspaceEdit whose edits of one document touch that way.
 */
export function joinTouchingEdits(edits: readonly TextEdit[]): TextEdit[] {
  const out: TextEdit[] = [];
  for (const e of edits) {
    const i = out.findIndex((o) => o.path === e.path && o.span.start === e.span.start && (o.span.start === o.span.end || e.span.start === e.span.end));
    if (i === -1) {
      out.push(e);
      continue;
    }
    const o = out[i];
    const insertionFirst = o.span.start === o.span.end;
    out[i] = { path: e.path, span: { start: o.span.start, end: Math.max(o.span.end, e.span.end) }, newText: insertionFirst ? o.newText + e.newText : e.newText + o.newText };
  }
  return out;
}
