// The one place where offsets change units.
//
// The engine works in UTF-16 code-unit offsets into the file text, because that is what a JavaScript
// string, an editor and LSP count. libpg-query reports node locations in UTF-8 bytes and error cursor
// positions in code points, relative to the statement text it was given. Everything that crosses that
// boundary goes through the functions here.

/** A half-open range of UTF-16 offsets into a file's text. */
export interface Span {
  start: number;
  end: number;
}

/** A zero-based line and UTF-16 column, as LSP counts them. */
export interface Position {
  line: number;
  character: number;
}

/** True when every code unit of `text` is ASCII, so bytes, code points and UTF-16 units coincide. */
export function isAscii(text: string): boolean {
  // A regular expression test is much faster than a loop in V8 for long strings.
  return !NON_ASCII.test(text);
}
const NON_ASCII = /[^\x00-\x7f]/;

/** Converts a UTF-8 byte offset within `text` into a UTF-16 offset within `text`. Clamps to the end. */
export function utf16FromUtf8(text: string, byteOffset: number, ascii = isAscii(text)): number {
  if (byteOffset <= 0) return 0;
  if (ascii) return Math.min(byteOffset, text.length);
  let bytes = 0;
  let i = 0;
  while (i < text.length && bytes < byteOffset) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      bytes += 1;
      i += 1;
    } else if (c < 0x800) {
      bytes += 2;
      i += 1;
    } else if (isPairAt(text, i, c)) {
      bytes += 4;
      i += 2;
    } else {
      // Three bytes, a lone surrogate too: the parser's encoder writes it as its own code point.
      bytes += 3;
      i += 1;
    }
  }
  return i;
}

/** Converts a code-point offset within `text` into a UTF-16 offset within `text`. Clamps to the end. */
export function utf16FromCodePoint(text: string, codePoint: number, ascii = isAscii(text)): number {
  if (codePoint <= 0) return 0;
  if (ascii) return Math.min(codePoint, text.length);
  let points = 0;
  let i = 0;
  while (i < text.length && points < codePoint) {
    const c = text.charCodeAt(i);
    i += isPairAt(text, i, c) ? 2 : 1;
    points++;
  }
  return i;
}

/**
 * Whether a surrogate pair starts at `i` (`c` is the code unit there). A lone surrogate (an editor's
 * edit can split a pair for a moment) is one code point of three UTF-8 bytes, as the parser's encoder
 * (Emscripten's, for text that is not well formed) writes it: counted as a pair with the unit after
 * it, every offset past it was one unit off.
 */
function isPairAt(text: string, i: number, c: number): boolean {
  if (c < 0xd800 || c > 0xdbff) return false;
  const next = text.charCodeAt(i + 1);
  return next >= 0xdc00 && next <= 0xdfff;
}

const LINE_BREAK = /\r\n?|\n/g;

/**
 * The end of the line that holds `offset` (before its break) and the start of the next line. A line
 * ends at \n, \r\n or a lone \r, as PostgreSQL's lexer, psql and LSP clients all count them: a file
 * saved with old Mac line endings is many lines, not one.
 */
export function lineBreakAfter(text: string, offset: number): { end: number; next: number } {
  LINE_BREAK.lastIndex = offset;
  const m = LINE_BREAK.exec(text);
  return m ? { end: m.index, next: m.index + m[0].length } : { end: text.length, next: text.length };
}

/** The line ending the file uses (its first one: \n, \r\n, or a lone \r as old Mac files have). */
export function eolOf(text: string): string {
  return /\r\n?|\n/.exec(text)?.[0] ?? '\n';
}

/** The start of the line that holds `offset` (lines as `lineBreakAfter` ends them). */
export function lineStartOf(text: string, offset: number): number {
  return Math.max(text.lastIndexOf('\n', offset - 1), text.lastIndexOf('\r', offset - 1)) + 1;
}

/** The 1-based line number of `offset` (lines as `lineBreakAfter` counts them), for messages. */
export function lineNumberAt(text: string, offset: number): number {
  return (text.slice(0, offset).match(LINE_BREAK)?.length ?? 0) + 1;
}

/** Line starts of a text, for offset <-> position conversion. Lines end at \n, \r\n or \r. */
export class LineIndex {
  readonly lineStarts: number[];

  constructor(readonly text: string) {
    // The breaks are found with indexOf, not a loop over each character: the CLI indexes every file
    // with findings, without V8's optimizing compiler, and a native search is ~10x faster there.
    const starts = [0];
    let lf = text.indexOf('\n');
    let cr = text.indexOf('\r');
    while (lf !== -1 || cr !== -1) {
      if (cr === -1 || (lf !== -1 && lf < cr)) {
        starts.push(lf + 1);
        lf = text.indexOf('\n', lf + 1);
      } else {
        // \r\n is one break; a lone \r is one too.
        const next = lf === cr + 1 ? cr + 2 : cr + 1;
        starts.push(next);
        if (lf === cr + 1) lf = text.indexOf('\n', next);
        cr = text.indexOf('\r', next);
      }
    }
    this.lineStarts = starts;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  positionAt(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid] <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low, character: clamped - this.lineStarts[low] };
  }

  offsetAt(position: Position): number {
    if (position.line < 0) return 0;
    if (position.line >= this.lineStarts.length) return this.text.length;
    const start = this.lineStarts[position.line];
    const end = this.lineEnd(position.line);
    return Math.min(start + Math.max(0, position.character), end);
  }

  /** Offset of the end of a line, before its line break. */
  lineEnd(line: number): number {
    const next = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] : this.text.length;
    let end = next;
    if (end > this.lineStarts[line] && this.text.charCodeAt(end - 1) === 10) end--;
    if (end > this.lineStarts[line] && this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }

  lineText(line: number): string {
    return this.text.slice(this.lineStarts[line], this.lineEnd(line));
  }
}
