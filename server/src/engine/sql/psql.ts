// Scripts that psql runs (sqitch's deploy/revert/verify scripts, Liquibase `runWith:psql` changesets):
// what psql sends to the server, as a text of the same length as the file (a section's `source`), so
// that every offset stays true.
// - A meta-command (`\set`, `\i`, `\if`, `\connect`, `\echo` ...; the lexer finds where psql ends one)
//   is psql's own, not SQL: it is blanked, so it is never parsed, never part of the statement around
//   it, never a syntax error, and rules never see it. What it does is not followed (`\i` reads another
//   file, `\connect` another database, `\if` skips lines): zdm lints the statements written here.
// - A meta-command that sends the query buffer (`\g`, `\gset`, `\gexec` ...) ends the statement as a
//   semicolon does: it is written as blanks and a `;`. `\r` empties the buffer: the statement before it
//   is never sent, and is blanked too.
// - `\;` puts a semicolon into the query without sending it: the statements it joins reach the server
//   as one query string, which PostgreSQL runs as one implicit transaction (`queryStrings`). `\:` puts a
//   colon that starts no variable. Their backslash is blanked.
// - The rows that follow `COPY ... FROM STDIN` (or `\copy ... from stdin`) in the script, up to the
//   `\.` line, are data: blanked.
// psql variables (`:name`, `:'name'`, `:"name"`, `:{?name}`) stay: the parser reads them as
// identifiers and literals of the same length (sql/placeholders.ts).

import { lex, type Token } from './lexer';
import type { Span } from '../text/offsets';

export interface PsqlScript {
  /** The text as psql sends it, of the same length: meta-commands and COPY data blanked. */
  source: string;
  /** Statements joined by `\;`, which psql sends as one query string: from the first one's first token to the last one's end. */
  queryStrings?: Span[];
}

/** Meta-commands that send the query buffer, ending the statement in it. */
const SENDS_BUFFER = new Set(['g', 'gx', 'gset', 'gexec', 'gdesc', 'crosstabview', 'watch', 'parse', 'sendpipeline']);
/** Meta-commands that empty the query buffer. */
const RESETS_BUFFER = new Set(['r', 'reset']);
const STDIN = /\bstdin\b/i;
/** The line that ends COPY data: `\.` alone. */
const END_OF_DATA = /^\\\.\r?$/gm;

interface Edit {
  start: number;
  end: number;
  /** The edit writes a `;` at its end (the rest blank). */
  semicolon: boolean;
}

/**
 * What psql sends of `text` from `from` to `to` (see the top of this file). A text with no backslash
 * and no STDIN (COPY data whose `\.` is missing runs to the end) is returned as it is, unlexed.
 */
export function psqlScript(text: string, from = 0, to = text.length): PsqlScript {
  const first = text.indexOf('\\', from);
  if ((first === -1 || first >= to) && !STDIN.test(text)) return { source: text };
  const edits: Edit[] = [];
  const queryStrings: Span[] = [];
  // The statement being read: where it starts (after the previous statement's end), its first token
  // and word, whether it reads FROM STDIN, and where the statements joined to it by `\;` start.
  let start = from;
  let head = -1;
  let firstWord = '';
  let previousWord = '';
  let fromStdin = false;
  let depth = 0;
  let joinedFrom = -1;
  const blank = (s: number, e: number, semicolon = false) => {
    if (e > s) edits.push({ start: s, end: e, semicolon });
  };
  const next = (end: number) => {
    start = end;
    head = -1;
    firstWord = previousWord = '';
    fromStdin = false;
    depth = 0;
  };
  /** The statement ends at `end` (psql sends it); returns where COPY data after it ends, if it reads any. */
  const sent = (end: number): number | undefined => {
    if (joinedFrom !== -1) queryStrings.push({ start: joinedFrom, end });
    joinedFrom = -1;
    const copies = firstWord === 'copy' && fromStdin;
    next(end);
    return copies ? skipData(text, end, to, blank) : undefined;
  };
  let pos = from;
  while (pos < to) {
    const tokens: Token[] = lex(text, pos, to);
    let resume: number | undefined;
    for (let k = 0; k < tokens.length && resume === undefined; k++) {
      const t = tokens[k];
      if (head === -1 && t.kind !== 'line-comment' && t.kind !== 'block-comment' && t.kind !== 'backslash') head = t.start;
      switch (t.kind) {
        case 'word': {
          const length = t.end - t.start;
          if (length <= 5) {
            const word = text.slice(t.start, t.end).toLowerCase();
            if (firstWord === '') firstWord = word;
            if (word === 'stdin' && previousWord === 'from') fromStdin = true;
            previousWord = word;
          } else {
            if (firstWord === '') firstWord = '-';
            previousWord = '';
          }
          break;
        }
        case 'punct': {
          const c = text.charCodeAt(t.start);
          if (c === 40) depth++;
          else if (c === 41) depth = Math.max(0, depth - 1);
          else if (c === 59 && depth === 0) resume = sent(t.end);
          previousWord = '';
          break;
        }
        case 'backslash': {
          const c = text.charCodeAt(t.start + 1);
          if (c === 59 || c === 58) {
            // \; and \: : the character stays, its backslash goes. After \; at the top level our
            // splitter ends a statement, psql does not: the two are one query string.
            blank(t.start, t.start + 1);
            if (c === 59 && depth === 0) {
              if (joinedFrom === -1) joinedFrom = head === -1 ? t.start : head;
              next(t.end);
            }
            break;
          }
          const name = commandName(text, t);
          if (SENDS_BUFFER.has(name)) {
            blank(t.start, t.end, true);
            resume = sent(t.end);
          } else if (RESETS_BUFFER.has(name)) {
            // The buffer's text is dropped: blank it (and what was already blanked in it) with the command.
            const dropped = head === -1 ? t.start : head;
            while (edits.length > 0 && edits[edits.length - 1].start >= dropped) edits.pop();
            blank(dropped, t.end);
            joinedFrom = -1;
            next(t.end);
          } else {
            blank(t.start, t.end);
            if (name === 'copy' && /\bfrom\s+stdin\b/i.test(text.slice(t.start, t.end))) resume = skipData(text, t.end, to, blank);
          }
          break;
        }
        case 'line-comment':
        case 'block-comment':
          break;
        default:
          if (firstWord === '') firstWord = '-';
          previousWord = '';
      }
    }
    if (resume === undefined) break;
    pos = resume;
    if (pos > start) next(pos);
  }
  if (joinedFrom !== -1) queryStrings.push({ start: joinedFrom, end: to });
  if (edits.length === 0) return queryStrings.length > 0 ? { source: text, queryStrings } : { source: text };
  let source = '';
  let last = 0;
  for (const e of edits) {
    source += text.slice(last, e.start) + (e.semicolon ? blanks(text.slice(e.start, e.end - 1)) + ';' : blanks(text.slice(e.start, e.end)));
    last = e.end;
  }
  source += text.slice(last);
  return queryStrings.length > 0 ? { source, queryStrings } : { source };
}

/** A meta-command of a script: where its backslash is, its name (`set`, `i` ...) and its arguments, trimmed. */
export interface PsqlMetaCommand {
  start: number;
  name: string;
  args: string;
}

/**
 * The meta-commands of `text` in file order (not `\;` and `\:`, which are part of the query text):
 * the runner refuses those it cannot honour and follows `\set` / `\unset`; the sqitch format
 * follows `\set` / `\unset` to know which variables have a value.
 */
export function psqlMetaCommands(text: string): PsqlMetaCommand[] {
  const out: PsqlMetaCommand[] = [];
  if (!text.includes('\\')) return out;
  for (const t of lex(text)) {
    if (t.kind !== 'backslash') continue;
    const second = text.charCodeAt(t.start + 1);
    if (second === 59 || second === 58) continue;
    const command = text.slice(t.start + 1, t.end).replace(/\\\\?$/, '').trim();
    const name = /^[^\s\\]*/.exec(command)![0];
    out.push({ start: t.start, name, args: command.slice(name.length).trim() });
  }
  return out;
}

/**
 * psql's `\set name [value ...]` arguments: plain words and single-quoted strings, joined; undefined
 * for what zdm does not read (backquotes, :variables, double quotes), which the runner refuses.
 */
export function psqlSetArguments(args: string): { name: string; value: string } | undefined {
  const m = /^([A-Za-z0-9_\u0080-\uffff]+)\s*(.*)$/s.exec(args);
  if (!m) return undefined;
  let value = '';
  const re = /\s*(?:'((?:[^'\\]|''|\\.)*)'|([^\s'"`:\\]+))/y;
  let rest = m[2];
  while (rest.trim() !== '') {
    re.lastIndex = 0;
    const part = re.exec(rest);
    if (!part) return undefined;
    value += part[1] !== undefined ? part[1].replace(/''/g, "'").replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c)) : part[2];
    rest = rest.slice(re.lastIndex);
  }
  return { name: m[1], value };
}

/** The meta-commands zdm's runner follows (`\set`, `\unset`) or skips (what psql only prints). */
const HONOURED = new Set(['set', 'unset', 'echo', 'qecho', 'warn']);

const TRUE_WORD = /^(?:on|t|tr|tru|true|y|ye|yes|1)$/i;
const FALSE_WORD = /^(?:of|off|f|fa|fal|fals|false|n|no|0)$/i;

/**
 * psql's variables that change how it runs a script, and whether a value (undefined: `\unset`) keeps
 * the behaviour sqitch has psql run its scripts with: each statement committed as it runs (AUTOCOMMIT
 * on), stopping at the first error (sqitch passes ON_ERROR_STOP=1), no savepoint per statement
 * (ON_ERROR_ROLLBACK off), the whole script read as written (SINGLESTEP, SINGLELINE off). psql resets
 * AUTOCOMMIT to on when it is unset, and ON_ERROR_STOP to off.
 */
const BEHAVIOUR: Record<string, (value: string | undefined) => boolean> = {
  AUTOCOMMIT: (v) => v === undefined || TRUE_WORD.test(v),
  ON_ERROR_STOP: (v) => v !== undefined && TRUE_WORD.test(v),
  ON_ERROR_ROLLBACK: (v) => v === undefined || FALSE_WORD.test(v),
  SINGLESTEP: (v) => v === undefined || FALSE_WORD.test(v),
  SINGLELINE: (v) => v === undefined || FALSE_WORD.test(v),
};

/**
 * Why zdm's runner cannot run a meta-command as psql would run it for sqitch, or undefined when it
 * follows it (`\set`, `\unset`) or skips it (`\echo` ...). Shared by the runner, which refuses the
 * script, and the sqitch format, which warns while typing.
 */
export function unrunnableMetaCommand(command: PsqlMetaCommand): string | undefined {
  const { name, args } = command;
  if (name === 'g' && args === '') return undefined; // sends the buffer as `;` does
  if (!HONOURED.has(name)) return `psql meta-command \\${name} cannot be run by zdm (it honours \\set and \\unset, and skips \\echo)`;
  if (name !== 'set' && name !== 'unset') return undefined;
  const parsed = psqlSetArguments(args);
  if (!parsed || (name === 'unset' && parsed.value !== '')) return `\\${name} ${args}: zdm reads a variable name and a plain or single-quoted value only (no backquotes, :variables or double quotes)`;
  const keeps = BEHAVIOUR[parsed.name];
  if (keeps && !keeps(name === 'set' ? parsed.value : undefined)) {
    return `\\${name} ${args} changes how psql runs the script, which zdm does not follow: it runs a script as sqitch has psql run it (AUTOCOMMIT on, ON_ERROR_STOP on, ON_ERROR_ROLLBACK off)`;
  }
  return undefined;
}

/** A `\set` (its value) or `\unset` (undefined) of a script, at the offset of its backslash. */
export interface PsqlAssignment {
  offset: number;
  name: string;
  value: string | undefined;
}

/** The value psql gives the variable `name` at `offset`: the last `\set` / `\unset` before it, else its value in `variables`. */
export function psqlValueAt(variables: ReadonlyMap<string, string>, assignments: readonly PsqlAssignment[], name: string, offset: number): string | undefined {
  let value = variables.get(name);
  for (const s of assignments) if (s.offset < offset && s.name === name) value = s.value;
  return value;
}

/** A meta-command's name: after its backslash, up to whitespace or another backslash. */
function commandName(text: string, t: Token): string {
  let end = t.start + 1;
  while (end < t.end) {
    const c = text.charCodeAt(end);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 92) break;
    end++;
  }
  return text.slice(t.start + 1, end);
}

/**
 * COPY data after the command ending at `end`: from the next line to the `\.` line (or the end, where
 * psql stops reading too), blanked. Returns where SQL goes on, or undefined when no data follows.
 */
function skipData(text: string, end: number, to: number, blank: (s: number, e: number) => void): number | undefined {
  const nl = text.indexOf('\n', end);
  if (nl === -1 || nl + 1 >= to) return undefined;
  const dataStart = nl + 1;
  END_OF_DATA.lastIndex = dataStart;
  const m = END_OF_DATA.exec(text);
  const dataEnd = m === null || m.index + 2 > to ? to : m.index + 2;
  blank(dataStart, dataEnd);
  return dataEnd;
}

/** `s` with everything but line breaks made spaces. */
function blanks(s: string): string {
  return s.replace(/[^\r\n]/g, ' ');
}
