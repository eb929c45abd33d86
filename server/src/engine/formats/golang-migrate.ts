// golang-migrate and pop-style pairs: `{version}_{title}.up.sql` and `{version}_{title}.down.sql`.
// pop (gobuffalo/pop, Ory's popx) adds optional infixes: a dialect (`.postgres.up.sql`, which
// overrides the generic file for that database) and `.autocommit` (run outside a transaction).
// golang-migrate sends the whole file as one query string, which PostgreSQL runs as one implicit
// transaction when it holds several statements; pop runs each migration in a transaction.

import { basenameOf, childPath, dirnameOf } from '../paths';
import type { ProjectHost } from '../host';
import type { MigrationDocument, Section } from '../model';
import { baseDocument, type FormatModule, section, versionAndDescription } from './common';

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

/** A folder using pop's infixes is a pop project: its migrations run in a transaction. */
function usesPopInfixes(dir: string, host: ProjectHost): boolean {
  const names = host.readDirectory(dir);
  if (names === undefined) return false;
  // Asked for every file of the folder: answered once per listing (hosts hand out the same array while
  // a folder is unchanged), not by scanning the folder again per file (quadratic in a folder without
  // infixes, where no early entry ends the scan).
  let uses = popListings.get(names);
  if (uses === undefined) {
    uses = names.some((n) => {
      const parts = parseSplitName(n);
      return parts !== undefined && (parts.dialect !== '' || parts.autocommit);
    });
    popListings.set(names, uses);
  }
  return uses;
}

const popListings = new WeakMap<string[], boolean>();

export const golangMigrate: FormatModule = {
  id: 'golang-migrate',
  name: 'golang-migrate',
  supportsDown: true,
  matchesPath: (filePath) => SPLIT.test(basenameOf(filePath)),
  describe(filePath, text, host): MigrationDocument {
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
    }
    let mode: Section['transaction'] = 'implicit';
    let why = 'golang-migrate sends the whole file as one query string (an implicit transaction)';
    if (parts?.autocommit) {
      mode = 'none';
      why = "pop's `.autocommit` infix (the file runs outside a transaction)";
    } else if (usesPopInfixes(dir, host)) {
      mode = 'transaction';
      why = 'pop runs each migration in a transaction';
    }
    doc.sections.push(section(kind, { start: 0, end: text.length }, mode, why, text));
    if (parts) {
      doc.companionPath = childPath(dir, splitFileName({ ...parts, direction: kind === 'up' ? 'down' : 'up' }));
      doc.companionExists = host.fileExists(doc.companionPath);
    }
    return doc;
  },
};
