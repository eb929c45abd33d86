// The lexer against a reference: the straightforward character-by-character lexer it replaced, kept
// here unchanged in behaviour. The lexer scans runs with sticky regular expressions and indexOf for
// speed (see lexer.ts); every token (kind, start, end, unterminated) must be the reference's, for
// odd inputs written by hand and for random ones, over whole texts and over random ranges of them.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lex, type Token, type TokenKind } from '../../server/src/engine/sql/lexer';

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdentStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
const isIdentPart = (c: number) => isIdentStart(c) || isDigit(c) || c === 36;
const isTagPart = (c: number) => isIdentStart(c) || isDigit(c);
const OPERATOR_CHARS = new Set([...'+-*/<>=~!@#%^&|`?'].map((c) => c.charCodeAt(0)));

function referenceLex(text: string, from = 0, to = text.length): Token[] {
  const tokens: Token[] = [];
  const at = (k: number) => text.charCodeAt(k);
  const push = (kind: TokenKind, start: number, end: number) => tokens.push({ kind, start, end });
  const pushQuoted = (kind: TokenKind, start: number, end: number) => tokens.push(end > to ? { kind, start, end: to, unterminated: true } : { kind, start, end });
  const untilLineEnd = (k: number) => {
    while (k < to && at(k) !== 10 && at(k) !== 13) k++;
    return k;
  };
  const scanQuoted = (open: number, quote: number, backslashEscapes: boolean) => {
    let k = open + 1;
    while (k < to) {
      const d = at(k);
      if (backslashEscapes && d === 92) k += 2;
      else if (d === quote && at(k + 1) === quote) k += 2;
      else if (d === quote) return k + 1;
      else k++;
    }
    return to + 1;
  };
  // A psql meta-command: its name to whitespace or a backslash, then arguments to the line end or an
  // unquoted backslash (a following second backslash is eaten), with quoted arguments; a few commands
  // take the whole line. \; and \: are two characters.
  const metaEnd = (i: number) => {
    if (i + 1 < to && (at(i + 1) === 59 || at(i + 1) === 58)) return i + 2;
    let j = i + 1;
    while (j < to && ![32, 9, 10, 13, 12, 92].includes(at(j))) j++;
    if (j >= to) return to;
    const name = text.slice(i + 1, j);
    if (['!', 'copy', 'ef', 'ev', 'sf', 'sf+', 'sv', 'sv+', 'h', 'help'].includes(name)) return untilLineEnd(j);
    if (['g', 'gx', 'o', 'out', 'w', 'write'].includes(name)) {
      let k = j;
      while (k < to && [32, 9, 12].includes(at(k))) k++;
      if (k < to && at(k) === 124) return untilLineEnd(k);
    }
    while (j < to) {
      const c = at(j);
      if (c === 10 || c === 13) return j;
      if (c === 92) return j + 1 < to && at(j + 1) === 92 ? j + 2 : j;
      if (c !== 39 && c !== 34 && c !== 96) {
        j++;
        continue;
      }
      j++;
      let closed = false;
      while (j < to && !closed) {
        const d = at(j);
        if (d === 10 || d === 13) break;
        if (d === c && c === 39 && at(j + 1) === 39) j += 2;
        else if (d === c) (j++, (closed = true));
        else if (d === 92 && c === 39 && at(j + 1) !== 10 && at(j + 1) !== 13) j += 2;
        else j++;
      }
    }
    return to;
  };
  let i = from;
  while (i < to) {
    const c = at(i);
    const start = i;
    if (isSpace(c)) i++;
    else if (c === 45 && at(i + 1) === 45) push('line-comment', start, (i = untilLineEnd(i + 2)));
    else if (c === 47 && at(i + 1) === 42) {
      let depth = 1;
      i += 2;
      while (i < to && depth > 0) {
        if (at(i) === 47 && at(i + 1) === 42) (depth++, (i += 2));
        else if (at(i) === 42 && at(i + 1) === 47) (depth--, (i += 2));
        else i++;
      }
      tokens.push(depth > 0 ? { kind: 'block-comment', start, end: Math.min(i, to), unterminated: true } : { kind: 'block-comment', start, end: Math.min(i, to) });
    } else if ((c === 69 || c === 101) && at(i + 1) === 39) pushQuoted('string', start, (i = scanQuoted(i + 1, 39, true)));
    else if ([66, 98, 88, 120, 78, 110].includes(c) && at(i + 1) === 39) pushQuoted('string', start, (i = scanQuoted(i + 1, 39, false)));
    else if ((c === 85 || c === 117) && at(i + 1) === 38 && (at(i + 2) === 39 || at(i + 2) === 34)) {
      pushQuoted(at(i + 2) === 39 ? 'string' : 'quoted-ident', start, (i = scanQuoted(i + 2, at(i + 2), false)));
    } else if (isIdentStart(c)) {
      i++;
      while (i < to && isIdentPart(at(i))) i++;
      push('word', start, i);
    } else if (c === 39) pushQuoted('string', start, (i = scanQuoted(i, 39, false)));
    else if (c === 34) pushQuoted('quoted-ident', start, (i = scanQuoted(i, 34, false)));
    else if (c === 36 && isDigit(at(i + 1))) {
      i += 2;
      while (i < to && isDigit(at(i))) i++;
      push('param', start, i);
    } else if (c === 36) {
      let j = i + 1;
      if (j < to && isTagPart(at(j)) && !isDigit(at(j))) while (j < to && isTagPart(at(j))) j++;
      if (at(j) === 36) {
        const tag = text.slice(i, j + 1);
        const close = text.indexOf(tag, j + 1);
        if (close === -1 || close + tag.length > to) tokens.push({ kind: 'dollar-string', start, end: (i = to), unterminated: true });
        else push('dollar-string', start, (i = close + tag.length));
      } else push('unknown', start, ++i);
    } else if (isDigit(c) || (c === 46 && isDigit(at(i + 1)))) {
      const x = at(i + 1) | 0x20;
      if (c === 48 && (x === 120 || x === 111 || x === 98)) {
        i += 2;
        while (i < to && isTagPart(at(i))) i++;
      } else {
        while (i < to && (isDigit(at(i)) || at(i) === 95)) i++;
        if (at(i) === 46 && at(i + 1) !== 46) {
          i++;
          while (i < to && (isDigit(at(i)) || at(i) === 95)) i++;
        }
        if ((at(i) | 0x20) === 101) {
          const first = at(i + 1) === 43 || at(i + 1) === 45 ? i + 2 : i + 1;
          if (isDigit(at(first))) {
            i = first;
            while (i < to && isDigit(at(i))) i++;
          }
        }
      }
      push('number', start, i);
    } else if (c === 58) push('punct', start, (i += at(i + 1) === 58 ? 2 : 1));
    else if ([40, 41, 44, 59, 46, 91, 93].includes(c)) push('punct', start, ++i);
    else if (c === 92) push('backslash', start, (i = Math.min(metaEnd(i), to)));
    else if (OPERATOR_CHARS.has(c)) {
      i++;
      while (i < to && OPERATOR_CHARS.has(at(i)) && !(at(i) === 45 && at(i + 1) === 45) && !(at(i) === 47 && at(i + 1) === 42)) i++;
      push('operator', start, i);
    } else push('unknown', start, ++i);
  }
  return tokens;
}

/** Deterministic pseudo-random numbers (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = [
  ...`' '' " "" $ $$ $a$ $tag1$ $1 $_x -- /* */ / * - + < > = ! ~ @ # % ^ & | \` ? E' e' U& u& B' X' N' n' x' b' \\ \\' \\\\ \\i \\; \\: \\set \\g \\copy \\! \\echo . .. : :: ; , ( ) [ ] { } 0 1 9 0x 0o 0b 1_000 1e 1e+ e- E+5 1.5 _ a z A Z select SELECT $body$`.split(' '),
  ' ',
  '  ',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '\f',
  '\v',
  'é',
  '😀',
  '\ud800',
  '\udc00',
  '\u00a0',
  '\ufeff',
  'ß',
];

function randomText(next: () => number): string {
  let text = '';
  const length = Math.floor(next() * 24);
  for (let k = 0; k < length; k++) text += FRAGMENTS[Math.floor(next() * FRAGMENTS.length)];
  return text;
}

const ODD = [
  '',
  ' ',
  "select 'it''s', E'a\\'b\\\\', e'\\'', E'x\\",
  "E'unterminated\\'",
  "'a''",
  "''''",
  '"My ""T""" U&"x" u&"y"" U&\'d\\0061\' U& U&x u&\' U\'x\'',
  "B'01' b'1' X'ff' x'F' N'n' n'' B X N E",
  '/* a /* b */ c */ x /* /* */ y',
  '/*/ x */ /**/ /*** / **/ */ /*',
  '-- tail\ry\r\nz --\n--',
  'a +-- c\nb */* x */ -/* y */ +- -+ ---x <>= !== @@ ||/ /** */ ~*',
  '$$a;b$$ $fn$ x $$ y $fn$ $1 $12a a$b $_1$ x $_1$ $1$ $a1$a1$ $ab $$ $',
  '$a$ unterminated $b$',
  '0x1F 0XfF 0o17 0b101 0xg_z 1_000 1e+5 1E-5 1e 1e+ 1e+x 1..2 1.2.3 .5 . .x 1.e5 12._3 0_x 00x 1a',
  ':: : ::: a::b [1:2] (a,b);',
  '\\i file.sql\nselect 1; \\set x 1\r\\connect db',
  "\\set ON_ERROR_STOP 1\nSELECT 1 \\gset\n\\x \\\\ SELECT 2; \\echo 'a \\\\ b''c\\'' \\\\ x\n\\echo \"q\\\\\" `cmd \\\\` \\\\",
  "SELECT 1 \\; SELECT 2; SELECT \\:x; \\;\\: \\",
  "\\copy t from 'f' \\\\ x\n\\! ls \\\\\n\\sf+ f \\\\\n\\g |cat \\\\\n\\g  \\\\ SELECT\n\\o |x\r\\w f \\\\",
  "\\echo 'unclosed \\\n SELECT 1;\n\\echo \"unclosed\nx\\",
  'séléct 名前 ß😀 \ud800 \udc00x \u00a0 \ufeff',
  'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;',
  '{ } ` ? ^ # % & | ~ ! @',
];

function assertSame(text: string, from?: number, to?: number): void {
  const actual = lex(text, from, to);
  const expected = referenceLex(text, from, to);
  assert.deepEqual(actual, expected, `lex(${JSON.stringify(text)}, ${from}, ${to})`);
}

describe('lexer against its reference', () => {
  it('lexes odd inputs, whole and in every range', () => {
    for (const text of ODD) {
      assertSame(text);
      for (let from = 0; from <= text.length; from++) for (let to = from; to <= text.length; to++) assertSame(text, from, to);
    }
  });

  it('lexes random inputs, whole and in random ranges', () => {
    const next = random(20260126);
    for (let n = 0; n < 20000; n++) {
      const text = randomText(next);
      assertSame(text);
      const a = Math.floor(next() * (text.length + 1));
      const b = Math.floor(next() * (text.length + 1));
      assertSame(text, Math.min(a, b), Math.max(a, b));
      assertSame(text, 0, b);
    }
  });
});
