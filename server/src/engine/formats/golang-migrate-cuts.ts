// Where golang-migrate, in multi-statement mode, cuts a statement that PostgreSQL does not end there.
//
// With `x-multi-statement=true` in the database URL, golang-migrate's postgres and pgx drivers (v4.19;
// facts learned from its source, not its code) read the migration with database/multistmt: a
// bufio.Scanner whose split function takes everything up to and including the next `;` byte
// (bytes.Index, the delimiter fixed at `;`). It knows no strings, quoted identifiers, dollar quotes,
// comments or BEGIN ATOMIC bodies. Each piece is sent alone with ExecContext on the driver's one
// connection, so each autocommits; a piece that is only whitespace is skipped (runStatement's
// strings.TrimSpace check), a piece that is only a comment reaches PostgreSQL as an empty query, which
// does nothing, and what follows the last `;` is the last piece. The first piece that fails stops the
// migration, with the earlier pieces committed and the version left dirty.
//
// zdm reads statements as PostgreSQL does and sends each one alone, which is what golang-migrate does
// wherever every `;` it cuts at ends a statement (or an empty one). This finds the other `;`s: inside a
// string, a quoted identifier, a dollar quote or a block comment (the piece ends inside it, and
// PostgreSQL reports it unterminated), inside a BEGIN ATOMIC body (the piece ends mid-statement), and
// inside a `--` comment when the piece before it ends mid-statement or the rest of the comment line,
// which the next piece then starts with, is not blank.

import { isComment, lex, type Token } from '../sql/lexer';
import { splitStatements } from '../sql/split';
import type { Span } from '../text/offsets';

export interface MultiStatementCut {
  /** The `;` golang-migrate cuts at. */
  at: number;
  /** What the `;` is in as PostgreSQL reads it, for messages. */
  inside: 'string' | 'quoted identifier' | 'dollar quote' | 'block comment' | 'line comment' | 'statement';
  /** The statement PostgreSQL reads around it (or the one the rest of a comment line is sent with), when there is one. */
  statement?: Span;
}

/** Every `;` in [from, to) of `text` where golang-migrate's multi-statement splitter cuts a statement in two. */
export function multiStatementCuts(text: string, from: number, to: number): MultiStatementCut[] {
  const first = text.indexOf(';', from);
  if (first === -1 || first >= to) return [];
  const statements = splitStatements(text, from, to).statements;
  // The `;`s that end a statement as PostgreSQL reads it.
  const ends = new Set<number>();
  for (const s of statements) {
    const last = s.tokens.findLast((t) => !isComment(t));
    if (s.terminated && last) ends.add(last.start);
  }
  const tokens = lex(text, from, to);
  const cuts: MultiStatementCut[] = [];
  let k = 0; // index into tokens
  let si = 0; // index into statements
  for (let at = first; at !== -1 && at < to; at = text.indexOf(';', at + 1)) {
    if (ends.has(at)) continue;
    while (k < tokens.length && tokens[k].end <= at) k++;
    while (si < statements.length && statements[si].span.end <= at) si++;
    const token = tokens[k] !== undefined && tokens[k].start <= at ? tokens[k] : undefined;
    const around = statements[si] !== undefined && statements[si].span.start <= at ? statements[si] : undefined;
    if (token === undefined) continue;
    if (token.kind === 'punct') {
      // A lone `;` between statements (an empty statement) ends nothing; inside a statement it is one
      // of a BEGIN ATOMIC body's, which PostgreSQL reads on to the body's END.
      if (around) cuts.push({ at, inside: 'statement', statement: around.span });
      continue;
    }
    if (token.kind === 'line-comment') {
      if (lineCommentCutIsHarmless(text, token, at, around?.tokens)) continue;
      cuts.push({ at, inside: 'line comment', statement: (around ?? statements[si])?.span });
      continue;
    }
    const inside = INSIDE[token.kind];
    if (inside) cuts.push({ at, inside, statement: around?.span });
  }
  return cuts;
}

const INSIDE: Partial<Record<Token['kind'], MultiStatementCut['inside']>> = {
  string: 'string',
  'quoted-ident': 'quoted identifier',
  'dollar-string': 'dollar quote',
  'block-comment': 'block comment',
};

/**
 * A `;` in a `--` comment does no harm when the piece before it holds whole statements (the comment is
 * between statements, or after the last word of its statement, which only comments and its `;`
 * follow) and the rest of the comment's line is blank (the next piece starts with it, outside any
 * comment).
 */
function lineCommentCutIsHarmless(text: string, comment: Token, at: number, statementTokens: readonly Token[] | undefined): boolean {
  if (text.slice(at + 1, comment.end).trim() !== '') return false;
  if (!statementTokens) return true;
  const after = statementTokens.filter((t) => t.start > comment.start && !isComment(t));
  return after.length === 1 && text[after[0].start] === ';' && after[0].end - after[0].start === 1;
}
