// Token-level access to a statement, for spans and fixes: libpg-query gives locations on only part of
// its nodes, so keywords (INDEX, CONCURRENTLY, NOT VALID) are found in the token stream.

import type { Span, Statement } from '../model';
import { identifierOf, isComment, lex, wordOf, type Token } from './lexer';
import { KeyedMemo } from '../memo';
import { lineBreakAfter } from '../text/offsets';

const cache = new KeyedMemo<Statement, Token[]>('cache');

/** Tokens of a statement (comments excluded), with file offsets. */
export function statementTokens(statement: Statement): Token[] {
  let tokens = cache.get(statement);
  if (!tokens) {
    // The splitter's tokens when the statement came from it (lexing the span again gives the same).
    tokens = (statement.tokens ?? lex(statement.section.source, statement.span.start, statement.span.end)).filter((t) => !isComment(t));
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
    const end = Math.min(lineBreakAfter(statement.section.source, statement.span.start).end, statement.span.end);
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

/**
 * Span of a clause written `<lead words> [filler words...] <name>`, e.g. `DROP COLUMN IF EXISTS email`
 * with lead `['drop']`, fillers `['column', 'if', 'exists']` and name `email`. The name is compared
 * as PostgreSQL folds it (unquoted words lower-cased, quoted identifiers as written). Without a name
 * the span covers the lead words only.
 */
export function findClause(statement: Statement, lead: string[], name?: string, fillers: string[] = [], from = statement.span.start): Span | undefined {
  const tokens = statementTokens(statement);
  const source = statement.section.source;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].start < from) continue;
    let j = i;
    let ok = true;
    for (const word of lead) {
      const t = tokens[j];
      if (!t || t.kind !== 'word' || wordOf(source, t) !== word) {
        ok = false;
        break;
      }
      j++;
    }
    if (!ok) continue;
    if (name === undefined) return { start: tokens[i].start, end: tokens[j - 1].end };
    while (j < tokens.length && tokens[j].kind === 'word' && fillers.includes(wordOf(source, tokens[j])) && identifierOf(source, tokens[j]) !== name) j++;
    // A qualified name: skip `schema .` parts.
    while (j + 2 < tokens.length && source.slice(tokens[j + 1].start, tokens[j + 1].end) === '.' && identifierOf(source, tokens[j]) !== name) j += 2;
    const t = tokens[j];
    if (t && identifierOf(source, t) === name) return { start: tokens[i].start, end: t.end };
  }
  return undefined;
}

/** Span of the first identifier token naming `name` (as PostgreSQL folds it), at or after `from`. */
export function findIdentifier(statement: Statement, name: string, from = statement.span.start): Span | undefined {
  const source = statement.section.source;
  for (const t of statementTokens(statement)) {
    if (t.start < from) continue;
    if ((t.kind === 'word' || t.kind === 'quoted-ident') && identifierOf(source, t) === name) return { start: t.start, end: t.end };
  }
  return undefined;
}

/** Index of the token ending at or before `offset` (the last token that starts before it). */
export function tokenIndexBefore(statement: Statement, offset: number): number {
  const tokens = statementTokens(statement);
  let found = -1;
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].start < offset) found = i;
    else break;
  }
  return found;
}

/**
 * The span of a type name written at file offset `start` (where the tree's TypeName location points):
 * multi-word names (`character varying`, `double precision`, `timestamp with time zone`), a schema
 * prefix, and a modifier list `(n[, m])`. Array brackets are not included.
 */
export function typeSpan(statement: Statement, start: number): Span {
  const tokens = statementTokens(statement);
  const source = statement.section.source;
  let i = tokenIndexAt(statement, start);
  if (i < 0 || i >= tokens.length) return { start, end: start };
  const text = (k: number) => (tokens[k] ? source.slice(tokens[k].start, tokens[k].end) : '');
  const word = (k: number) => (tokens[k] && tokens[k].kind === 'word' ? wordOf(source, tokens[k]) : '');
  const first = i;
  // schema-qualified: pg_catalog.int4
  while (text(i + 1) === '.' && tokens[i + 2]) i += 2;
  const head = word(i);
  const continuations: Record<string, string[]> = {
    character: ['varying'],
    char: ['varying'],
    national: ['character', 'char', 'varying'],
    double: ['precision'],
    bit: ['varying'],
  };
  while (continuations[word(i)]?.includes(word(i + 1))) i++;
  let end = tokens[i].end;
  let k = i + 1;
  if (text(k) === '(') {
    let depth = 0;
    for (; k < tokens.length; k++) {
      if (text(k) === '(') depth++;
      else if (text(k) === ')' && --depth === 0) break;
    }
    if (k < tokens.length) {
      end = tokens[k].end;
      k++;
    }
  }
  if ((head === 'timestamp' || head === 'time') && (word(k) === 'with' || word(k) === 'without') && word(k + 1) === 'time' && word(k + 2) === 'zone') end = tokens[k + 2].end;
  return { start: tokens[first].start, end };
}
