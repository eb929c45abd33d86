import { basenameOf, childPath, dirnameOf } from '../paths';
import { firstLineSpan } from '../formats/common';
import type { ProjectHost } from '../host';
import type { MigrationDocument } from '../model';
import { compareVersions } from '../versions';
import type { Rule } from './types';
import { parseSplitName } from '../formats/golang-migrate';

export const duplicateMigrationVersion: Rule = {
  id: 'duplicate-migration-version',
  family: 'files',
  summary: 'Another migration in the same folder has the same version',
  defaultLevel: 'error',
  docs: {
    why: "Migration tools identify a migration by its version. Two files with one version (two branches that each added `0042_...`, or two timestamps generated in the same second) make the tool refuse to run (golang-migrate, goose, Flyway), or record one and silently skip the other (dbmate stores applied versions, so the second file is taken as already applied).",
    instead: 'Give one of them a new, later version, and check that its changes still make sense after the other one.',
    invalid: [{ sql: 'ALTER TABLE users ADD COLUMN nickname text;\n', path: '000042_add_nickname.up.sql', files: { '000042_add_avatar.up.sql': 'ALTER TABLE users ADD COLUMN avatar text;\n' } }],
    valid: [{ sql: 'ALTER TABLE users ADD COLUMN nickname text;\n', path: '000043_add_nickname.up.sql', files: { '000042_add_avatar.up.sql': 'ALTER TABLE users ADD COLUMN avatar text;\n', '000042_add_avatar.down.sql': 'ALTER TABLE users DROP COLUMN avatar;\n' } }],
  },
  check(context) {
    const doc = context.document;
    if (doc.version === undefined || doc.role === 'verify' || doc.role === 'repeatable') return;
    if (doc.role === 'down' && doc.companionExists) return; // reported on the up half
    const others = sameVersion(doc, context.host);
    if (others.length === 0) return;
    context.report({
      span: firstLineSpan(doc.text),
      message: `Version ${doc.version} is also used by ${others.join(', ')}: ${consequence(doc.format)}.`,
      help: 'Give one of the migrations a new, later version.',
    });
  },
};

function consequence(format: MigrationDocument['format']): string {
  switch (format) {
    case 'dbmate':
      return 'dbmate records applied versions, so once one of them has run the other is taken as applied and never runs';
    case 'goose':
      return 'goose refuses to run with duplicate versions';
    case 'golang-migrate':
      return 'golang-migrate refuses to run with duplicate versions';
    case 'flyway':
      return 'Flyway refuses to migrate ("Found more than one migration with version")';
    case 'diesel':
      return 'diesel identifies migrations by version, so only one of them can be recorded as run';
    default:
      return 'the tool can record only one of them as applied';
  }
}

/** A split-format name's version (leading digits) and pop infixes. */
function splitParts(name: string): { version: string; dialect: string; autocommit: boolean; direction: string } | undefined {
  const parts = parseSplitName(name);
  const version = parts ? /^(\d+)_/.exec(parts.base)?.[1] : undefined;
  return parts && version ? { version, dialect: parts.dialect, autocommit: parts.autocommit, direction: parts.direction } : undefined;
}

const POSTGRES = new Set(['', 'postgres', 'postgresql', 'pg']);

/** File names (or diesel folder names) beside `doc` that carry the same version. */
function sameVersion(doc: MigrationDocument, host: ProjectHost): string[] {
  const dir = dirnameOf(doc.path);
  const own = basenameOf(doc.path);
  const version = doc.version!;
  switch (doc.format) {
    case 'dbmate':
    case 'goose':
    case 'plain': {
      const listing = host.readDirectory(dir) ?? [];
      // Versions of one numeric part compare equal when their digits do, leading zeros aside.
      if (doc.format === 'dbmate' || /^\d+$/.test(version)) {
        const key = doc.format === 'dbmate' ? `=${version}` : withoutLeadingZeros(version);
        return (listingIndex(listing, 'plain').get(key) ?? []).filter((n) => n !== own);
      }
      const names = listing.filter((n) => n !== own && /\.sql$/i.test(n) && !/\.(up|down)\.sql$/i.test(n));
      return names.filter((n) => {
        const m = /^(\d+)_/.exec(n);
        if (!m) return false;
        return compareVersions(m[1], version) === 0;
      });
    }
    case 'golang-migrate': {
      const mine = splitParts(own);
      if (!mine) return [];
      const direction = mine.direction;
      const dialect = mine.dialect;
      return splitNamesByVersion(host.readDirectory(dir) ?? [], mine.version).filter((n) => {
        if (n === own) return false;
        const m = splitParts(n);
        if (!m || m.direction !== direction) return false;
        const other = m.dialect;
        // pop keeps one file per dialect for a version, and a dialect's own file overrides the generic one:
        // only two files of the same dialect clash.
        return other === dialect || (other !== '' && dialect !== '' && POSTGRES.has(other) && POSTGRES.has(dialect));
      });
    }
    case 'flyway': {
      const prefix = own.charAt(0);
      if (!DATED.test(version)) return (listingIndex(host.readDirectory(dir) ?? [], 'flyway').get(`${prefix}${flywayKey(version)}`) ?? []).filter((n) => n !== own);
      return (host.readDirectory(dir) ?? []).filter((n) => {
        if (n === own || n.charAt(0) !== prefix) return false;
        const m = /^[VU]([0-9][0-9._]*)__.+\.sql$/.exec(n);
        return m !== null && compareVersions(m[1].replace(/_/g, '.'), version) === 0;
      });
    }
    case 'diesel': {
      const folder = basenameOf(dir);
      const parent = dirnameOf(dir);
      const mine = folder.split('_')[0].replace(/\D/g, '');
      return (listingIndex(host.readDirectory(parent) ?? [], 'diesel').get(mine) ?? []).filter((n) => n !== folder && host.fileExists(childPath(parent, n, 'up.sql')));
    }
    default:
      return [];
  }
}

const byVersionMemo = new WeakMap<string[], Map<string, string[]>>();

/** Split-format file names of a directory listing whose numeric version equals `version` (the listing is indexed once). */
function splitNamesByVersion(names: string[], version: string): string[] {
  let index = byVersionMemo.get(names);
  if (!index) {
    index = new Map();
    for (const n of names) {
      const m = splitParts(n);
      if (!m) continue;
      const key = m.version.replace(/^0+(?=\d)/, '');
      const list = index.get(key) ?? [];
      list.push(n);
      index.set(key, list);
    }
    byVersionMemo.set(names, index);
  }
  return index.get(version.replace(/^0+(?=\d)/, '')) ?? [];
}

// Every file of a folder asks which names share its version: each directory listing is indexed once
// per kind of name (the names of a bucket in listing order), instead of matching every name per file.

const DATED = /^\d{4}-\d{2}-\d{2}/;

function withoutLeadingZeros(digits: string): string {
  return digits.replace(/^0+(?=\d)/, '');
}

/** A Flyway version as compareVersions sees it: its numeric parts without leading zeros, trailing zero parts dropped. */
function flywayKey(version: string): string {
  const parts = (version.match(/\d+/g) ?? []).map(withoutLeadingZeros);
  while (parts.length > 0 && parts[parts.length - 1] === '0') parts.pop();
  return parts.join('.');
}

const listingIndexes = new WeakMap<string[], Map<string, Map<string, string[]>>>();

function listingIndex(names: string[], kind: 'plain' | 'flyway' | 'diesel'): Map<string, string[]> {
  let byKind = listingIndexes.get(names);
  if (!byKind) listingIndexes.set(names, (byKind = new Map()));
  let index = byKind.get(kind);
  if (index) return index;
  index = new Map();
  const add = (key: string, name: string) => {
    const list = index!.get(key);
    if (list) list.push(name);
    else index!.set(key, [name]);
  };
  for (const n of names) {
    if (kind === 'plain') {
      if (!/\.sql$/i.test(n) || /\.(up|down)\.sql$/i.test(n)) continue;
      const m = /^(\d+)_/.exec(n);
      if (!m) continue;
      // dbmate compares versions as written; the others by value.
      add(`=${m[1]}`, n);
      add(withoutLeadingZeros(m[1]), n);
    } else if (kind === 'flyway') {
      const m = /^[VU]([0-9][0-9._]*)__.+\.sql$/.exec(n);
      if (m) add(`${n.charAt(0)}${flywayKey(m[1].replace(/_/g, '.'))}`, n);
    } else if (/^\d/.test(n)) {
      add(n.split('_')[0].replace(/\D/g, ''), n);
    }
  }
  byKind.set(kind, index);
  return index;
}
