// Where Liquibase cuts a formatted SQL changeset at `;` when it is not where PostgreSQL ends a statement.
//
// Liquibase splits a changeset into the statements it sends over JDBC with its own tokenizer (its
// SimpleSqlGrammar and StringUtil.processMultiLineSQL; facts learned from its source, not its code):
// - it knows '...' strings (a `\'` inside one does not close it), "..." and `...` identifiers, `--` and
//   `/* */` comments, and words (letters, digits, `_`, `$`, `#`, `@`: so `$$` and `$body$` are words);
// - it does not know dollar quotes: the text of a `$$ ... $$` body is read as words and symbols;
// - it cuts at a `;` only outside BEGIN ... END, counted by the words: BEGIN (not BEGIN TRANSACTION,
//   TRAN, TRANS, DIALOG, CONVERSATION, DISTRIBUTED) opens one, END (not END TRANSACTION ...) closes one,
//   whatever follows it (so END IF and END LOOP close one too).
// So a plpgsql body (`$$ BEGIN IF ... END IF; ... END; $$`) or an SQL function body (`$$ SELECT ...;
// $$`) is cut inside, PostgreSQL receives a statement that stops in the middle of its dollar quote,
// and the changeset fails with "unterminated dollar-quoted string" (liquibase/liquibase#5538). zdm reads
// the statements as PostgreSQL does; this finds the cuts Liquibase makes inside a dollar quote.

import { lex } from '../sql/lexer';
import type { Span } from '../text/offsets';

const NOT_A_BLOCK_AFTER_BEGIN = new Set(['transaction', 'trans', 'tran', 'dialog', 'conversation', 'distributed']);
const NOT_A_BLOCK_AFTER_END = new Set(['transaction', 'trans', 'tran']);

/** A word as Liquibase's grammar reads one: a letter, `_` or `$` first, then also digits, `#` and `@`. */
const WORD = /[A-Za-z_$\u00c0-\uffff][A-Za-z0-9_$#@\u00c0-\uffff]*/y;
const SPACES = /[\s\u0085\u00a0\u1680\u180e\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]+/y;

/**
 * The offset of the first `;` of `source` within `span` where Liquibase cuts the changeset while
 * PostgreSQL is inside a dollar-quoted string (see above), or undefined. Cheap when the span has no `$`.
 */
export function liquibaseCutInsideDollarQuote(source: string, span: Span): number | undefined {
  const dollar = source.indexOf('$', span.start);
  if (dollar === -1 || dollar >= span.end) return undefined;
  const quoted = lex(source, span.start, span.end).filter((t) => t.kind === 'dollar-string');
  if (quoted.length === 0) return undefined;
  const inside = (offset: number) => quoted.some((q) => q.start < offset && offset < q.end - 1);
  const pieces = liquibasePieces(source, span);
  let depth = 0;
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    const word = piece.word?.toLowerCase();
    const next = pieces[i + 1]?.word?.toLowerCase() ?? '';
    if (word === 'begin' && !NOT_A_BLOCK_AFTER_BEGIN.has(next)) depth++;
    else if (word === 'end' && depth > 0 && !NOT_A_BLOCK_AFTER_END.has(next)) depth--;
    else if (depth === 0 && piece.semicolon && inside(piece.start)) return piece.start;
  }
  return undefined;
}

interface Piece {
  start: number;
  /** The word, when the piece is one. */
  word?: string;
  semicolon?: boolean;
}

/** The pieces Liquibase's tokenizer reads in `span`, whitespace left out. */
function liquibasePieces(source: string, span: Span): Piece[] {
  const out: Piece[] = [];
  let i = span.start;
  const end = span.end;
  while (i < end) {
    const c = source[i];
    SPACES.lastIndex = i;
    if (SPACES.test(source)) {
      i = Math.min(SPACES.lastIndex, end);
      continue;
    }
    const start = i;
    if (c === '-' && source[i + 1] === '-') {
      while (i < end && source[i] !== '\n' && source[i] !== '\r') i++;
      out.push({ start });
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const close = source.indexOf('*/', i + 2);
      if (close !== -1 && close + 2 <= end) {
        i = close + 2;
        out.push({ start });
        continue;
      }
    }
    if (c === "'") {
      i = stringEnd(source, i, end);
      out.push({ start });
      continue;
    }
    if (c === '"' || c === '`') {
      const close = source.indexOf(c, i + 1);
      const line = source.slice(i + 1, close).search(/[\r\n]/);
      if (close !== -1 && close < end && close > i + 1 && line === -1) {
        i = close + 1;
        out.push({ start });
        continue;
      }
    }
    WORD.lastIndex = i;
    if (WORD.test(source)) {
      i = Math.min(WORD.lastIndex, end);
      out.push({ start, word: source.slice(start, i) });
      continue;
    }
    i++;
    out.push(c === ';' ? { start, semicolon: true } : { start });
  }
  return out;
}

/** The end of a '...' literal as Liquibase reads one: `\'` does not close it, and `''` goes on. */
function stringEnd(source: string, i: number, end: number): number {
  for (let k = i + 1; k < end; k++) {
    const c = source[k];
    if (c === '\\' && source[k + 1] === "'") k++;
    else if (c === "'") {
      if (source[k + 1] === "'") k++;
      else return k + 1;
    }
  }
  return end;
}
