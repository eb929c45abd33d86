// Placeholders a migration tool substitutes before the server sees a script:
// - `braces`: Flyway's `${name}` (on by default, `${flyway:defaultSchema}` and the project's own),
//   Liquibase's changelog parameters, and goose's `${VAR}` under `-- +goose ENVSUB ON` (and its `$VAR`,
//   read as `_VAR`), only on the lines goose substitutes: elsewhere goose sends them as written;
// - `psql`: psql's variables in a script psql runs (sqitch; Liquibase `runWith:psql`): `:name`,
//   `:'name'` (a quoted literal), `:"name"` (a quoted identifier) and `:{?name}` (TRUE or FALSE), outside
//   quotes, dollar quotes and comments. `::` (a cast) and `:=` are not variables, nor is a bare `:name`
//   inside square brackets (an array slice, `a[1:n]`).
// PostgreSQL's grammar knows none of them, so a statement holding one would be a syntax error and go
// unlinted. The parser reads each as an identifier or literal of the same length instead (`${x}` as
// `"{x"`, `:x` as `_x`, `:'x'` as `':x'`, `:"x"` as `":x"`, `:{?x}` as `":?x"`), which keeps every
// offset, and what the rules then say (messages, generated SQL) shows them as written again.

import type { Section } from '../model';
import { lex } from './lexer';
import { parseStatement, type ParseOutcome } from './parser';

export type PlaceholderSyntax = 'braces' | 'psql';

// A `${`, then text without `"` or a line break up to its `}`; one level of `${...}` inside (goose's
// nested default, `${A:-${B}}`) is part of it.
const PLACEHOLDER = /\$\{((?:[^$}"\n]|\$\{[^}"\n]*\}|\$(?!\{))*)\}/g;
const MASKED = /"\{([^"\n]*)"/g;

/**
 * `text` with each `${name}` written `"{name"`: the same length, and an identifier to the parser. With
 * `substituted`, only those at an offset of `text` it accepts (goose: on a line under ENVSUB ON).
 */
export function maskPlaceholders(text: string, substituted?: (offset: number) => boolean): string {
  if (!substituted) return text.replace(PLACEHOLDER, '"{$1"');
  return text.replace(PLACEHOLDER, (whole: string, inner: string, offset: number) => (substituted(offset) ? `"{${inner}"` : whole));
}

/** The placeholders of a masked text (or SQL built from its names) as they were written. */
export function unmaskPlaceholders(text: string): string {
  return text.includes('"{') ? text.replace(MASKED, '$${$1}') : text;
}

/** psql's variable_char: ASCII letters, digits, underscore, and any non-ASCII character. */
const NAME = '[A-Za-z0-9_\\u0080-\\uffff]+';
/** A psql variable reference at a colon: `:'name'`, `:"name"`, `:{?name}` or `:name`. */
const VARIABLE = new RegExp(`:(?:'(${NAME})'|"(${NAME})"|\\{\\?(${NAME})\\}|(${NAME}))`, 'y');

/** The psql variables of `text` (a statement), as [start, end, mask] in order (the runner substitutes them for sqitch). */
export function psqlVariables(text: string): [number, number, string][] {
  const out: [number, number, string][] = [];
  if (!text.includes(':')) return out;
  const tokens = lex(text);
  let brackets = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind !== 'punct') continue;
    const c = text.charCodeAt(t.start);
    if (c === 91) brackets++;
    else if (c === 93) brackets = Math.max(0, brackets - 1);
    else if (c === 58 && t.end - t.start === 1) {
      VARIABLE.lastIndex = t.start;
      const m = VARIABLE.exec(text);
      if (m === null) continue;
      const end = t.start + m[0].length;
      if (m[1] !== undefined) out.push([t.start, end, `':${m[1]}'`]);
      else if (m[2] !== undefined) out.push([t.start, end, `":${m[2]}"`]);
      else if (m[3] !== undefined) out.push([t.start, end, `":?${m[3]}"`]);
      else if (brackets === 0) out.push([t.start, end, `_${m[4]}`]);
    }
  }
  return out;
}

/** What a psql variable's mask (psqlVariables) stands for: its name and how psql writes its value. */
export function psqlVariableOf(mask: string): { name: string; form: 'value' | 'literal' | 'identifier' | 'defined' } {
  if (mask.startsWith("':")) return { name: mask.slice(2, -1), form: 'literal' };
  if (mask.startsWith('":?')) return { name: mask.slice(3, -1), form: 'defined' };
  if (mask.startsWith('":')) return { name: mask.slice(2, -1), form: 'identifier' };
  return { name: mask.slice(1), form: 'value' };
}

/** `text` with its psql variables written as identifiers and literals of the same length (see the top). */
export function maskPsqlVariables(text: string): string {
  const variables = psqlVariables(text);
  if (variables.length === 0) return text;
  let out = '';
  let last = 0;
  for (const [start, end, mask] of variables) {
    out += text.slice(last, start) + mask;
    last = end;
  }
  return out + text.slice(last);
}

/** The names of the bare `:name` variables of `text`, as written. */
export function psqlVariableNames(text: string): string[] {
  return psqlVariables(text)
    .filter(([, , mask]) => mask.startsWith('_'))
    .map(([, , mask]) => mask.slice(1));
}

/**
 * The psql variables of a masked text (or SQL built from its names) as they were written. A bare
 * `:name` became an ordinary identifier (`_name`, which the parser folds to lower case): only the names
 * in `names` (the file's own, as written) are turned back.
 */
export function unmaskPsqlVariables(text: string, names: ReadonlyMap<string, string>): string {
  let out = text;
  if (out.includes("':")) out = out.replace(new RegExp(`':(${NAME})'`, 'g'), ":'$1'");
  if (out.includes('":')) out = out.replace(new RegExp(`":\\?(${NAME})"`, 'g'), ':{?$1}').replace(new RegExp(`":(${NAME})"`, 'g'), ':"$1"');
  if (names.size > 0 && out.includes('_')) {
    out = out.replace(new RegExp(`(?<![A-Za-z0-9_$\\u0080-\\uffff])_(${NAME})`, 'g'), (whole, name: string) => {
      const written = names.get(name.toLowerCase());
      return written === undefined ? whole : `:${written}`;
    });
  }
  return out;
}

/**
 * goose's `$NAME` (a variable without braces, substituted under ENVSUB): a `$` that PostgreSQL's lexer
 * reads alone, right before a word starting with a letter; never inside a string, a quoted name, a
 * dollar quote or a comment. As [offset of the `$`, name].
 */
export function dollarVariables(text: string): [number, string][] {
  const out: [number, string][] = [];
  if (!text.includes('$')) return out;
  const tokens = lex(text);
  for (let k = 0; k + 1 < tokens.length; k++) {
    const t = tokens[k];
    const next = tokens[k + 1];
    if (t.kind !== 'unknown' || t.end - t.start !== 1 || text.charCodeAt(t.start) !== 36 || next.kind !== 'word' || next.start !== t.end) continue;
    const name = text.slice(next.start, next.end);
    if (/^\p{L}/u.test(name)) out.push([t.start, name]);
  }
  return out;
}

/** `text` with each goose `$NAME` written `_NAME` (with `substituted`, those at an offset it accepts): the same length, and an identifier to the parser. */
export function maskDollarVariables(text: string, substituted?: (offset: number) => boolean): string {
  let out = text;
  for (const [at] of dollarVariables(text)) if (!substituted || substituted(at)) out = `${out.slice(0, at)}_${out.slice(at + 1)}`;
  return out;
}

/**
 * Whether an offset of a statement's text starting at `start` in its section's source lies on a line
 * the tool substitutes in: goose substitutes only the lines from `-- +goose ENVSUB ON` to `OFF`
 * (`Section.substitutedLines`), and elsewhere `${X}` and `$X` reach PostgreSQL as written. Undefined:
 * the whole section (Flyway, Liquibase).
 */
function substitutedAt(section: Pick<Section, 'substitutedLines'>, start: number): ((offset: number) => boolean) | undefined {
  const lines = section.substitutedLines;
  if (!lines) return undefined;
  return (offset) => lines.some((l) => l.start <= start + offset && start + offset < l.end);
}

/**
 * What turns the placeholders of a lint's findings back as written, or undefined when no section of
 * the document has any: `${name}` of Flyway and goose, and the psql variables of the statements of
 * sections psql runs.
 */
export function placeholderUnmasker(sections: readonly Pick<Section, 'placeholders' | 'substitutedLines'>[], statements: readonly { text: string; span: { start: number }; section: Pick<Section, 'placeholders' | 'substitutedLines'> }[]): ((text: string) => string) | undefined {
  const braces = sections.some((s) => s.placeholders === 'braces');
  const psql = sections.some((s) => s.placeholders === 'psql');
  if (!braces && !psql) return undefined;
  const names = new Map<string, string>();
  if (psql) for (const s of statements) if (s.section.placeholders === 'psql') for (const name of psqlVariableNames(s.text)) names.set(name.toLowerCase(), name);
  // goose's `$NAME`, masked as `_NAME` (maskDollarVariables).
  const dollars = new Map<string, string>();
  for (const s of statements) {
    const substituted = s.section.substitutedLines && substitutedAt(s.section, s.span.start);
    if (substituted) for (const [at, name] of dollarVariables(s.text)) if (substituted(at)) dollars.set(name.toLowerCase(), name);
  }
  return (text) => {
    let out = braces ? unmaskPlaceholders(text) : text;
    if (psql) out = unmaskPsqlVariables(out, names);
    if (dollars.size > 0 && out.includes('_')) {
      out = out.replace(/(?<![\p{L}\p{N}_$])_([\p{L}][\p{L}\p{N}_]*)/gu, (whole, name: string) => {
        const written = dollars.get(name.toLowerCase());
        return written === undefined ? whole : `$${written}`;
      });
    }
    return out;
  };
}

/**
 * Parses a statement of `section` (its text, starting at `start` in the section's source), reading its
 * placeholders as identifiers where the tool substitutes them. goose substitutes only on the lines under
 * ENVSUB ON: elsewhere a `${X}` is SQL as written, and PostgreSQL reads it so (a syntax error outside a
 * string).
 */
export function parseSectionStatement(section: Pick<Section, 'placeholders' | 'substitutedLines'>, text: string, start: number): ParseOutcome {
  switch (section.placeholders) {
    case 'braces': {
      const substituted = substitutedAt(section, start);
      const masked = text.includes('${') ? maskPlaceholders(text, substituted) : text;
      // goose also substitutes `$NAME` on the lines it substitutes (formats/goose-envsub.ts).
      return parseStatement(substituted && masked.includes('$') ? maskDollarVariables(masked, substituted) : masked);
    }
    case 'psql':
      return parseStatement(maskPsqlVariables(text));
    default:
      return parseStatement(text);
  }
}
