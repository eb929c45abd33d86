// Splits a range of SQL text into statements, the way psql does: at semicolons outside parentheses,
// strings, comments and dollar quotes, and outside SQL-standard function bodies (BEGIN ATOMIC ... END).

import { isComment, lex, type Token } from './lexer';
import type { Span } from '../text/offsets';

export interface RawStatement {
  span: Span;
  /** Tokens of the statement, comments inside it included. */
  tokens: Token[];
  terminated: boolean;
  /** Comments between the previous statement (or the range start) and this one. */
  leadingComments: Span[];
  /** The first unterminated token in it, if any (an unclosed quote, dollar quote or comment). */
  unterminated?: Token;
}

export interface SplitResult {
  statements: RawStatement[];
  /** Comments after the last statement. */
  trailingComments: Span[];
}

/**
 * Recent results, by text (batch runs only; see `rememberSplits`). A file is split again when rules
 * read it as another file's other half (its down, its pop group parts), and then when it is linted
 * itself, all within a few files of each other. Results are shared: callers must not mutate them.
 */
const recent = new Map<string, { from: number; to: number; result: SplitResult }[]>();
let recentLimit = 0;

/** Keeps the splits of the last `texts` texts (0, the default, keeps none). */
export function rememberSplits(texts: number): void {
  recentLimit = texts;
  recent.clear();
}

export function splitStatements(text: string, from = 0, to = text.length): SplitResult {
  if (recentLimit === 0) return split(text, from, to);
  let entries = recent.get(text);
  const hit = entries?.find((e) => e.from === from && e.to === to);
  if (hit) return hit.result;
  const result = split(text, from, to);
  if (!entries) {
    if (recent.size >= recentLimit) recent.delete(recent.keys().next().value as string);
    recent.set(text, (entries = []));
  }
  entries.push({ from, to, result });
  return result;
}

function split(text: string, from: number, to: number): SplitResult {
  const tokens = lex(text, from, to);
  const statements: RawStatement[] = [];
  let pendingComments: Span[] = [];
  let first = -1; // index of the current statement's first token; -1 before it starts
  let depth = 0;
  let atomicDepth = 0;
  let routineHeader = false; // statement starts CREATE [OR REPLACE] FUNCTION|PROCEDURE
  let words = 0;
  let previousWord = '';

  /** Ends the current statement before the token at `end`. */
  const finish = (end: number, terminated: boolean) => {
    const start = first;
    first = -1;
    depth = 0;
    atomicDepth = 0;
    routineHeader = false;
    words = 0;
    previousWord = '';
    // The statement's first token is not a comment (comments before it are leading comments): it
    // is empty when it has no tokens or is a lone semicolon, and then its comments stay pending for
    // the next statement.
    if (start === -1 || (end - start === 1 && isSemicolon(text, tokens[start]))) return;
    let last = end - 1;
    const trailing: Span[] = [];
    if (!terminated) {
      while (last > start && isComment(tokens[last])) trailing.unshift({ start: tokens[last].start, end: tokens[last].end }), last--;
    }
    const own = tokens.slice(start, last + 1);
    // An unterminated token runs to the end of the range, so only the last token can be one.
    const lastToken = own[own.length - 1];
    statements.push({
      span: { start: own[0].start, end: lastToken.end },
      tokens: own,
      terminated,
      leadingComments: pendingComments,
      unterminated: lastToken.unterminated ? lastToken : undefined,
    });
    pendingComments = trailing;
  };

  for (let k = 0; k < tokens.length; k++) {
    const token = tokens[k];
    const kind = token.kind;
    if (kind === 'word') {
      if (first === -1) first = k;
      words++;
      // Words matter only in the header of a routine (CREATE [OR REPLACE] FUNCTION|PROCEDURE among
      // the first four) and inside it (BEGIN ATOMIC ... END), where previousWord is read; elsewhere
      // they are not looked at.
      if (!routineHeader && words <= 4) {
        const length = token.end - token.start;
        if (length === 8 || length === 9) {
          const word = text.slice(token.start, token.end).toLowerCase();
          if ((word === 'function' || word === 'procedure') && isWord(text, tokens[first], 'create')) routineHeader = true;
        }
      }
      if (routineHeader) {
        const word = text.slice(token.start, token.end).toLowerCase();
        if (word === 'atomic' && previousWord === 'begin') atomicDepth++;
        else if (atomicDepth > 0 && word === 'case') atomicDepth++;
        else if (atomicDepth > 0 && word === 'end') atomicDepth--;
        previousWord = word;
      }
    } else if (kind === 'line-comment' || kind === 'block-comment') {
      if (first === -1) pendingComments.push({ start: token.start, end: token.end });
    } else {
      if (first === -1) first = k;
      if (kind === 'punct') {
        const c = text.charCodeAt(token.start);
        if (c === 40) depth++;
        else if (c === 41) depth = Math.max(0, depth - 1);
        else if (c === 59 && depth === 0 && atomicDepth === 0) finish(k + 1, true);
      } else previousWord = '';
    }
  }
  finish(tokens.length, false);
  return { statements, trailingComments: pendingComments };
}

function isSemicolon(text: string, token: Token): boolean {
  return token.kind === 'punct' && text.charCodeAt(token.start) === 59;
}

function isWord(text: string, token: Token, word: string): boolean {
  return token.kind === 'word' && text.slice(token.start, token.end).toLowerCase() === word;
}
