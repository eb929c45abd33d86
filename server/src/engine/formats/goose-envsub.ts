// goose's ENVSUB as goose reads it (facts learned from goose's internal/sqlparser and its interpolation
// library, github.com/mfridman/interpolate; not their code).
//
// Which lines: goose reads a migration line by line. `-- +goose ENVSUB ON` turns substitution on for
// the lines after it and `-- +goose ENVSUB OFF` turns it off again, anywhere in the file (before Up,
// inside a StatementBegin block, between two lines of one statement). A line is substituted when
// substitution is on and goose keeps the line in a statement: annotation lines are not, nor are comment
// lines and empty lines before a statement starts (goose drops them), while a comment line inside a
// statement is. Lines of the other direction are substituted too (so a line goose cannot read stops
// either direction), but only the running direction's are sent.
//
// How a line is read: `${VAR}` and `$VAR` (a name starting with a letter, then letters, digits or
// `_`); `${VAR:-word}` (word when VAR is unset or empty), `${VAR-word}` (when unset), `${VAR?word}` (an
// error when unset), where word may hold further expansions (`${A:-${B}}`), read up to the `}` that
// closes the expansion; `${VAR:offset}`, `${VAR:offset:length}`. `$$` and `\$` are escapes for a
// single `$`, `\\` stays `\\`, `$(` stays, a `$` ending the line stays. Any other `$` (`$1`, `$ `,
// `${1}`, `${VAR:?x}`, an unclosed `${`) is an error, and goose fails the migration ("variable
// substitution failed"). So a dollar quote `$$` in a substituted line reaches PostgreSQL as `$`, and a
// function body fails (goose issue #347): the lint reports it, and the runner refuses to run it.

import type { Span } from '../model';
import { lex } from '../sql/lexer';
import { lastWordSemicolon } from './goose-cuts';

/** One piece of a substituted line, with its offsets in the file. */
export type EnvsubItem =
  | { kind: 'text'; start: number; end: number }
  /** `$$` or `\$`: goose writes `$`. */
  | { kind: 'escape'; start: number; end: number }
  | EnvsubExpansion;

export interface EnvsubExpansion {
  kind: 'expansion';
  start: number;
  end: number;
  name: string;
  /** Absent: `${VAR}` or `$VAR`. */
  operator?: ':-' | '-' | '?' | ':';
  /** The word of `:-`, `-` and `?`. */
  content?: EnvsubItem[];
  offset?: number;
  length?: number;
}

export type EnvsubLine = { items: EnvsubItem[] } | { error: string; at: number };

/**
 * The lines of `text` goose substitutes when it runs `direction`, as file spans (without their line
 * breaks), in the order goose reads them. Empty when the file never says ENVSUB ON.
 */
export function gooseEnvsubLines(text: string, direction: 'up' | 'down'): Span[] {
  const out: Span[] = [];
  if (!/^\s*--.*\+goose/im.test(text) || !/envsub/i.test(text)) return out;
  let envsub = false;
  let phase: 'start' | 'up' | 'down' = 'start';
  let block = false;
  // Whether goose holds part of a statement read from earlier lines (its buffer is not empty).
  let pending = false;
  for (let at = 0; at <= text.length; ) {
    const nl = text.indexOf('\n', at);
    const next = nl === -1 ? text.length + 1 : nl + 1;
    const end = nl === -1 ? text.length : nl > at && text[nl - 1] === '\r' ? nl - 1 : nl;
    const line = text.slice(at, end);
    const span = { start: at, end };
    at = next;
    if (nl === -1 && line === '') break;
    const trimmed = line.trim();
    if (phase === 'start' && trimmed === '') continue;
    if (trimmed.startsWith('--') && line.includes('+goose')) {
      const annotation = line.replace(/--/g, '').replace('+goose', '').trim().toLowerCase();
      if (annotation === 'up') phase = 'up';
      else if (annotation === 'down') phase = 'down';
      else if (annotation === 'statementbegin') block = true;
      else if (annotation === 'statementend') block = false;
      else if (annotation === 'envsub on') envsub = true;
      else if (annotation === 'envsub off') envsub = false;
      // StatementEnd ends the statement; Up and Down start with nothing pending.
      if (annotation === 'statementend' || annotation === 'up' || annotation === 'down') pending = false;
      continue;
    }
    if (!pending && (trimmed.startsWith('--') || line === '')) continue;
    if (phase === 'start') continue;
    if (envsub && phase === direction) out.push(span);
    // Lines of the other direction are dropped one by one: nothing stays pending.
    pending = phase === direction && (block || lastWordSemicolon(line, 0, line.length) === undefined);
  }
  return out;
}

/** Reads the line `text.slice(span.start, span.end)` as goose's interpolation does: its pieces, or the first error and where. */
export function readEnvsubLine(text: string, span: Span): EnvsubLine {
  const reader = new LineReader(text, span.start, span.end);
  try {
    return { items: reader.expression('') };
  } catch (error) {
    if (error instanceof EnvsubSyntaxError) return { error: error.message, at: error.at };
    throw error;
  }
}

class EnvsubSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

const LETTER = /\p{L}/u;
const NAME_CHAR = /[\p{L}\p{N}_]/u;

class LineReader {
  constructor(
    private readonly text: string,
    private pos: number,
    private readonly end: number,
  ) {}

  private peek(): string | undefined {
    if (this.pos >= this.end) return undefined;
    return String.fromCodePoint(this.text.codePointAt(this.pos)!);
  }

  private next(): string | undefined {
    const c = this.peek();
    if (c !== undefined) this.pos += c.length;
    return c;
  }

  private startsWith(s: string): boolean {
    return this.pos + s.length <= this.end && this.text.startsWith(s, this.pos);
  }

  /** Text and expansions up to one of `stop` (not consumed) or the end of the line. */
  expression(stop: string): EnvsubItem[] {
    const items: EnvsubItem[] = [];
    const text = (start: number) => {
      const last = items[items.length - 1];
      if (last?.kind === 'text' && last.end === start) last.end = this.pos;
      else items.push({ kind: 'text', start, end: this.pos });
    };
    for (;;) {
      const c = this.peek();
      if (c === undefined || stop.includes(c)) return items;
      const start = this.pos;
      if (this.startsWith('\\\\') || this.startsWith('$(')) {
        this.pos += 2;
        text(start);
      } else if (this.startsWith('\\$') || this.startsWith('$$')) {
        this.pos += 2;
        items.push({ kind: 'escape', start, end: this.pos });
      } else if (c === '$' && this.pos < this.end - 1) {
        items.push(this.expansion());
      } else {
        this.next();
        while (this.pos < this.end) {
          const d = this.peek()!;
          if (d === '$' || d === '\\' || stop.includes(d)) break;
          this.pos += d.length;
        }
        text(start);
      }
    }
  }

  private expansion(): EnvsubExpansion {
    const start = this.pos;
    this.pos++; // $
    if (this.peek() !== '{') return { kind: 'expansion', start, name: this.name(), end: this.pos };
    this.pos++; // {
    const name = this.name();
    if (this.peek() === '}') {
      this.pos++;
      return { kind: 'expansion', start, end: this.pos, name };
    }
    const at = this.pos;
    const op = this.next();
    let expansion: EnvsubExpansion;
    if (op === ':' && this.peek() === '-') {
      this.pos++;
      expansion = { kind: 'expansion', start, end: 0, name, operator: ':-', content: this.expression('}') };
    } else if (op === ':') {
      expansion = { kind: 'expansion', start, end: 0, name, operator: ':', ...this.substring() };
    } else if (op === '-' || op === '?') {
      expansion = { kind: 'expansion', start, end: 0, name, operator: op, content: this.expression('}') };
    } else {
      throw new EnvsubSyntaxError(`an operator (:-, -, ?, :) or } was expected after \${${name}, not ${op === undefined ? 'the end of the line' : `'${op}'`}`, at);
    }
    if (this.next() !== '}') throw new EnvsubSyntaxError(`\${${name}... is not closed by } on its line`, start);
    expansion.end = this.pos;
    return expansion;
  }

  private substring(): { offset: number; length?: number } {
    const number = (part: string) => {
      const from = this.pos;
      while (this.pos < this.end && !part.includes(this.text[this.pos])) this.pos++;
      const written = this.text.slice(from, this.pos).trim();
      // Go's strconv.Atoi: an optional sign and decimal digits.
      if (!/^[+-]?\d+$/.test(written)) throw new EnvsubSyntaxError(`'${written}' is not a number (in a substring expansion \${VAR:offset:length})`, from);
      return Number(written);
    };
    const offset = number(':}');
    if (this.peek() === '}') return { offset };
    this.next(); // :
    return { offset, length: number('}') };
  }

  private name(): string {
    const c = this.peek();
    if (c === undefined || !LETTER.test(c)) throw new EnvsubSyntaxError(`a variable name starting with a letter was expected after '${this.text.slice(this.pos - 1, this.pos)}', not ${c === undefined ? 'the end of the line' : `'${c}'`}`, this.pos);
    const start = this.pos;
    while (this.pos < this.end && NAME_CHAR.test(this.peek()!)) this.pos += this.peek()!.length;
    return this.text.slice(start, this.pos);
  }
}

/** Where goose's substitution changes a dollar quote's delimiter: the delimiter, and the piece of the line that changes it. */
export interface BrokenDollarQuote {
  /** The delimiter as written (`$$`, `$body$`). */
  delimiter: string;
  /** Its span in the file. */
  span: Span;
  item: EnvsubItem;
}

/**
 * The dollar quotes of `text[from, to)` (PostgreSQL's reading of the file as written) whose opening or
 * closing delimiter lies on a substituted line and is changed by goose (an escape `$$`, or `$tag` read
 * as a variable): one per dollar quote, at the first delimiter changed.
 */
export function brokenDollarQuotes(text: string, from: number, to: number, lines: readonly Span[]): BrokenDollarQuote[] {
  const out: BrokenDollarQuote[] = [];
  if (lines.length === 0) return out;
  const tokens = lex(text.slice(from, to)).filter((t) => t.kind === 'dollar-string');
  if (tokens.length === 0) return out;
  const items: EnvsubItem[] = [];
  for (const line of lines) {
    const read = readEnvsubLine(text, line);
    if ('items' in read) items.push(...read.items.filter((i) => i.kind !== 'text'));
  }
  for (const t of tokens) {
    const start = from + t.start;
    const end = from + t.end;
    const tagEnd = text.indexOf('$', start + 1) + 1;
    const delimiter = text.slice(start, tagEnd);
    const delimiters = [{ start, end: tagEnd }];
    if (!t.unterminated) delimiters.push({ start: end - delimiter.length, end });
    let found: BrokenDollarQuote | undefined;
    for (const d of delimiters) {
      const item = items.find((i) => i.start < d.end && d.start < i.end);
      if (item) {
        found = { delimiter, span: d, item };
        break;
      }
    }
    if (found) out.push(found);
  }
  return out;
}
