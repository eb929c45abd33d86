// A small, fast SQL lexer for PostgreSQL text.
//
// It exists to split statements, recover from errors and locate keywords for fixes; the parse tree
// comes from libpg-query. It never throws: unterminated strings, comments and dollar quotes become a
// token that runs to the end of the input with `unterminated` set, so the error can be reported once,
// at the opening. Offsets are UTF-16 code units into the text given.

export type TokenKind =
  | 'word' // identifier or keyword (unquoted)
  | 'quoted-ident' // "Ident" or U&"Ident"
  | 'string' // 'x', E'x', B'x', X'x', N'x', U&'x'
  | 'dollar-string' // $tag$ ... $tag$
  | 'number'
  | 'param' // $1
  | 'operator'
  | 'punct' // ( ) [ ] , ; . : ::
  | 'line-comment'
  | 'block-comment'
  | 'backslash' // a psql meta-command, to the end of the line
  | 'unknown';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  /** Set on strings, quoted identifiers, dollar quotes and block comments that never close. */
  unterminated?: boolean;
}

const enum Ch {
  Tab = 9,
  LF = 10,
  CR = 13,
  Space = 32,
  Quote = 39, // '
  DoubleQuote = 34, // "
  Dollar = 36,
  Ampersand = 38,
  LParen = 40,
  RParen = 41,
  Star = 42,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Colon = 58,
  Semicolon = 59,
  LBracket = 91,
  Backslash = 92,
  RBracket = 93,
  Underscore = 95,
}

function isSpace(c: number): boolean {
  return c === Ch.Space || c === Ch.Tab || c === Ch.LF || c === Ch.CR || c === 12 || c === 11;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** First character of an unquoted identifier: letters, underscore, and anything non-ASCII. */
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === Ch.Underscore || c >= 128;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === Ch.Dollar;
}

/** Dollar-quote tags may not contain `$` and may not start with a digit. */
function isTagPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

const OPERATOR_CHARS = new Set('+-*/<>=~!@#%^&|`?'.split('').map((c) => c.charCodeAt(0)));

/** Lexes `text` from `from` to `to` (default: all of it). Whitespace is skipped; comments are kept. */
export function lex(text: string, from = 0, to = text.length): Token[] {
  const tokens: Token[] = [];
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    // Comments
    if (c === Ch.Minus && text.charCodeAt(i + 1) === Ch.Minus) {
      i += 2;
      while (i < to && text.charCodeAt(i) !== Ch.LF && text.charCodeAt(i) !== Ch.CR) i++;
      tokens.push({ kind: 'line-comment', start, end: i });
      continue;
    }
    if (c === Ch.Slash && text.charCodeAt(i + 1) === Ch.Star) {
      let depth = 1;
      i += 2;
      while (i < to && depth > 0) {
        const d = text.charCodeAt(i);
        if (d === Ch.Slash && text.charCodeAt(i + 1) === Ch.Star) {
          depth++;
          i += 2;
        } else if (d === Ch.Star && text.charCodeAt(i + 1) === Ch.Slash) {
          depth--;
          i += 2;
        } else i++;
      }
      const token: Token = { kind: 'block-comment', start, end: Math.min(i, to) };
      if (depth > 0) token.unterminated = true;
      tokens.push(token);
      continue;
    }
    // Prefixed strings: E'..', B'..', X'..', N'..', U&'..', U&".."
    if ((c === 69 || c === 101) && text.charCodeAt(i + 1) === Ch.Quote) {
      i = scanQuoted(text, i + 1, to, Ch.Quote, true);
      tokens.push(quotedToken('string', text, start, i, to, Ch.Quote));
      continue;
    }
    if ((c === 66 || c === 98 || c === 88 || c === 120 || c === 78 || c === 110) && text.charCodeAt(i + 1) === Ch.Quote) {
      i = scanQuoted(text, i + 1, to, Ch.Quote, false);
      tokens.push(quotedToken('string', text, start, i, to, Ch.Quote));
      continue;
    }
    if ((c === 85 || c === 117) && text.charCodeAt(i + 1) === Ch.Ampersand) {
      const q = text.charCodeAt(i + 2);
      if (q === Ch.Quote || q === Ch.DoubleQuote) {
        i = scanQuoted(text, i + 2, to, q, false);
        tokens.push(quotedToken(q === Ch.Quote ? 'string' : 'quoted-ident', text, start, i, to, q));
        continue;
      }
    }
    if (isIdentStart(c)) {
      i++;
      while (i < to && isIdentPart(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'word', start, end: i });
      continue;
    }
    if (c === Ch.Quote) {
      i = scanQuoted(text, i, to, Ch.Quote, false);
      tokens.push(quotedToken('string', text, start, i, to, Ch.Quote));
      continue;
    }
    if (c === Ch.DoubleQuote) {
      i = scanQuoted(text, i, to, Ch.DoubleQuote, false);
      tokens.push(quotedToken('quoted-ident', text, start, i, to, Ch.DoubleQuote));
      continue;
    }
    if (c === Ch.Dollar) {
      const next = text.charCodeAt(i + 1);
      if (isDigit(next)) {
        i += 2;
        while (i < to && isDigit(text.charCodeAt(i))) i++;
        tokens.push({ kind: 'param', start, end: i });
        continue;
      }
      // $tag$ or $$
      let j = i + 1;
      if (j < to && isTagPart(text.charCodeAt(j)) && !isDigit(text.charCodeAt(j))) {
        while (j < to && isTagPart(text.charCodeAt(j))) j++;
      }
      if (text.charCodeAt(j) === Ch.Dollar) {
        const tag = text.slice(i, j + 1);
        const close = text.indexOf(tag, j + 1);
        if (close === -1 || close + tag.length > to) {
          tokens.push({ kind: 'dollar-string', start, end: to, unterminated: true });
          i = to;
        } else {
          i = close + tag.length;
          tokens.push({ kind: 'dollar-string', start, end: i });
        }
        continue;
      }
      i++;
      tokens.push({ kind: 'unknown', start, end: i });
      continue;
    }
    if (isDigit(c) || (c === Ch.Dot && isDigit(text.charCodeAt(i + 1)))) {
      i = scanNumber(text, i, to);
      tokens.push({ kind: 'number', start, end: i });
      continue;
    }
    if (c === Ch.Colon) {
      i += text.charCodeAt(i + 1) === Ch.Colon ? 2 : 1;
      tokens.push({ kind: 'punct', start, end: i });
      continue;
    }
    if (c === Ch.LParen || c === Ch.RParen || c === Ch.Comma || c === Ch.Semicolon || c === Ch.Dot || c === Ch.LBracket || c === Ch.RBracket) {
      i++;
      tokens.push({ kind: 'punct', start, end: i });
      continue;
    }
    if (c === Ch.Backslash) {
      // psql meta-command (\i, \set, \connect ...): runs to the end of the line.
      while (i < to && text.charCodeAt(i) !== Ch.LF && text.charCodeAt(i) !== Ch.CR) i++;
      tokens.push({ kind: 'backslash', start, end: i });
      continue;
    }
    if (OPERATOR_CHARS.has(c)) {
      i++;
      while (i < to) {
        const d = text.charCodeAt(i);
        if (!OPERATOR_CHARS.has(d)) break;
        // A comment start ends the operator.
        if ((d === Ch.Minus && text.charCodeAt(i + 1) === Ch.Minus) || (d === Ch.Slash && text.charCodeAt(i + 1) === Ch.Star)) break;
        i++;
      }
      tokens.push({ kind: 'operator', start, end: i });
      continue;
    }
    i++;
    tokens.push({ kind: 'unknown', start, end: i });
  }
  return tokens;
}

/**
 * Scans a quoted run starting at the opening quote `open`; a doubled quote is an escaped quote.
 * With `backslashEscapes` (E'' strings), a backslash escapes the next character. Returns the offset
 * after the closing quote, or `to` when it never closes.
 */
function scanQuoted(text: string, open: number, to: number, quote: number, backslashEscapes: boolean): number {
  let i = open + 1;
  while (i < to) {
    const d = text.charCodeAt(i);
    if (backslashEscapes && d === Ch.Backslash) {
      i += 2;
      continue;
    }
    if (d === quote) {
      if (text.charCodeAt(i + 1) === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return to + 1; // marks "unterminated" for quotedToken
}

function quotedToken(kind: TokenKind, text: string, start: number, end: number, to: number, _quote: number): Token {
  if (end > to) return { kind, start, end: to, unterminated: true };
  return { kind, start, end };
}

function scanNumber(text: string, i: number, to: number): number {
  const c = text.charCodeAt(i);
  if (c === 48) {
    const x = text.charCodeAt(i + 1) | 0x20;
    if (x === 120 || x === 111 || x === 98) {
      // 0x.., 0o.., 0b..
      i += 2;
      while (i < to && (isTagPart(text.charCodeAt(i)))) i++;
      return i;
    }
  }
  while (i < to && (isDigit(text.charCodeAt(i)) || text.charCodeAt(i) === Ch.Underscore)) i++;
  if (text.charCodeAt(i) === Ch.Dot && text.charCodeAt(i + 1) !== Ch.Dot) {
    i++;
    while (i < to && (isDigit(text.charCodeAt(i)) || text.charCodeAt(i) === Ch.Underscore)) i++;
  }
  const e = text.charCodeAt(i) | 0x20;
  if (e === 101) {
    const sign = text.charCodeAt(i + 1);
    const first = sign === Ch.Plus || sign === Ch.Minus ? i + 2 : i + 1;
    if (isDigit(text.charCodeAt(first))) {
      i = first;
      while (i < to && isDigit(text.charCodeAt(i))) i++;
    }
  }
  return i;
}

/** Lower-cased text of a word token, for keyword comparisons. */
export function wordOf(text: string, token: Token): string {
  return text.slice(token.start, token.end).toLowerCase();
}

export function isComment(token: Token): boolean {
  return token.kind === 'line-comment' || token.kind === 'block-comment';
}

/** The identifier a token names: unquoted words fold to lower case; quoted identifiers keep case. */
export function identifierOf(text: string, token: Token): string | undefined {
  if (token.kind === 'word') return text.slice(token.start, token.end).toLowerCase();
  if (token.kind === 'quoted-ident' && !token.unterminated) {
    const raw = text.slice(token.start, token.end);
    const body = raw.startsWith('"') ? raw.slice(1, -1) : raw.slice(3, -1);
    return body.replace(/""/g, '"');
  }
  return undefined;
}
