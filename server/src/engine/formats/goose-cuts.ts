// Where goose cuts a statement that PostgreSQL does not end there.
//
// Outside a `-- +goose StatementBegin` ... `StatementEnd` block, goose's parser (internal/sqlparser;
// facts learned from its source, not its code) reads a migration line by line and sends what it has
// read as a statement at every line whose last word, before any word starting with `--`, ends with
// `;`. It knows no strings, dollar quotes or comments: a plpgsql or SQL function body, a DO block, a
// multi-line string or block comment with a line ending in `;`, or a BEGIN ATOMIC body, is sent cut in
// two, and the migration fails ("unterminated dollar-quoted string"). That is what the StatementBegin /
// StatementEnd annotations are for. zdm reads the statements as PostgreSQL does; this finds goose's cuts
// that fall inside one of them, and the edit that wraps the statement in the annotations.

import type { Fix, Section } from '../model';
import { isComment } from '../sql/lexer';
import { splitStatements } from '../sql/split';
import { eolOf, lineBreakAfter, lineStartOf, type Span } from '../text/offsets';

export interface GooseCut {
  /** The `;` at the end of the line where goose cuts. */
  at: number;
  /** The statement PostgreSQL reads around it. */
  statement: Span;
  /** Wraps the statement in StatementBegin / StatementEnd, when it has its lines to itself. */
  fix?: Fix;
}

/** The first place in `section` outside `blocks` where goose cuts inside a statement, or undefined. */
export function gooseCutInsideStatement(section: Section, blocks: readonly Span[]): GooseCut | undefined {
  const text = section.source;
  const { start, end } = section.span;
  const cuts = gooseCuts(text, start, end, blocks);
  if (cuts.length === 0) return undefined;
  const statements = splitStatements(text, start, end).statements;
  const ends = new Set<number>();
  for (const s of statements) {
    const last = s.tokens.findLast((t) => !isComment(t));
    if (s.terminated && last) ends.add(last.start);
  }
  for (const at of cuts) {
    if (ends.has(at)) continue;
    const statement = statements.find((s) => s.span.start <= at && at < s.span.end);
    if (!statement) continue;
    return { at, statement: statement.span, fix: wrapFix(text, statement.span, end, ['-- +goose StatementBegin', '-- +goose StatementEnd'], 'Wrap it in -- +goose StatementBegin / StatementEnd') };
  }
  return undefined;
}

/** The lines of `text` in [from, to) that goose ends a statement at, outside `blocks`: the offset of each one's last `;`. */
export function gooseCuts(text: string, from: number, to: number, blocks: readonly Span[] = []): number[] {
  const cuts: number[] = [];
  for (let at = from; at < to; ) {
    const line = lineBreakAfter(text, at);
    if (!blocks.some((b) => b.start <= at && at < b.end)) {
      const semicolon = lastWordSemicolon(text, at, Math.min(line.end, to));
      if (semicolon !== undefined) cuts.push(semicolon);
    }
    if (line.next <= at) break;
    at = line.next;
  }
  return cuts;
}

/** Whether goose, outside a StatementBegin/End block, would cut the statement `text` (its own closing `;` aside) before its end. */
export function gooseCutsStatement(text: string): boolean {
  const body = text.trimEnd();
  const end = body.endsWith(';') ? body.length - 1 : body.length;
  return gooseCuts(text, 0, text.length).some((at) => at < end);
}

/** goose's endsWithSemicolon: the `;` ending the line's last word before a `--` word, as an offset. */
export function lastWordSemicolon(text: string, from: number, to: number): number | undefined {
  let last: { start: number; end: number } | undefined;
  const words = /\S+/g;
  words.lastIndex = from;
  for (let m = words.exec(text); m !== null && m.index < to; m = words.exec(text)) {
    if (m[0].startsWith('--')) break;
    last = { start: m.index, end: Math.min(m.index + m[0].length, to) };
  }
  return last && text[last.end - 1] === ';' ? last.end - 1 : undefined;
}

/** An annotation line before the statement and one after it (StatementBegin / StatementEnd; ENVSUB OFF / ON), when nothing else shares its first and last lines. */
export function wrapFix(text: string, statement: Span, sectionEnd: number, [before, after_]: readonly [string, string], title: string): Fix | undefined {
  const lineStart = lineStartOf(text, statement.start);
  if (!/^[ \t]*$/.test(text.slice(lineStart, statement.start))) return undefined;
  const after = lineBreakAfter(text, statement.end);
  if (after.end > sectionEnd || !/^[ \t]*(--.*)?$/.test(text.slice(statement.end, after.end))) return undefined;
  const eol = after.next > after.end ? text.slice(after.end, after.next) : eolOf(text);
  return {
    title,
    edits: [
      { span: { start: lineStart, end: lineStart }, newText: `${before}${eol}` },
      { span: { start: after.end, end: after.end }, newText: `${eol}${after_}` },
    ],
    safe: true,
  };
}

/**
 * Where the query string goose sends for the StatementBegin/StatementEnd `block` of `section` starts.
 * goose does not empty its buffer at a StatementBegin line: what it holds then (lines read since the
 * last line it ended a statement at, or since the section's marker or the previous block's
 * StatementEnd) is sent with the block, as one query string, at the StatementEnd line. Comment lines
 * and empty lines read while the buffer is empty are dropped, so it starts at the first other line
 * (a statement whose `;` a block comment follows on its line, so that its last word does not end
 * with `;`; or one with no `;` at all, which PostgreSQL then reads as one with the block's first). `block.start` when goose holds nothing.
 * `blocks`: the section's blocks before this one.
 */
export function gooseBlockQueryStart(text: string, section: Span, block: Span, blocks: readonly Span[]): number {
  let from = section.start;
  for (const b of blocks) if (section.start <= b.start && b.end <= block.start) from = Math.max(from, lineBreakAfter(text, b.end).next);
  for (const at of gooseCuts(text, from, block.start, blocks)) from = Math.max(from, lineBreakAfter(text, at).next);
  for (let at = from; at < block.start; ) {
    const line = lineBreakAfter(text, at);
    const content = text.slice(at, line.end);
    if (content !== '' && !content.trim().startsWith('--')) return at;
    if (line.next <= at) break;
    at = line.next;
  }
  return block.start;
}

/**
 * The query strings of several statements goose sends in `section` outside `blocks`: goose's statement
 * runs from the line after its last cut to the end of the next line it cuts at, so statements that
 * share a line (`a; b;`), or whose `;` is not the last word of its line (`a; b` then `c;`), reach
 * PostgreSQL as one query string, which it runs as one implicit transaction. Each span runs from the
 * start of such a statement's first line to the end of the line goose cuts at; only statements that
 * lie whole inside one are counted (a statement goose cuts in two is reported by
 * gooseCutInsideStatement). goose also sends what it holds at a StatementEnd line: a run of statements
 * reaching into a block is left to the block's own query string.
 */
export function gooseJoinedStatements(section: Section, blocks: readonly Span[]): Span[] {
  const text = section.source;
  const { start, end } = section.span;
  const ends = gooseCuts(text, start, end, blocks).map((at) => ({ at, to: lineBreakAfter(text, at).end }));
  for (const b of blocks) if (start <= b.start && b.end <= end) ends.push({ at: -1, to: b.end });
  if (ends.length === 0) return [];
  ends.sort((a, b) => a.to - b.to);
  const statements = splitStatements(text, start, end).statements;
  const out: Span[] = [];
  let from = start;
  let k = 0;
  for (const { at, to } of ends) {
    while (k < statements.length && statements[k].span.start < from) k++;
    let count = 0;
    for (let j = k; j < statements.length && statements[j].span.end <= to; j++) count++;
    if (at !== -1 && count > 1 && !blocks.some((b) => from <= b.start && b.start < to)) out.push({ start: lineStartOf(text, statements[k].span.start), end: to });
    from = lineBreakAfter(text, to).next;
  }
  return out;
}

/**
 * A statement of `section` goose never ends: after the last line it ends a statement at (outside
 * `blocks`) and the last StatementEnd line, what it still holds at the section's end. goose sends a
 * statement only at a line whose last word ends with `;`, so such a statement (the section's last,
 * written without its `;`) is never sent: at the `-- +goose Down` line or the end of the file goose
 * stops ("failed to parse migration: ... unexpected unfinished SQL query: ...: missing semicolon?");
 * older versions, reading the up direction, emptied their buffer at each line of the Down section,
 * dropping the statement without a word. Comment lines and empty lines are not held (goose skips
 * them while it holds nothing). Returns the statement, and where its `;` goes.
 */
export function gooseUnfinished(section: Section, blocks: readonly Span[]): { statement: Span; end: number; terminated: boolean } | undefined {
  const text = section.source;
  const { start, end } = section.span;
  let from = start;
  for (const b of blocks) if (start <= b.start && b.end <= end) from = Math.max(from, lineBreakAfter(text, b.end).next);
  for (const at of gooseCuts(text, from, end, blocks)) from = Math.max(from, lineBreakAfter(text, at).next);
  if (from >= end) return undefined;
  const statements = splitStatements(text, from, end).statements.filter((s) => s.tokens.some((t) => !isComment(t)));
  const last = statements[statements.length - 1];
  if (!last) return undefined;
  const token = last.tokens.findLast((t) => !isComment(t))!;
  return { statement: { start: statements[0].span.start, end: token.end }, end: token.end, terminated: last.terminated };
}
