// Liquibase formatted SQL: a file starting `--liquibase formatted sql`, holding changesets
// (`--changeset author:id attr:value ...`), each followed by its SQL and its rollback, written as
// `--rollback <sql>` lines or a `/* liquibase rollback ... */` block. `--rollback not required` and
// `--rollback empty` declare that no rollback is needed. Each changeset, and its rollback, runs in a
// transaction unless it says `runInTransaction:false`.
//
// How Liquibase cuts a changeset into the statements it sends over JDBC (its StringUtil.isDelimiter;
// attributes read as its AbstractFormattedChangeLogParser reads them, the last one on the line wins):
// - by default at `;`, and at `GO` or `/` written at the start of a line (right after a line break);
// - `endDelimiter:X` of one character: at that character (`/` only at the start of a line);
// - `endDelimiter:X` of more: at a piece (a token) that is X, or that, with the whitespace before it,
//   matches X as a regular expression (both lower-cased, as Liquibase compares); an empty one never;
// - `splitStatements:false`: not at all, the changeset is one statement.
// `rollbackEndDelimiter` and `rollbackSplitStatements` do the same for the rollback (which does not
// inherit `endDelimiter`). A delimiter other than `;` is written `;` in the section's source, which ends
// the statement before it as the delimiter does (a `;` right before it makes an empty statement, which
// is dropped), and keeps every offset: the statement's span then ends with the delimiter. What Liquibase sends in one JDBC call, the PostgreSQL JDBC driver
// splits at its `;`s and sends in one round trip closed by a single Sync: in autocommit
// (`runInTransaction:false`) several statements in one call run as one implicit transaction. So a
// `runInTransaction:false` changeset that is one statement (`splitStatements:false`) is an `implicit`
// section, and the statements between two delimiters of a custom `endDelimiter` are one query string.
// Liquibase substitutes its changelog parameters (`${name}`) before it cuts: they are read as Flyway's
// placeholders are (sql/placeholders.ts `braces`).
// A `runWith:psql` changeset is run by psql (Liquibase Pro's native executor): its meta-commands and
// variables are psql's (sql/psql.ts), and psql, not Liquibase, splits it.
//
// The rollback SQL lives inside comments, so its section gets its own `source`: a copy of the file
// text of the same length where everything but the rollback SQL is blanked, which keeps offsets true.

import { basenameOf } from '../paths';
import type { FormatProblem, MigrationDocument, Section, TransactionMode } from '../model';
import { isComment, lex } from '../sql/lexer';
import { psqlScript } from '../sql/psql';
import { liquibaseCutInsideDollarQuote } from './liquibase-cuts';
import { lineBreakAfter, type Span } from '../text/offsets';
import { baseDocument, findMarkerLines, firstLineSpan, type FormatModule, nextLineStart, problem, section } from './common';

const HEADER = /^--\s*liquibase\s+formatted\s+sql\b/i;
const CHANGESET = /^--\s*changeset\s+(\S+?):(\S+)(.*)$/i;
const ROLLBACK_LINE = /^--\s*rollback\b ?(.*)$/i;
const ROLLBACK_BLOCK = /\/\*\s*liquibase\s+rollback\b([\s\S]*?)\*\//gi;

export const liquibase: FormatModule = {
  id: 'liquibase',
  name: 'Liquibase formatted SQL',
  supportsDown: true,
  hasMarkers: (text) => HEADER.test(text.trimStart()),
  describe(filePath, text): MigrationDocument {
    const doc = baseDocument(filePath, text, 'liquibase', true, 'migration');
    doc.description = basenameOf(filePath, '.sql');
    const changesets = findMarkerLines(text, CHANGESET);
    if (changesets.length === 0) {
      doc.problems.push(problem('migration-format', "A Liquibase formatted SQL file needs at least one '--changeset author:id' line.", firstLineSpan(text)));
    }
    for (let i = 0; i < changesets.length; i++) {
      const marker = changesets[i];
      const label = `${marker.match[1]}:${marker.match[2]}`;
      const line = text.slice(marker.span.start, marker.span.end);
      const attributes = parseAttributes(marker.match[3]);
      const dbms = attributes.get('dbms');
      if (dbms && !dbms.split(',').some((d) => /^(postgresql|all)$/i.test(d.trim()))) continue;
      const settings = changesetSettings(line);
      const start = nextLineStart(text, marker.span.end);
      const end = i + 1 < changesets.length ? changesets[i + 1].span.start : text.length;
      const body = { start: Math.min(start, end), end };
      const context: ChangesetContext = { text, label, marker: marker.span, problems: doc.problems, settings };
      const up = upSection(context, body);
      doc.sections.push(up);
      const down = rollbackSection(context, up);
      if (down) doc.sections.push(down);
    }
    return doc;
  },
};

/**
 * True when Liquibase sends the changeset whose `--changeset` line is `line` as one JDBC statement
 * (`splitStatements:false`, or an empty `endDelimiter`), so that with `runInTransaction:false` its
 * statements still run as one implicit transaction.
 */
/**
 * Where the `--liquibase formatted sql` line ends (before its line break) when the file starts with it,
 * blank lines aside: Liquibase reads that first line to know the format, so nothing may come before it.
 */
export function liquibaseHeaderEnd(text: string): number | undefined {
  const start = text.length - text.trimStart().length;
  HEADER_AT.lastIndex = start;
  return HEADER_AT.test(text) ? lineBreakAfter(text, start).end : undefined;
}
const HEADER_AT = /--\s*liquibase\s+formatted\s+sql\b/iy;

export function sendsChangesetWhole(line: string): boolean {
  const settings = changesetSettings(line);
  return !settings.splitStatements || settings.endDelimiter?.value === '';
}

/** A changeset's attributes that decide how Liquibase splits and runs it, read as Liquibase reads them. */
interface ChangesetSettings {
  runInTransaction: boolean;
  splitStatements: boolean;
  rollbackSplitStatements: boolean;
  /** As written, with its offset in the changeset line. */
  endDelimiter?: { value: string; at: number };
  rollbackEndDelimiter?: { value: string; at: number };
  psql: boolean;
}

interface ChangesetContext {
  text: string;
  label: string;
  marker: Span;
  problems: FormatProblem[];
  settings: ChangesetSettings;
}

/**
 * Liquibase's own readings of the changeset line (`.*name:(value).*`, case-insensitive, so the last
 * one wins; a boolean is true only when it says `true`). `splitStatements:` has no word boundary in
 * Liquibase's pattern: a later `rollbackSplitStatements:` is read as it too.
 */
function changesetSettings(line: string): ChangesetSettings {
  const last = (re: RegExp) => lastAttribute(line, re);
  const flag = (re: RegExp) => {
    const m = last(re);
    return m === undefined ? true : m[1].toLowerCase() === 'true';
  };
  const delimiter = (re: RegExp) => {
    const m = last(re);
    return m === undefined ? undefined : { value: m[1], at: m.index + m[0].length - m[1].length };
  };
  return {
    runInTransaction: flag(/runInTransaction:(\w+)/gi),
    splitStatements: flag(/splitStatements:(\w+)/gi),
    rollbackSplitStatements: flag(/rollbackSplitStatements:(\w+)/gi),
    endDelimiter: delimiter(/\bendDelimiter:(\S*)/gi),
    rollbackEndDelimiter: delimiter(/\brollbackEndDelimiter:(\S*)/gi),
    psql: /runWith:psql(?![\w${}])/i.test(line),
  };
}

/** The last match of `re` (global) in a changeset line: Liquibase reads an attribute as `.*name:(value).*`, so the last one wins. */
export function lastAttribute(line: string, re: RegExp): RegExpExecArray | undefined {
  let found: RegExpExecArray | undefined;
  for (const m of line.matchAll(re)) found = m as RegExpExecArray;
  return found;
}

/** Where Liquibase ends a statement (see the top of this file). */
type Delimiter =
  | { kind: 'default' }
  | { kind: 'none' }
  | { kind: 'char'; value: string }
  | { kind: 'regex'; value: string; pattern: RegExp };

/** The delimiter of the changeset (or of its rollback); a regular expression zdm cannot use is reported, and `;` used instead. */
function delimiterOf(context: ChangesetContext, split: boolean, written: { value: string; at: number } | undefined, attribute: string): Delimiter {
  if (!split) return { kind: 'none' };
  if (written === undefined) return { kind: 'default' };
  const value = written.value;
  if (value === '') return { kind: 'none' };
  if (value.length === 1) return { kind: 'char', value: value.toLowerCase() };
  let pattern: RegExp | undefined;
  let why = '';
  try {
    // Java's String.matches of the whitespace class and the delimiter, as one pattern: the whole text.
    new RegExp(value.toLowerCase());
    pattern = new RegExp(`^(?:[\\s\\n\\r]*${value.toLowerCase()})$`);
    if (pattern.test('')) why = 'it matches empty text, so Liquibase would end a statement at every piece of SQL';
  } catch (error) {
    why = `it is not a regular expression zdm can read (${error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/\w*: /, '') : String(error)})`;
  }
  if (why === '') return { kind: 'regex', value, pattern: pattern! };
  const start = context.marker.start + written.at;
  context.problems.push(
    problem(
      'migration-format',
      `The ${attribute} \`${value}\` of changeset ${context.label} cannot be used: ${why}. Liquibase matches an ${attribute} of more than one character as a regular expression.`,
      { start: start - attribute.length - 1, end: start + value.length },
      `zdm splits the ${attribute === 'endDelimiter' ? 'changeset' : 'rollback'} at \`;\` instead. Escape the characters a regular expression reads specially with a backslash, or use a delimiter of one character such as \`/\`.`,
    ),
  );
  return { kind: 'char', value: ';' };
}

/**
 * A `;` where Liquibase cuts the changeset (or its rollback) inside a dollar-quoted body
 * (liquibase-cuts.ts): PostgreSQL then receives the statement cut in two, and the changeset fails.
 */
function reportCutInsideDollarQuote(context: ChangesetContext, source: string, span: Span, delimiter: Delimiter, what: 'changeset' | 'rollback'): void {
  if (delimiter.kind !== 'default' && !(delimiter.kind === 'char' && delimiter.value === ';')) return;
  const at = liquibaseCutInsideDollarQuote(source, span);
  if (at === undefined) return;
  const attribute = what === 'changeset' ? 'splitStatements:false' : 'rollbackSplitStatements:false';
  // Sent whole, the changeset's statements reach PostgreSQL as they are; outside a transaction
  // (runInTransaction:false) they then run as one implicit transaction, which a review should see.
  const fix = { title: `Add ${attribute} to changeset ${context.label}`, edits: [{ span: { start: context.marker.end, end: context.marker.end }, newText: ` ${attribute}` }], safe: context.settings.runInTransaction };
  context.problems.push({
    ...problem(
      'migration-format',
      `Liquibase cuts ${what === 'changeset' ? 'changeset' : 'the rollback of changeset'} ${context.label} at this \`;\`, inside a dollar-quoted body: its splitter does not know dollar quotes (it leaves uncut only what lies between BEGIN and END words, and END IF or END LOOP counts as an END), so PostgreSQL receives the statement cut in two and the changeset fails ("unterminated dollar-quoted string").`,
      { start: at, end: at + 1 },
      `Add \`${attribute}\` to the \`--changeset\` line: Liquibase then sends the ${what} whole, and the PostgreSQL driver splits it where PostgreSQL does.`,
    ),
    fixes: [fix],
  });
}

/** The changeset's own statements: a psql script, or SQL Liquibase cuts at its delimiter. */
function upSection(context: ChangesetContext, body: Span): Section {
  const { text, settings } = context;
  const marker = context.marker;
  const label = context.label;
  if (settings.psql) {
    const script = psqlScript(text, body.start, body.end);
    const joined = script.queryStrings ? { queryStrings: script.queryStrings, queryStringSource: 'psql sends statements joined by `\\;` as one query string' } : {};
    const mode = settings.runInTransaction ? 'transaction' : 'none';
    const why = settings.runInTransaction ? 'Liquibase runs each changeset in a transaction' : '`runInTransaction:false` on the changeset';
    return section('up', body, mode, why, script.source, { marker, label, placeholders: 'psql', ...joined });
  }
  const delimiter = delimiterOf(context, settings.splitStatements, settings.endDelimiter, 'endDelimiter');
  reportCutInsideDollarQuote(context, text, body, delimiter, 'changeset');
  const cut = cutAtDelimiters(text, body, delimiter, (p) => p === body.start || lineBreakBefore(text, p));
  return changesetSection('up', context, body, cut, delimiter, settings.splitStatements ? 'an empty `endDelimiter`' : '`splitStatements:false`', { marker });
}

/**
 * A section Liquibase cuts at `delimiter`: its transaction mode, and the JDBC calls that hold several
 * statements. `unsplit` says what makes it one JDBC statement when the delimiter is `none`.
 */
function changesetSection(kind: 'up' | 'down', context: ChangesetContext, span: Span, cut: Cut, delimiter: Delimiter, unsplit: string, extra: Partial<Section>): Section {
  const { settings, label } = context;
  const what = kind === 'down' ? 'rollback' : 'changeset';
  if (settings.runInTransaction) {
    const why = kind === 'down' ? 'Liquibase runs each rollback in a transaction' : 'Liquibase runs each changeset in a transaction';
    return section(kind, span, 'transaction', why, cut.source, { label, placeholders: 'braces', ...extra });
  }
  const outside = kind === 'down' ? '`runInTransaction:false` on the changeset (its rollback runs outside a transaction too)' : '`runInTransaction:false` on the changeset';
  const of = kind === 'down' ? 'the rollback of ' : '';
  if (cut.whole) {
    const why =
      delimiter.kind === 'none'
        ? `Liquibase sends ${of}a \`runInTransaction:false\` changeset with ${unsplit} in one JDBC call, whose statements the PostgreSQL driver sends as one query`
        : `Liquibase sends ${of}a \`runInTransaction:false\` changeset whose \`${'value' in delimiter ? delimiter.value : ''}\` delimiter never occurs in one JDBC call, whose statements the PostgreSQL driver sends as one query`;
    return section(kind, span, 'implicit', why, cut.source, { label, placeholders: 'braces', ...extra });
  }
  const joined =
    cut.pieces.length === 0
      ? {}
      : {
          queryStrings: cut.pieces,
          queryStringSource: `Liquibase sends what lies between two \`${'value' in delimiter ? delimiter.value : ''}\` delimiters of the ${what} in one JDBC call, whose statements the PostgreSQL driver sends as one query`,
          queryStringSeparator: cut.separator,
        };
  return section(kind, span, 'none', outside, cut.source, { label, placeholders: 'braces', ...joined, ...extra });
}

/** A section's source with Liquibase's delimiters written `;`, and the spans Liquibase sends as one statement each. */
interface Cut {
  source: string;
  /** Liquibase sends the whole section as one statement (`splitStatements:false`, or a delimiter that never occurs). */
  whole: boolean;
  /** Custom delimiters: what lies between two, from its first token to the end of the delimiter after it (or the end). */
  pieces: Span[];
  /** The first delimiter as written: on a line of its own, it ends a piece. */
  separator?: string;
}

/**
 * Cuts `span` of `source` (the file text, or a rollback's blanked copy of it) at `delimiter`. The
 * default delimiter is looked for only when a line starts with `GO` or `/`: `;` needs no change.
 * `lineStart(p)` says whether a piece at `p` follows a line break in the SQL Liquibase reads (or starts it).
 */
function cutAtDelimiters(source: string, span: Span, delimiter: Delimiter, lineStart: (p: number) => boolean): Cut {
  if (delimiter.kind === 'none') return { source, whole: true, pieces: [] };
  if (delimiter.kind === 'default' && !DEFAULT_AT_LINE_START.test(source.slice(span.start, span.end))) return { source, whole: false, pieces: [] };
  if (delimiter.kind === 'char' && delimiter.value === ';') return { source, whole: false, pieces: [] };
  const found: Span[] = [];
  // Where each piece starts: its first token (comments included).
  const starts: number[] = [];
  let open = true;
  const tokens = lex(source, span.start, span.end);
  let previousEnd = -1;
  let previousText = 'null'; // Liquibase's previous piece of the first one: null, written out by Java's string concatenation
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    const piece = source.slice(t.start, t.end);
    // The piece before this one: the whitespace before it, else the token before it.
    const before = previousEnd === -1 ? previousText : previousEnd < t.start ? source.slice(previousEnd, t.start) : previousText;
    previousEnd = t.end;
    previousText = piece;
    if (open) starts.push(t.start);
    open = false;
    if (isComment(t)) continue;
    const at = delimiterAt(source, tokens, k, piece, before, delimiter, lineStart);
    if (at === undefined) continue;
    found.push(at);
    open = true;
    if (at.end > t.end) {
      // A delimiter written as several tokens (`//`): go on after it.
      while (k + 1 < tokens.length && tokens[k + 1].start < at.end) k++;
      previousEnd = at.end;
      previousText = source.slice(at.start, at.end);
    }
  }
  // Found none, the section is one JDBC statement (the default's pieces are its statements).
  if (found.length === 0) return { source, whole: delimiter.kind !== 'default', pieces: [] };
  let out = '';
  let last = 0;
  const pieces: Span[] = [];
  for (let i = 0; i < found.length; i++) {
    const d = found[i];
    // The `;` goes last, so that the statement it ends spans the whole delimiter.
    out += source.slice(last, d.start) + source.slice(d.start, d.end - 1).replace(/[^\r\n]/g, ' ') + ';';
    last = d.end;
    pieces.push({ start: starts[i], end: d.end });
  }
  if (starts.length > found.length) pieces.push({ start: starts[found.length], end: span.end });
  const cut = { source: out + source.slice(last), whole: false, separator: source.slice(found[0].start, found[0].end) };
  return delimiter.kind === 'default' ? { ...cut, pieces: [] } : { ...cut, pieces };
}

/**
 * A line starting with `GO` or `/` (not `/*`), maybe after blanks (a rollback line's blanked
 * `--rollback `): only then can the default delimiter be other than `;`.
 */
const DEFAULT_AT_LINE_START = /^[ \t]*(?:\/(?!\*)|go(?![A-Za-z0-9_$#@]))/im;

/** The delimiter at token `k`, if it is one. */
function delimiterAt(source: string, tokens: readonly { start: number; end: number; kind: string }[], k: number, piece: string, before: string, delimiter: Delimiter, lineStart: (p: number) => boolean): Span | undefined {
  const t = tokens[k];
  switch (delimiter.kind) {
    case 'default':
      if (!lineStart(t.start)) return undefined;
      if (t.kind === 'word' && piece.toLowerCase() === 'go') return { start: t.start, end: t.end };
      if (t.kind === 'operator' && piece.startsWith('/')) return { start: t.start, end: t.start + 1 };
      return undefined;
    case 'char':
      if (delimiter.value === '/') return t.kind === 'operator' && piece.startsWith('/') && lineStart(t.start) ? { start: t.start, end: t.start + 1 } : undefined;
      return piece.toLowerCase() === delimiter.value ? { start: t.start, end: t.end } : undefined;
    case 'regex': {
      // Liquibase first joins adjacent pieces that together spell the delimiter (`//`).
      let end = t.end;
      let joined = piece;
      for (let j = k + 1; j < tokens.length && delimiter.value.startsWith(joined) && joined !== delimiter.value && tokens[j].start === end; j++) {
        joined += source.slice(tokens[j].start, tokens[j].end);
        end = tokens[j].end;
      }
      if (joined === delimiter.value) return { start: t.start, end };
      if (piece.toLowerCase() === delimiter.value.toLowerCase() || delimiter.pattern.test((before + piece).toLowerCase())) return { start: t.start, end: t.end };
      return undefined;
    }
    default:
      return undefined;
  }
}

/** True when the character before `p` (past a carriage return) is a line break. */
function lineBreakBefore(text: string, p: number): boolean {
  let q = p - 1;
  while (q >= 0 && text.charCodeAt(q) === 13) q--;
  return q >= 0 && text.charCodeAt(q) === 10;
}

/** Liquibase rollback statements are comments: build a blanked source holding only them, cut at the rollback's delimiter. */
function rollbackSection(context: ChangesetContext, up: Section): Section | undefined {
  const { text, label, settings } = context;
  const body = text.slice(up.span.start, up.span.end);
  const pieces: { start: number; end: number }[] = [];
  let declaredNone = false;
  for (const line of findMarkerLines(body, ROLLBACK_LINE)) {
    const sql = line.match[1];
    if (/^\s*(not\s+required|empty)\s*$/i.test(sql)) {
      declaredNone = true;
      continue;
    }
    const start = up.span.start + line.span.start + line.match[0].length - sql.length;
    pieces.push({ start, end: up.span.start + line.span.end });
  }
  ROLLBACK_BLOCK.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ROLLBACK_BLOCK.exec(body)) !== null) {
    const start = up.span.start + m.index + m[0].indexOf(m[1]);
    pieces.push({ start, end: start + m[1].length });
  }
  if (pieces.length === 0 && !declaredNone) return undefined;
  const chars = text.replace(/[^\r\n]/g, ' ').split('');
  for (const p of pieces) for (let i = p.start; i < p.end; i++) chars[i] = text[i];
  const blanked = chars.join('');
  pieces.sort((a, b) => a.start - b.start);
  const span = pieces.length > 0 ? { start: pieces[0].start, end: pieces[pieces.length - 1].end } : { start: up.span.end, end: up.span.end };
  const extra: Partial<Section> = { declaredEmpty: declaredNone && pieces.length === 0 };
  if (settings.psql) {
    const script = psqlScript(blanked, span.start, span.end);
    const mode: TransactionMode = settings.runInTransaction ? 'transaction' : 'none';
    const why = settings.runInTransaction ? 'Liquibase runs each rollback in a transaction' : '`runInTransaction:false` on the changeset (its rollback runs outside a transaction too)';
    const joined = script.queryStrings ? { queryStrings: script.queryStrings, queryStringSource: 'psql sends statements joined by `\\;` as one query string' } : {};
    return section('down', span, mode, why, script.source, { label, placeholders: 'psql', ...joined, ...extra });
  }
  // A piece of rollback SQL starts a line of the SQL Liquibase reads: it joins `--rollback` lines with line breaks.
  const starts = new Set(pieces.map((p) => p.start));
  const delimiter = delimiterOf(context, settings.rollbackSplitStatements, settings.rollbackEndDelimiter, 'rollbackEndDelimiter');
  reportCutInsideDollarQuote(context, blanked, span, delimiter, 'rollback');
  const cut = cutAtDelimiters(blanked, span, delimiter, (p) => starts.has(p) || lineBreakBefore(blanked, p));
  return changesetSection('down', context, span, cut, delimiter, settings.rollbackSplitStatements ? 'an empty `rollbackEndDelimiter`' : '`rollbackSplitStatements:false`', extra);
}

function parseAttributes(rest: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of rest.matchAll(/([A-Za-z]+):("[^"]*"|\S+)/g)) out.set(m[1].toLowerCase(), m[2].replace(/^"|"$/g, '').toLowerCase());
  return out;
}
