// Placeholders a migration tool substitutes before the server sees a script:
// - `braces`: Flyway's `${name}` (on by default, `${flyway:defaultSchema}` and the project's own),
//   Liquibase's changelog parameters, and goose's `${VAR}` under `-- +goose ENVSUB ON`;
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

/** `text` with each `${name}` written `"{name"`: the same length, and an identifier to the parser. */
export function maskPlaceholders(text: string): string {
  return text.replace(PLACEHOLDER, '"{$1"');
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
 * What turns the placeholders of a lint's findings back as written, or undefined when no section of
 * the document has any: `${name}` of Flyway and goose, and the psql variables of the statements of
 * sections psql runs.
 */
export function placeholderUnmasker(sections: readonly Pick<Section, 'placeholders'>[], statements: readonly { text: string; section: Pick<Section, 'placeholders'> }[]): ((text: string) => string) | undefined {
  const braces = sections.some((s) => s.placeholders === 'braces');
  const psql = sections.some((s) => s.placeholders === 'psql');
  if (!braces && !psql) return undefined;
  const names = new Map<string, string>();
  if (psql) for (const s of statements) if (s.section.placeholders === 'psql') for (const name of psqlVariableNames(s.text)) names.set(name.toLowerCase(), name);
  return (text) => {
    let out = braces ? unmaskPlaceholders(text) : text;
    if (psql) out = unmaskPsqlVariables(out, names);
    return out;
  };
}

/** Parses a statement of `section`, reading its placeholders as identifiers when the tool substitutes them. */
export function parseSectionStatement(section: Pick<Section, 'placeholders'>, text: string): ParseOutcome {
  switch (section.placeholders) {
    case 'braces':
      return parseStatement(text.includes('${') ? maskPlaceholders(text) : text);
    case 'psql':
      return parseStatement(maskPsqlVariables(text));
    default:
      return parseStatement(text);
  }
}
