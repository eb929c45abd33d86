// Database errors placed back in the migration file: PostgreSQL reports a 1-based character position
// in the query string it was sent (one statement, as the runner sends them); this turns it into a file
// line and UTF-16 column. Pure: no database here.

import type { Span } from '../model';
import { isAscii, LineIndex, utf16FromCodePoint } from '../text/offsets';
import type { DbErrorInfo } from './db';
import type { RunError } from './events';
import type { RunSection } from './migrations';

export interface PositionedError extends DbErrorInfo {
  /** PL/pgSQL and SQL-function errors: the position within the function body (`internalQuery`). */
  internalPosition?: number;
  internalQuery?: string;
}

/** Where in the file an error of statement `index` of `section` lies. */
export function locateError(section: RunSection, index: number, info: PositionedError | undefined): Span & { exact: boolean } {
  const statement = section.statements[index];
  if (!statement) return { ...section.anchor, exact: false };
  const text = statement.text;
  const ascii = isAscii(text);
  if (info?.position !== undefined && info.position > 0) {
    const inText = utf16FromCodePoint(text, info.position - 1, ascii);
    const start = statement.span.start + (statement.toOriginal ? statement.toOriginal(inText) : inText);
    return { start, end: tokenEnd(section.fileText, start, statement.span.end), exact: true };
  }
  if (info?.internalPosition !== undefined && info.internalQuery) {
    // The query inside a function body, found in the statement's text. PL/pgSQL runs `PERFORM x` as
    // `SELECT x`, so that prefix may be missing from the text.
    let query = info.internalQuery;
    let position = utf16FromCodePoint(query, info.internalPosition - 1);
    let at = text.indexOf(query);
    if (at === -1 && /^SELECT /.test(query) && position >= 7) {
      query = query.slice(7);
      position -= 7;
      at = text.search(new RegExp(`PERFORM\\s+${escapeRegExp(query)}`, 'i'));
      if (at !== -1) at = text.indexOf(query, at);
    }
    if (at !== -1) {
      const start = statement.span.start + (statement.toOriginal ? statement.toOriginal(at + position) : at + position);
      return { start, end: tokenEnd(section.fileText, start, statement.span.end), exact: true };
    }
  }
  return { ...statement.span, exact: false };
}

/** A RunError for statement `index` of `section`, with file, line and column. */
export function statementError(section: RunSection, index: number, info: PositionedError | undefined, fallbackMessage: string, redact: (s: string) => string): RunError {
  const span = locateError(section, index, info);
  const lines = new LineIndex(section.fileText);
  const start = lines.positionAt(span.start);
  const end = lines.positionAt(span.end);
  const statement = section.statements[index];
  const error: RunError = {
    message: redact(info?.message ?? fallbackMessage),
    file: section.path,
    line: start.line + 1,
    column: start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
    section: section.kind,
    exact: span.exact,
  };
  if (info?.code) error.code = info.code;
  if (info?.detail) error.detail = redact(info.detail);
  if (info?.hint) error.hint = redact(info.hint);
  if (info?.where) error.where = redact(info.where);
  if (statement) {
    error.statement = index + 1;
    error.statementText = redact(firstLine(statement.text));
  }
  return error;
}

/** The first line of a statement, shortened for one line of output. */
export function firstLine(text: string, max = 72): string {
  const line = text.split(/\r?\n/)[0].trim();
  const more = line.length < text.trim().length;
  if (line.length > max) return line.slice(0, max - 1) + '…';
  return more ? `${line} …` : line;
}

/** The 1-based line of a file offset. */
export function lineOf(text: string, offset: number, index?: LineIndex): number {
  return (index ?? new LineIndex(text)).positionAt(offset).line + 1;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tokenEnd(text: string, start: number, limit: number): number {
  const m = /^(?:"(?:[^"]|"")*"|[A-Za-z0-9_$.]+|'(?:[^']|'')*'|\S)/.exec(text.slice(start, Math.min(limit, start + 200)));
  return start + (m ? m[0].length : 1);
}
