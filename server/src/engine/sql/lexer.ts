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
  | 'backslash' // a psql meta-command (to the end of the line, or a `\\` separator), or psql's `\;` / `\:`
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
  FF = 12,
  CR = 13,
  Space = 32,
  Bar = 124,
  Semicolon = 59,
  Quote = 39, // '
  DoubleQuote = 34, // "
  Dollar = 36,
  Ampersand = 38,
  Star = 42,
  Plus = 43,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Colon = 58,
  Backslash = 92,
  Underscore = 95,
}

// What an ASCII character can start; anything from 128 up starts a word.
const enum Start {
  Other = 0, // an 'unknown' token of one character
  Space,
  Word,
  Prefix, // E B X N U (either case): a word, or the prefix of a string or quoted identifier
  Digit,
  Quote,
  DoubleQuote,
  Dollar,
  Punct, // ( ) [ ] , ;
  Dot,
  Colon,
  Minus,
  Slash,
  Operator,
  Backslash,
}

const START = new Uint8Array(128);
for (const c of ' \t\n\r\f\v') START[c.charCodeAt(0)] = Start.Space;
for (let c = 65; c <= 90; c++) START[c] = START[c + 32] = Start.Word;
START[Ch.Underscore] = Start.Word;
for (const c of 'EBXNUebxnu') START[c.charCodeAt(0)] = Start.Prefix;
for (let c = 48; c <= 57; c++) START[c] = Start.Digit;
START[Ch.Quote] = Start.Quote;
START[Ch.DoubleQuote] = Start.DoubleQuote;
START[Ch.Dollar] = Start.Dollar;
for (const c of '()[],;') START[c.charCodeAt(0)] = Start.Punct;
START[Ch.Dot] = Start.Dot;
START[Ch.Colon] = Start.Colon;
for (const c of '+*<>=~!@#%^&|`?') START[c.charCodeAt(0)] = Start.Operator;
START[Ch.Minus] = Start.Minus;
START[Ch.Slash] = Start.Slash;
START[Ch.Backslash] = Start.Backslash;

// Runs are matched with sticky regular expressions and indexOf rather than loops over charCodeAt:
// the lint CLI runs JavaScript in V8's baseline tiers (--no-opt), where such a loop makes several
// calls per character, while regular expressions are compiled to native code all the same. A run is
// matched over the whole text and its end then cut back to `to`, which is where a loop bounded by
// `to` stops (numbers, whose parts are checked past `to`, are scanned again when they cross it).
// The tests keep the character loop this replaced as a reference (test/unit/lexer-reference.test.ts).
/** Whitespace: space, tab, LF, CR, form feed, vertical tab. */
const SPACES = /[ \t\n\r\f\v]*/y;
/** The rest of an unquoted identifier: letters, digits, underscore, `$`, and anything non-ASCII. */
const WORD_REST = /[0-9A-Za-z_$\u0080-\uffff]*/y;
/** A dollar-quote tag (without its `$`s; maybe empty): no `$`, and no digit first. */
const TAG = /(?:[A-Za-z_\u0080-\uffff][0-9A-Za-z_\u0080-\uffff]*)?/y;
const DIGITS = /[0-9]*/y;
/** The rest of a line, for line comments and psql meta-commands. */
const LINE_REST = /[^\n\r]*/y;
/** A psql meta-command's name: up to whitespace or a backslash (psql's space is space, tab, LF, CR, FF). */
const META_NAME = /[^ \t\n\r\f\\]*/y;
/** Plain characters of a meta-command's arguments: up to a quote, a backslash or the line end. */
const META_ARGS = /[^'"`\\\n\r]*/y;
/** The rest of an operator; a comment start (`--`, `/*`) ends it. */
const OPERATOR_REST = /(?:[+*<>=~!@#%^&|`?]|-(?!-)|\/(?!\*))*/y;
/** A number: 0x.., 0o.., 0b.. (and whatever word characters follow), or 1_000.5e-3, .5, 1. (not 1..2). */
const NUMBER = /0[xXoObB][0-9A-Za-z_\u0080-\uffff]*|[0-9_]*(?:\.(?!\.)[0-9_]*)?(?:[eE][+-]?[0-9]+)?/y;
/** The body of an E'' string up to its next quote or backslash. */
const ESCAPED_RUN = /[^'\\]*/y;
/** The next block-comment opening or closing. */
const COMMENT_MARK = /\/\*|\*\//g;

/** Where the sticky `re` matching at `i` (at most the text's length) ends; each above can match empty. */
function runEnd(re: RegExp, text: string, i: number): number {
  re.lastIndex = i;
  re.test(text);
  return re.lastIndex;
}

/**
 * Lexes `text` from `from` to `to` (default: all of it; the range is cut to the text). Whitespace is
 * skipped; comments are kept.
 */
export function lex(text: string, from = 0, to = text.length): Token[] {
  const tokens: Token[] = [];
  if (to > text.length) to = text.length;
  let i = from > 0 ? from : 0;
  while (i < to) {
    const c = text.charCodeAt(i);
    const start = i;
    switch (c < 128 ? START[c] : Start.Word) {
      case Start.Space: {
        // Most whitespace is one space between two tokens.
        const d = text.charCodeAt(i + 1);
        if (d < 128 && START[d] === Start.Space) {
          SPACES.lastIndex = i + 2;
          SPACES.test(text);
          i = SPACES.lastIndex;
        } else i++;
        continue;
      }
      case Start.Prefix: {
        const next = text.charCodeAt(i + 1);
        if (next === Ch.Quote) {
          // E'..' (backslash escapes), B'..', X'..', N'..'
          if ((c | 0x20) === 101) i = scanEscaped(text, i + 2, to);
          else if ((c | 0x20) !== 117) i = scanQuoted(text, i + 2, to, "'");
          else break; // U' is a word and a string
          tokens.push(i > to ? { kind: 'string', start, end: to, unterminated: true } : { kind: 'string', start, end: i });
          continue;
        }
        if (next === Ch.Ampersand && (c | 0x20) === 117) {
          // U&'..', U&".."
          const q = text.charCodeAt(i + 2);
          if (q === Ch.Quote || q === Ch.DoubleQuote) {
            const kind = q === Ch.Quote ? 'string' : 'quoted-ident';
            i = scanQuoted(text, i + 3, to, q === Ch.Quote ? "'" : '"');
            tokens.push(i > to ? { kind, start, end: to, unterminated: true } : { kind, start, end: i });
            continue;
          }
        }
        break;
      }
      case Start.Word:
        break;
      case Start.Punct:
        i++;
        tokens.push({ kind: 'punct', start, end: i });
        continue;
      case Start.Quote:
        i = scanQuoted(text, i + 1, to, "'");
        tokens.push(i > to ? { kind: 'string', start, end: to, unterminated: true } : { kind: 'string', start, end: i });
        continue;
      case Start.DoubleQuote:
        i = scanQuoted(text, i + 1, to, '"');
        tokens.push(i > to ? { kind: 'quoted-ident', start, end: to, unterminated: true } : { kind: 'quoted-ident', start, end: i });
        continue;
      case Start.Minus:
        if (text.charCodeAt(i + 1) === Ch.Minus) {
          i += 2;
          if (i < to) {
            i = runEnd(LINE_REST, text, i);
            if (i > to) i = to;
          }
          tokens.push({ kind: 'line-comment', start, end: i });
          continue;
        }
        i = operatorEnd(text, i, to);
        tokens.push({ kind: 'operator', start, end: i });
        continue;
      case Start.Slash:
        if (text.charCodeAt(i + 1) === Ch.Star) {
          // Block comments nest.
          let depth = 1;
          i += 2;
          COMMENT_MARK.lastIndex = i;
          while (depth > 0) {
            const mark = COMMENT_MARK.exec(text);
            if (mark === null || mark.index >= to) break;
            depth += text.charCodeAt(mark.index) === Ch.Slash ? 1 : -1;
            i = COMMENT_MARK.lastIndex;
          }
          if (depth > 0) {
            tokens.push({ kind: 'block-comment', start, end: to, unterminated: true });
            i = to;
          } else tokens.push({ kind: 'block-comment', start, end: Math.min(i, to) });
          continue;
        }
        i = operatorEnd(text, i, to);
        tokens.push({ kind: 'operator', start, end: i });
        continue;
      case Start.Operator:
        i = operatorEnd(text, i, to);
        tokens.push({ kind: 'operator', start, end: i });
        continue;
      case Start.Digit:
        i = numberEnd(text, i, to);
        tokens.push({ kind: 'number', start, end: i });
        continue;
      case Start.Dot:
        if (isDigit(text.charCodeAt(i + 1))) {
          i = numberEnd(text, i, to);
          tokens.push({ kind: 'number', start, end: i });
        } else {
          i++;
          tokens.push({ kind: 'punct', start, end: i });
        }
        continue;
      case Start.Colon:
        i += text.charCodeAt(i + 1) === Ch.Colon ? 2 : 1;
        tokens.push({ kind: 'punct', start, end: i });
        continue;
      case Start.Dollar: {
        if (isDigit(text.charCodeAt(i + 1))) {
          // $1
          i += 2;
          if (i < to) {
            i = runEnd(DIGITS, text, i);
            if (i > to) i = to;
          }
          tokens.push({ kind: 'param', start, end: i });
          continue;
        }
        // $tag$ or $$
        let j = i + 1;
        if (j < to) {
          j = runEnd(TAG, text, j);
          if (j > to) j = to;
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
      case Start.Backslash:
        // psql meta-command (\i, \set, \connect ...), as psql reads one: see metaCommandEnd.
        i = metaCommandEnd(text, i, to);
        tokens.push({ kind: 'backslash', start, end: i });
        continue;
      default:
        i++;
        tokens.push({ kind: 'unknown', start, end: i });
        continue;
    }
    // A word (the cases that break out of the switch).
    WORD_REST.lastIndex = i + 1;
    WORD_REST.test(text);
    i = WORD_REST.lastIndex;
    if (i > to) i = to;
    tokens.push({ kind: 'word', start, end: i });
  }
  return tokens;
}

/** psql meta-commands whose argument is the rest of the line, backslashes included (psql's OT_WHOLE_LINE). */
const WHOLE_LINE = new Set(['!', 'copy', 'ef', 'ev', 'sf', 'sf+', 'sv', 'sv+', 'h', 'help']);
/** Those whose argument, when it starts with `|`, is a shell command to the end of the line (OT_FILEPIPE). */
const FILE_PIPE = new Set(['g', 'gx', 'o', 'out', 'w', 'write']);

/**
 * Where the psql meta-command starting at the backslash at `i` ends, as psql reads one: the command
 * name runs to whitespace or a backslash; its arguments to the end of the line or an unquoted backslash
 * (which starts the next meta-command), where `'...'` (with `''` and backslash escapes), `"..."` and
 * `` `...` `` quote; a `\\` after them ends the meta-command and is part of it (SQL follows on the same
 * line). `\!`, `\copy`, `\ef`, `\ev`, `\sf`, `\sv` and `\help` take the rest of the line whole. `\;` and
 * `\:` are not meta-commands: psql puts a `;` (that does not end the statement) or a `:` (that starts
 * no variable) in the query; they are two-character tokens of this kind.
 */
function metaCommandEnd(text: string, i: number, to: number): number {
  const next = text.charCodeAt(i + 1);
  if (i + 1 < to && (next === Ch.Semicolon || next === Ch.Colon)) return i + 2;
  let j = runEnd(META_NAME, text, i + 1);
  if (j >= to) return to;
  const name = text.slice(i + 1, j);
  if (WHOLE_LINE.has(name)) return lineEnd(text, j, to);
  if (FILE_PIPE.has(name)) {
    let k = j;
    while (k < to && isBlank(text.charCodeAt(k))) k++;
    if (k < to && text.charCodeAt(k) === Ch.Bar) return lineEnd(text, k, to);
  }
  for (;;) {
    j = runEnd(META_ARGS, text, j);
    if (j >= to) return to;
    const c = text.charCodeAt(j);
    if (c === Ch.LF || c === Ch.CR) return j;
    if (c === Ch.Backslash) return j + 1 < to && text.charCodeAt(j + 1) === Ch.Backslash ? j + 2 : j;
    j = quotedArgumentEnd(text, j, to, c);
  }
}

/** The end of a quoted meta-command argument opening at `i`; an unclosed one ends with its line. */
function quotedArgumentEnd(text: string, i: number, to: number, quote: number): number {
  for (let k = i + 1; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c === Ch.LF || c === Ch.CR) return k;
    if (c === quote) {
      // '' in single quotes is a quote; "" ends one run and opens the next, which reads the same.
      if (quote === Ch.Quote && text.charCodeAt(k + 1) === Ch.Quote) k++;
      else return k + 1;
    } else if (c === Ch.Backslash && quote === Ch.Quote) {
      const d = text.charCodeAt(k + 1);
      if (d !== Ch.LF && d !== Ch.CR) k++;
    }
  }
  return to;
}

function lineEnd(text: string, i: number, to: number): number {
  const end = runEnd(LINE_REST, text, i);
  return end > to ? to : end;
}

/** Whitespace within a line, as psql skips it before an argument. */
function isBlank(c: number): boolean {
  return c === Ch.Space || c === Ch.Tab || c === Ch.FF;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function operatorEnd(text: string, i: number, to: number): number {
  const next = text.charCodeAt(i + 1);
  // Most operators are one character.
  if (!(next < 128) || START[next] < Start.Minus || START[next] > Start.Operator) return i + 1;
  const end = runEnd(OPERATOR_REST, text, i + 1);
  return end > to ? to : end;
}

/**
 * Scans a quoted run from `i`, just after its opening quote; a doubled quote is an escaped quote.
 * Returns the offset after the closing quote, or `to + 1` ("unterminated") when it does not close
 * before `to`.
 */
function scanQuoted(text: string, i: number, to: number, quote: string): number {
  for (;;) {
    const close = text.indexOf(quote, i);
    if (close === -1 || close >= to) return to + 1;
    if (text.charCodeAt(close + 1) !== quote.charCodeAt(0)) return close + 1;
    i = close + 2;
  }
}

/** `scanQuoted` for E'' strings, where a backslash also escapes the next character. */
function scanEscaped(text: string, i: number, to: number): number {
  while (i < to) {
    i = runEnd(ESCAPED_RUN, text, i);
    if (i >= to) break;
    if (text.charCodeAt(i) === Ch.Backslash) i += 2;
    else if (text.charCodeAt(i + 1) === Ch.Quote) i += 2;
    else return i + 1;
  }
  return to + 1;
}

function numberEnd(text: string, i: number, to: number): number {
  const end = runEnd(NUMBER, text, i);
  // Past `to`, the number is cut by the range: scan it again stopping there.
  return end <= to ? end : scanNumber(text, i, to);
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

/** Dollar-quote tag characters, which are also those of 0x.. numbers. */
function isTagPart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === Ch.Underscore || c >= 128 || isDigit(c);
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
