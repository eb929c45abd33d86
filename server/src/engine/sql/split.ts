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
  let current: Token[] = [];
  let depth = 0;
  let atomicDepth = 0;
  let routineHeader = false; // statement starts CREATE [OR REPLACE] FUNCTION|PROCEDURE
  let words = 0;
  let previousWord = '';

  const finish = (terminated: boolean) => {
    const body = current;
    current = [];
    depth = 0;
    atomicDepth = 0;
    routineHeader = false;
    words = 0;
    previousWord = '';
    if (body.length === 0 || body.every((t) => isComment(t) || isSemicolon(text, t))) {
      // An empty statement (a lone semicolon): its comments stay pending for the next statement.
      return;
    }
    let first = 0;
    while (isComment(body[first])) pendingComments.push({ start: body[first].start, end: body[first].end }), first++;
    let last = body.length - 1;
    const trailing: Span[] = [];
    if (!terminated) {
      while (last > first && isComment(body[last])) trailing.unshift({ start: body[last].start, end: body[last].end }), last--;
    }
    const own = first === 0 && last === body.length - 1 ? body : body.slice(first, last + 1);
    statements.push({
      span: { start: own[0].start, end: own[own.length - 1].end },
      tokens: own,
      terminated,
      leadingComments: pendingComments,
      unterminated: own.find((t) => t.unterminated),
    });
    pendingComments = trailing;
  };

  for (const token of tokens) {
    if (current.length === 0 && isComment(token)) {
      pendingComments.push({ start: token.start, end: token.end });
      continue;
    }
    current.push(token);
    if (token.kind === 'word') {
      words++;
      // Words matter only among the first four (CREATE [OR REPLACE] FUNCTION|PROCEDURE) and inside a
      // routine (BEGIN ATOMIC ... END), where previousWord is read; elsewhere they are not looked at.
      if (words <= 4 || routineHeader) {
        const word = text.slice(token.start, token.end).toLowerCase();
        if (words <= 4 && (word === 'function' || word === 'procedure') && currentStartsWithCreate(text, current)) routineHeader = true;
        if (routineHeader) {
          if (word === 'atomic' && previousWord === 'begin') atomicDepth++;
          else if (atomicDepth > 0 && word === 'case') atomicDepth++;
          else if (atomicDepth > 0 && word === 'end') atomicDepth--;
        }
        previousWord = word;
      }
    } else if (token.kind === 'punct') {
      const c = text.charCodeAt(token.start);
      if (c === 40) depth++;
      else if (c === 41) depth = Math.max(0, depth - 1);
      else if (c === 59 && depth === 0 && atomicDepth === 0) finish(true);
    } else if (!isComment(token)) {
      previousWord = '';
    }
  }
  finish(false);
  return { statements, trailingComments: pendingComments };
}

function isSemicolon(text: string, token: Token): boolean {
  return token.kind === 'punct' && text.charCodeAt(token.start) === 59;
}

function currentStartsWithCreate(text: string, tokens: Token[]): boolean {
  const first = tokens.find((t) => !isComment(t));
  return first !== undefined && first.kind === 'word' && text.slice(first.start, first.end).toLowerCase() === 'create';
}
