// Verification directives of backfill migrations: one comment line each,
//
//   -- zdm:verify SELECT count(*) FROM users WHERE full_name IS NULL -- expect 0
//
// The query is ordinary SQL (one statement, on one line); the expectation is the value of the first
// column of the first row, written as a SQL literal (0, 12, true, false, null, 'text'). Without
// `-- expect`, the expectation is 0: the query counts the rows the backfill has not done yet. The
// runner and `zdm verify` run them; the linter and the grammar only read them. `-- expect` is found
// with the lexer, so a `--` inside a string of the query does not end it.

import { lex } from '../sql/lexer';
import type { Span } from '../text/offsets';
import { lineBreakAfter } from '../text/offsets';

export interface VerifyDirective {
  /** The query, trimmed, without a trailing semicolon. */
  sql: string;
  /** The expected value as written (a SQL literal); '0' when the directive has no `-- expect`. */
  expect: string;
  /** True when the directive wrote `-- expect` itself. */
  expectWritten: boolean;
  /** The whole directive comment, from `--` to the end of the line (file offsets, UTF-16). */
  span: Span;
  /** Where the query is. */
  sqlSpan: Span;
  /** 1-based line number. */
  line: number;
}

const DIRECTIVE = /^[ \t]*--[ \t]*zdm:verify(?=[ \t]|$)[ \t]*/;

/** Every `-- zdm:verify` directive of a text, in order. Never throws. */
export function parseVerifyDirectives(text: string): VerifyDirective[] {
  const out: VerifyDirective[] = [];
  let lineStart = 0;
  let line = 1;
  while (lineStart <= text.length) {
    const { end: contentEnd, next } = lineBreakAfter(text, lineStart);
    const lineText = text.slice(lineStart, contentEnd);
    const m = DIRECTIVE.exec(lineText);
    if (m) {
      const directive = readDirective(text, lineStart, contentEnd, lineStart + m[0].length, line);
      if (directive) out.push(directive);
    }
    if (next === contentEnd) break;
    lineStart = next;
    line++;
  }
  return out;
}

function readDirective(text: string, lineStart: number, lineEnd: number, queryStart: number, line: number): VerifyDirective | undefined {
  const commentStart = lineStart + text.slice(lineStart, lineEnd).indexOf('--');
  let queryEnd = lineEnd;
  let expect = '0';
  let expectWritten = false;
  for (const token of lex(text, queryStart, lineEnd)) {
    if (token.kind !== 'line-comment') continue;
    const m = /^--[ \t]*expect(?=[ \t]|$)[ \t]*(.*?)[ \t]*$/i.exec(text.slice(token.start, token.end));
    queryEnd = token.start;
    if (m) {
      expect = m[1] === '' ? '0' : m[1];
      expectWritten = true;
    }
    break;
  }
  let sqlStart = queryStart;
  while (sqlStart < queryEnd && /\s/.test(text[sqlStart])) sqlStart++;
  let sqlEnd = queryEnd;
  while (sqlEnd > sqlStart && /[\s;]/.test(text[sqlEnd - 1])) sqlEnd--;
  if (sqlEnd <= sqlStart) return undefined;
  return {
    sql: text.slice(sqlStart, sqlEnd),
    expect,
    expectWritten,
    span: { start: commentStart, end: lineEnd },
    sqlSpan: { start: sqlStart, end: sqlEnd },
    line,
  };
}

/**
 * Whether a query result (the first column of the first row, as `pg` returns it; undefined when the
 * query returned no row) matches an expectation. Numbers compare numerically (`count(*)` arrives as
 * the string "0"), booleans as booleans, `null` matches NULL and no row, strings compare exactly.
 */
export function matchesExpectation(value: unknown, expect: string): boolean {
  const e = expect.trim();
  if (/^null$/i.test(e)) return value === null || value === undefined;
  if (value === null || value === undefined) return false;
  if (/^(true|false)$/i.test(e)) {
    const wanted = e.toLowerCase() === 'true';
    if (typeof value === 'boolean') return value === wanted;
    return String(value).toLowerCase() === (wanted ? 'true' : 'false') || String(value) === (wanted ? 't' : 'f');
  }
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(e)) {
    const n = typeof value === 'number' || typeof value === 'bigint' ? Number(value) : Number(String(value));
    return !Number.isNaN(n) && n === Number(e);
  }
  const quoted = /^'((?:[^']|'')*)'$/.exec(e);
  const wanted = quoted ? quoted[1].replace(/''/g, "'") : e;
  return (value instanceof Date ? value.toISOString() : String(value)) === wanted;
}

/** The directive as written, for generated files. */
export function verifyDirective(sql: string, expect = '0'): string {
  return `-- zdm:verify ${sql.replace(/\s*;\s*$/, '').replace(/\s*\n\s*/g, ' ')} -- expect ${expect}`;
}
