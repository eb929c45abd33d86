// Token-level access to a statement, for spans and fixes: libpg-query gives locations on only part of
// its nodes, so keywords (INDEX, CONCURRENTLY, NOT VALID) are found in the token stream.

import type { Span, Statement } from '../model';
import { isComment, lex, type Token } from './lexer';

const cache = new WeakMap<Statement, Token[]>();

/** Tokens of a statement (comments excluded), with file offsets. */
export function statementTokens(statement: Statement): Token[] {
  let tokens = cache.get(statement);
  if (!tokens) {
    tokens = lex(statement.section.source, statement.span.start, statement.span.end).filter((t) => !isComment(t));
    cache.set(statement, tokens);
  }
  return tokens;
}

export function tokenText(statement: Statement, token: Token): string {
  return statement.section.source.slice(token.start, token.end);
}

/** Index of the first word token equal to `word` (case-insensitive) at or after file offset `from`. */
export function findWordIndex(statement: Statement, word: string, from = statement.span.start): number {
  const tokens = statementTokens(statement);
  const lower = word.toLowerCase();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.start < from || t.kind !== 'word') continue;
    if (tokenText(statement, t).toLowerCase() === lower) return i;
  }
  return -1;
}

/** Span of the first word token equal to `word`, or undefined. */
export function findWord(statement: Statement, word: string, from?: number): Span | undefined {
  const i = findWordIndex(statement, word, from);
  if (i === -1) return undefined;
  const t = statementTokens(statement)[i];
  return { start: t.start, end: t.end };
}

/** Index of the token that starts at or contains file offset `offset`. */
export function tokenIndexAt(statement: Statement, offset: number): number {
  const tokens = statementTokens(statement);
  for (let i = 0; i < tokens.length; i++) if (tokens[i].end > offset) return i;
  return tokens.length - 1;
}

/**
 * A span for underlining: from the statement start to the end of the token at `offset` (a relation
 * name, say), kept on the statement's first lines rather than the whole statement.
 */
export function headSpan(statement: Statement, offset?: number): Span {
  const tokens = statementTokens(statement);
  if (tokens.length === 0) return statement.span;
  if (offset === undefined) {
    // The first line of the statement.
    const nl = statement.section.source.indexOf('\n', statement.span.start);
    const end = nl === -1 || nl > statement.span.end ? statement.span.end : nl;
    return { start: statement.span.start, end: Math.max(end, tokens[0].end) };
  }
  const i = tokenIndexAt(statement, offset);
  let end = tokens[i].end;
  // Include a qualified name's rest: schema . name
  while (i + 2 < tokens.length && tokenText(statement, tokens[i + 1]) === '.' && tokens[i + 1].start === end) {
    end = tokens[i + 2].end;
    break;
  }
  return { start: statement.span.start, end };
}

/**
 * The end offset of the clause starting at `offset`: the last token before a comma or closing
 * parenthesis at the clause's own nesting level, or before the statement's semicolon.
 */
export function clauseEnd(statement: Statement, offset: number): number {
  const tokens = statementTokens(statement);
  let depth = 0;
  let end = offset;
  for (let i = tokenIndexAt(statement, offset); i < tokens.length; i++) {
    const t = tokens[i];
    const text = tokenText(statement, t);
    if (t.kind === 'punct') {
      if (text === '(' || text === '[') depth++;
      else if (text === ')' || text === ']') {
        if (depth === 0) break;
        depth--;
      } else if ((text === ',' || text === ';') && depth === 0) break;
    }
    end = t.end;
  }
  return end;
}
