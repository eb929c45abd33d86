// A Liquibase formatted-SQL changelog as Liquibase itself reads it, for the runner: its changesets
// (author, id, attributes), the SQL text Liquibase takes each changeset's checksum of, and the lines
// the runner refuses to run (preconditions, `runWith`, changelog parameters). The statements the runner
// sends still come from the format layer (formats/liquibase.ts), exactly as the linter cut them; this
// module only reads what the format layer does not keep.
//
// Facts learned from Liquibase 4.28's formatted-SQL parser (AbstractFormattedChangeLogParser), not its
// code: the file is read line by line; a line is a changeset line when it matches
// `\s*--\s*changeset\s+(author):(id).*` (author `"quoted"` or up to the first `:`, id `"quoted"` or up
// to the first space); attributes are read as `.*name:(value).*`, so the last one on the line wins;
// within a changeset, `--comment:`, `--validCheckSum:`, `--rollback `, a `/* liquibase rollback` ...
// `*/` block, `--preconditions` and `--precondition-*` lines are not SQL; every other line is. Any other
// line starting `--changeset` stops Liquibase with a parse error.
//
// The checksum (version 9, Liquibase 4.22 and later): the MD5 of the changeset's SQL (its SQL lines,
// trimmed) with every space, tab, CR and LF removed gives the change's checksum `9:<hex>`; the
// changeset's is the MD5 of that text followed by `:`, written `9:<hex>`.

import { lastAttribute } from '../formats/liquibase';

export interface LiquibaseChangeset {
  author: string;
  id: string;
  /** 1-based line of the `--changeset` line, and its offset in the file. */
  line: number;
  offset: number;
  /** The attributes that change how Liquibase runs or records it. */
  runOnChange: boolean;
  runAlways: boolean;
  runInTransaction: boolean;
  /**
   * `failOnError:false`: when the changeset fails, Liquibase (ChangeSet.execute) rolls its transaction
   * back, records nothing (ExecType FAILED writes no row) and goes on with the next changeset.
   */
  failOnError: boolean;
  /** The context expression (`context:` / `contextFilter:`), labels and dbms as written, quotes removed. */
  context?: string;
  labels?: string;
  dbms?: string;
  ignore: boolean;
  /** `logicalFilePath:` of the changeset, else of the changelog's header line. */
  logicalFilePath?: string;
  runWith?: string;
  /** `--comment:` text (the last one). */
  comments?: string;
  /** `--validCheckSum:` values. */
  validCheckSums: string[];
  /** The SQL Liquibase keeps for the changeset (trimmed), what its checksum is taken of. */
  sql: string;
  /** `9:<md5>`, as Liquibase 4.22+ records it in MD5SUM. */
  checksum: string;
  /** The `--preconditions` line (what to do when a precondition fails or errs), when there is one. */
  preconditionOptions?: { line: number; offset: number; text: string; onFail: string; onError: string };
  /** `--precondition-<name>` lines, read as Liquibase reads them. */
  preconditions: Precondition[];
  /** True when the changeset has a `--rollback` line or block (`empty` and `not required` included). */
  hasRollback: boolean;
}

/** A precondition line: its kind and what it checks (`sql-check`: expected result and SQL; `table-exists` / `view-exists`: the name and schema). */
export interface Precondition {
  line: number;
  /** Offset of the line and of its end in the file. */
  offset: number;
  end: number;
  text: string;
  kind: string;
  expected?: string;
  sql?: string;
  name?: string;
  schema?: string;
}

export interface LiquibaseChangelog {
  changesets: LiquibaseChangeset[];
  /** `--property` lines (changelog parameters). */
  properties: { line: number; text: string }[];
  /** Lines Liquibase refuses to parse: its whole changelog fails. */
  errors: { line: number; message: string }[];
}

const HEADER = /^\s*--\s*liquibase\s*formatted.*$/i;
const PROPERTY = /^\s*--[\s]*property\s+(.*:.*)\s+(.*:.*).*$/i;
const CHANGESET = /^\s*--[\s]*changeset\s+("[^"]+"|[^:]+):\s*("[^"]+"|\S+).*$/i;
const CHANGESET_LIKE = /^\s*--[\s]*changeset[\s]*.*$/i;
const COMMENT = /^--[\s]*comment:? (.*)$/i;
const VALID_CHECKSUM = /^--[\s]*validCheckSum:? (.*)$/i;
const ROLLBACK = /^\s*--[\s]*rollback (.*)$/i;
const ROLLBACK_BLOCK_START = /^\s*\/\*\s*liquibase\s*rollback\s*$/i;
const ROLLBACK_BLOCK_END = /\*\/\s*$/;
const PRECONDITIONS = /^\s*--[\s]*preconditions(.*)$/i;
const PRECONDITION = /^\s*--[\s]*precondition-([a-zA-Z0-9-]+)(?: (.*))?$/i;
const IGNORE_LINES = /^--[\s]*ignoreLines:(\w+)$/i;

/** Reads a formatted-SQL changelog as Liquibase does (see the top of this file). */
export function readLiquibaseChangelog(text: string): LiquibaseChangelog {
  const out: LiquibaseChangelog = { changesets: [], properties: [], errors: [] };
  const lines = splitLines(text);
  let changelogPath: string | undefined;
  let current: (LiquibaseChangeset & { sqlLines: string[] }) | undefined;
  const finish = () => {
    if (!current) return;
    const { sqlLines, ...changeset } = current;
    changeset.sql = javaTrim(sqlLines.join('\n'));
    changeset.checksum = liquibaseChecksum(changeset.sql);
    out.changesets.push(changeset);
    current = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const { text: line, offset } = lines[i];
    const number = i + 1;
    if (PROPERTY.test(line)) {
      out.properties.push({ line: number, text: line.trim() });
      continue;
    }
    if (HEADER.test(line)) changelogPath = lastValue(line, /logicalFilePath:(\S*)/gi) || changelogPath;
    const ignore = IGNORE_LINES.exec(line);
    if (ignore) {
      if (ignore[1] === 'start') {
        while (i + 1 < lines.length && IGNORE_LINES.exec(lines[i + 1].text)?.[1] !== 'end') i++;
        i++;
      } else if (/^\d+$/.test(ignore[1])) i += Number(ignore[1]);
      continue;
    }
    const changeset = CHANGESET.exec(line);
    if (changeset) {
      finish();
      const flag = (name: string, fallback: boolean) => {
        const v = lastValue(line, new RegExp(`${name}:(\\w+)`, 'gi'));
        return v === undefined ? fallback : v.toLowerCase() === 'true';
      };
      current = {
        author: unquote(changeset[1]),
        id: unquote(changeset[2]),
        line: number,
        offset,
        runOnChange: flag('runOnChange', false),
        runAlways: flag('runAlways', false),
        runInTransaction: flag('runInTransaction', true),
        failOnError: flag('failOnError', true),
        context: unquoteOptional(lastValue(line, /contextFilter:("[^"]*?"|\S*)/gi) || lastValue(line, /context:("[^"]*?"|\S*)/gi)),
        labels: unquoteOptional(lastValue(line, /labels:("[^"]*?"|\S*)/gi)),
        dbms: lastValue(line, /dbms:([^,][\w!,]+)/gi),
        ignore: lastValue(line, /ignore:(\w*)/gi)?.toLowerCase() === 'true',
        logicalFilePath: lastValue(line, /logicalFilePath:(\S*)/gi) || changelogPath,
        runWith: lastValue(line, /runWith:([\w${}]+)/gi),
        validCheckSums: [],
        sql: '',
        checksum: '',
        preconditions: [],
        hasRollback: false,
        sqlLines: [],
      };
      continue;
    }
    if (CHANGESET_LIKE.test(line)) {
      out.errors.push({ line: number, message: `Liquibase cannot read this line as a changeset (it expects \`--changeset author:id\`): ${line.trim()}` });
      continue;
    }
    if (!current) continue;
    let m: RegExpExecArray | null;
    if ((m = COMMENT.exec(line))) current.comments = m[1];
    else if ((m = VALID_CHECKSUM.exec(line))) current.validCheckSums.push(m[1].trim());
    else if (ROLLBACK.test(line)) current.hasRollback = true;
    else if (ROLLBACK_BLOCK_START.test(line)) {
      current.hasRollback = true;
      while (i + 1 < lines.length && !ROLLBACK_BLOCK_END.test(lines[i + 1].text)) i++;
      i++;
    } else if (PRECONDITIONS.test(line)) {
      const option = (name: string) => (lastValue(line, new RegExp(`${name}:(\\w+)`, 'gi')) ?? 'HALT').toUpperCase();
      current.preconditionOptions = { line: number, offset, text: line.trim(), onFail: option('onFail'), onError: option('onError') };
    } else if ((m = PRECONDITION.exec(line))) current.preconditions.push(readPrecondition(m[1], (m[2] ?? '').trim(), { line: number, offset, end: offset + line.length, text: line.trim() }));
    else current.sqlLines.push(line);
  }
  finish();
  return out;
}

/** A `--precondition-<kind> <body>` line as Liquibase's formatted-SQL parser reads its body. */
function readPrecondition(kind: string, body: string, at: Pick<Precondition, 'line' | 'offset' | 'end' | 'text'>): Precondition {
  const out: Precondition = { ...at, kind: kind.toLowerCase() };
  if (out.kind === 'sql-check') {
    const m = /^(?:expectedResult:)?(\w+) (.*)$/is.exec(body) ?? /^(?:expectedResult:)?'([^']+)' (.*)$/is.exec(body) ?? /^(?:expectedResult:)?"([^"]+)" (.*)$/is.exec(body);
    if (m) [out.expected, out.sql] = [m[1], m[2]];
  } else if (out.kind === 'table-exists' || out.kind === 'view-exists') {
    out.name = lastValue(body, out.kind === 'table-exists' ? /table:(\w+)/gi : /view:(\w+)/gi);
    out.schema = lastValue(body, /schema:(\w+)/gi);
  }
  return out;
}

/** Liquibase's checksum (version 9) of a changeset holding one SQL change whose text is `sql`. */
export function liquibaseChecksum(sql: string): string {
  const change = `9:${md5(Buffer.from(sql.replace(/[ \t\r\n]/g, ''), 'utf8'))}`;
  return `9:${md5(Buffer.from(`${change}:`.normalize('NFC'), 'utf8'))}`;
}

/** Whether Liquibase runs a changeset with this `dbms` on PostgreSQL (its DatabaseList.definitionMatches). */
export function runsOnPostgres(dbms: string | undefined): boolean {
  if (dbms === undefined) return true;
  const entries = dbms.split(',').map((d) => d.trim().toLowerCase()).filter(Boolean);
  if (entries.length === 0) return true;
  if (entries.includes('none') || entries.includes('!postgresql')) return false;
  const positive = entries.filter((d) => !d.startsWith('!'));
  return positive.length === 0 || positive.includes('all') || positive.includes('postgresql');
}

/** node:crypto's MD5, loaded on first use (as record.ts loads it): the editor's modules import this one without hashing anything. */
function md5(data: Buffer): string {
  return (require('node:crypto') as typeof import('node:crypto')).createHash('md5').update(data).digest('hex');
}

/** The text of each line (without its break, as Java's readLine gives it) and its offset. */
function splitLines(text: string): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  const re = /\r\n|\r|\n/g;
  let start = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    out.push({ text: text.slice(start, m.index), offset: start });
    start = m.index + m[0].length;
  }
  if (start < text.length) out.push({ text: text.slice(start), offset: start });
  return out;
}

/** The value of the last match of `re` (global) in `line`, as Liquibase's `.*name:(value).*` reads it. */
function lastValue(line: string, re: RegExp): string | undefined {
  return lastAttribute(line, re)?.[1];
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function unquoteOptional(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return unquote(value);
}

/** Java's String.trim: every character up to U+0020 at either end. */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 32) start++;
  while (end > start && text.charCodeAt(end - 1) <= 32) end--;
  return text.slice(start, end);
}
