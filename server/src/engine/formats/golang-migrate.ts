// golang-migrate and pop-style pairs: `{version}_{title}.up.sql` and `{version}_{title}.down.sql`.
// pop (gobuffalo/pop, Ory's popx) adds optional infixes: a dialect (`.postgres.up.sql`, which
// overrides the generic file for that database) and `.autocommit` (run outside a transaction).
// golang-migrate sends the whole file as one query string, which PostgreSQL runs as one implicit
// transaction when it holds several statements; pop runs each migration in a transaction. With
// `x-multi-statement=true` in its database URL (`"golangMigrate": { "multiStatement": true }` in
// .zdm.json), golang-migrate cuts the file at every `;` and sends each piece alone, in autocommit: a
// `;` it cuts at that does not end a statement is reported (golang-migrate-cuts.ts).

import { basenameOf, childPath, dirnameOf } from '../paths';
import type { ProjectHost } from '../host';
import type { MigrationDocument, Section } from '../model';
import { baseDocument, type FormatModule, problem, section, versionAndDescription } from './common';
import { multiStatementCuts, type MultiStatementCut } from './golang-migrate-cuts';

const DIALECTS = 'postgres|postgresql|pg|cockroach|cockroachdb|crdb|mysql|mariadb|sqlite|sqlite3|mssql|sqlserver';
const SPLIT = new RegExp(`^(.+?)(?:\\.(${DIALECTS}))?(\\.autocommit)?\\.(up|down)\\.sql$`, 'i');
const POSTGRES_DIALECTS = new Set(['postgres', 'postgresql', 'pg']);

export interface SplitName {
  /** `{version}_{title}` */
  base: string;
  /** The dialect infix, lower-cased, or '' for a generic file. */
  dialect: string;
  /** pop's `.autocommit` infix: run outside a transaction. */
  autocommit: boolean;
  direction: 'up' | 'down';
}

/** Reads a split-format file name: `0001_x.up.sql`, `0001_x.postgres.autocommit.down.sql`, ... */
export function parseSplitName(name: string): SplitName | undefined {
  const m = SPLIT.exec(name);
  if (!m) return undefined;
  return { base: m[1], dialect: (m[2] ?? '').toLowerCase(), autocommit: m[3] !== undefined, direction: m[4].toLowerCase() as 'up' | 'down' };
}

/** The file name with the given parts. */
export function splitFileName(parts: SplitName): string {
  return `${parts.base}${parts.dialect ? `.${parts.dialect}` : ''}${parts.autocommit ? '.autocommit' : ''}.${parts.direction}.sql`;
}

export function isPostgresDialect(dialect: string): boolean {
  return POSTGRES_DIALECTS.has(dialect);
}

/** Whether a folder keeps down migrations (any `.down.sql`): without one, its project is forward-only. */
export function keepsDownFiles(dir: string, host: ProjectHost): boolean {
  return (host.readDirectory(dir) ?? []).some((n) => /\.down\.sql$/i.test(n));
}

/** A folder using pop's infixes is a pop project: its migrations run in a transaction. */
export function usesPopInfixes(dir: string, host: ProjectHost): boolean {
  return popFolder(dir, host)?.pop ?? false;
}

/** The non-PostgreSQL dialects a folder has pop files for (`.mysql.up.sql`: mysql). */
export function otherDialects(dir: string, host: ProjectHost): string[] {
  return popFolder(dir, host)?.others ?? [];
}

/**
 * What a folder's pop infixes say, read once per listing: asked for every file of the folder, answered
 * once (hosts hand out the same array while a folder is unchanged), not by scanning the folder again per
 * file (quadratic in a folder of many files).
 */
function popFolder(dir: string, host: ProjectHost): { pop: boolean; others: string[] } | undefined {
  const names = host.readDirectory(dir);
  if (names === undefined) return undefined;
  let found = popListings.get(names);
  if (found === undefined) {
    let pop = false;
    const others = new Set<string>();
    for (let i = 0; i < names.length; i++) {
      const parts = parseSplitName(names[i]);
      if (parts === undefined) continue;
      if (parts.dialect !== '' || parts.autocommit) pop = true;
      if (parts.dialect && !isPostgresDialect(parts.dialect)) others.add(parts.dialect);
    }
    found = { pop, others: [...others].sort() };
    popListings.set(names, found);
  }
  return found;
}

const popListings = new WeakMap<string[], { pop: boolean; others: string[] }>();

export const golangMigrate: FormatModule = {
  id: 'golang-migrate',
  name: 'golang-migrate',
  supportsDown: true,
  matchesPath: (filePath) => SPLIT.test(basenameOf(filePath)),
  describe(filePath, text, host, options): MigrationDocument {
    const dir = dirnameOf(filePath);
    const parts = parseSplitName(basenameOf(filePath));
    const kind = parts?.direction ?? 'up';
    const doc = baseDocument(filePath, text, 'golang-migrate', true, kind);
    if (parts) Object.assign(doc, versionAndDescription(parts.base));
    if (parts?.dialect && !isPostgresDialect(parts.dialect)) doc.dialect = parts.dialect;
    if (parts && parts.dialect === '') {
      // pop runs a dialect's own file instead of the generic one.
      for (const dialect of POSTGRES_DIALECTS) {
        const specific = childPath(dir, splitFileName({ ...parts, dialect }));
        if (host.fileExists(specific)) doc.overriddenBy = specific;
      }
      // Without a dialect, pop runs the file on every database the project migrates.
      const others = otherDialects(dir, host);
      if (others.length > 0) doc.sharedWith = others;
    }
    let mode: Section['transaction'] = 'implicit';
    let why = 'golang-migrate sends the whole file as one query string (an implicit transaction)';
    if (parts?.autocommit) {
      mode = 'none';
      why = "pop's `.autocommit` infix (the file runs outside a transaction)";
    } else if (usesPopInfixes(dir, host)) {
      mode = 'transaction';
      why = 'pop runs each migration in a transaction';
    } else if (options.golangMigrateMultiStatement) {
      mode = 'none';
      why = 'golang-migrate in multi-statement mode (x-multi-statement=true) cuts the file at every `;` and sends each statement alone, in autocommit';
      const cut = multiStatementCuts(text, 0, text.length)[0];
      if (cut) doc.problems.push({ ...problem('migration-format', cutMessage(cut), { start: cut.at, end: cut.at + 1 }, CUT_HELP), failsRun: true });
    }
    doc.sections.push(section(kind, { start: 0, end: text.length }, mode, why, text));
    if (parts) {
      doc.companionPath = childPath(dir, splitFileName({ ...parts, direction: kind === 'up' ? 'down' : 'up' }));
      doc.companionExists = host.fileExists(doc.companionPath);
    }
    return doc;
  },
};

const FAILS: Record<MultiStatementCut['inside'], string> = {
  string: 'a string',
  'quoted identifier': 'a quoted identifier',
  'dollar quote': 'a dollar quote (a function or DO body)',
  'block comment': 'a /* */ comment',
  'line comment': 'a -- comment',
  statement: 'a BEGIN ATOMIC body',
};

function cutMessage(cut: MultiStatementCut): string {
  const result =
    cut.inside === 'line comment'
      ? 'the rest of the comment reaches PostgreSQL as SQL, or the statement arrives unfinished'
      : cut.inside === 'statement'
        ? 'PostgreSQL receives the statement unfinished ("syntax error at end of input")'
        : `PostgreSQL receives ${cut.inside === 'block comment' ? 'an unterminated comment' : `an unterminated ${cut.inside}`}`;
  return `golang-migrate in multi-statement mode cuts the file at this \`;\`, inside ${FAILS[cut.inside]}: it cuts at every \`;\` and does not read strings, dollar quotes or comments. ${result[0].toUpperCase()}${result.slice(1)}, and the migration fails there (the pieces before it stay committed, and golang-migrate leaves the version dirty).`;
}

const CUT_HELP =
  "golang-migrate's multi-statement mode has no way to keep a `;` inside a statement (golang-migrate issues #590, #1323): keep `;` out of strings and comments (chr(59) in a string), and run a migration holding a function or DO body without x-multi-statement.";
