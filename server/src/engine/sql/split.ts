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
  if (recentLimit === 0) return splitAfterEdit(text, from, to);
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

/**
 * The last few splits outside batch runs: the language server lints a file again after every keystroke,
 * and the text before the edit splits as it did. Results are shared: callers must not mutate them.
 */
const lastSplits: { text: string; from: number; to: number; result: SplitResult }[] = [];
const LAST_SPLITS = 8;

/**
 * Splits `text` reusing, from an earlier split of a text with the same start, the statements that end
 * (with their semicolon) before the first character that differs: after a terminated statement the
 * splitter's state is back to its start, and the lexer never reads past a semicolon for the tokens
 * before it, so splitting the rest from there gives what splitting all of it would.
 */
function splitAfterEdit(text: string, from: number, to: number): SplitResult {
  // The latest split of a range with the same start: the previous keystroke's version of this
  // section (comparing with every kept text cost more than the split it saved).
  let last: (typeof lastSplits)[number] | undefined;
  for (let i = lastSplits.length - 1; i >= 0 && last === undefined; i--) if (lastSplits[i].from === from) last = lastSplits[i];
  if (last !== undefined && last.text === text && last.to === to) return last.result;
  let result: SplitResult | undefined;
  if (last !== undefined) {
    const common = commonPrefixLength(last.text, text);
    const previous = last.result.statements;
    let kept = 0;
    while (kept < previous.length && previous[kept].terminated && previous[kept].span.end < common && previous[kept].span.end <= to) kept++;
    if (kept > 0) {
      const rest = split(text, previous[kept - 1].span.end, to);
      result = { statements: previous.slice(0, kept).concat(rest.statements), trailingComments: rest.trailingComments };
    }
  }
  result ??= split(text, from, to);
  if (lastSplits.length >= LAST_SPLITS) lastSplits.shift();
  lastSplits.push({ text, from, to, result });
  return result;
}

/** How many leading UTF-16 code units `a` and `b` share (halving the range compared natively). */
function commonPrefixLength(a: string, b: string): number {
  let lo = 0;
  let hi = Math.min(a.length, b.length);
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (a.slice(lo, mid) === b.slice(lo, mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Splits without reusing any earlier split (what `splitStatements` must always equal; for tests). */
export function splitStatementsAfresh(text: string, from = 0, to = text.length): SplitResult {
  return split(text, from, to);
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
      // An unclosed comment stays in the statement: it swallows the rest of the text, which PostgreSQL
      // rejects, so the statement must carry the error.
      while (last > start && isComment(tokens[last]) && !tokens[last].unterminated) trailing.unshift({ start: tokens[last].start, end: tokens[last].end }), last--;
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
      // An unclosed /* between statements is a statement of its own (with the error), not a comment
      // that silently hides everything after it.
      if (first === -1 && token.unterminated) first = k;
      else if (first === -1) pendingComments.push({ start: token.start, end: token.end });
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
