// The applied-migration record: `.zdm/applied.json`, written by the runner after every command that
// read the database (up, rollback, redo, status), read by the `edited-applied-migration` rule through
// the ProjectHost. Linting never touches a database; it compares the file with what the runner last saw.
//
// Checksums cover what the runner sends: the text of each statement of the up section(s), with line
// endings normalized. Comments and blank lines between statements do not count, so fixing a comment
// does not make an applied migration "edited".

import * as path from 'node:path';
import { childPath, dirnameOf, relativePath, resolvedPath } from '../paths';
import type { ProjectHost } from '../host';
import { STATE_DIR_NAME } from './state';

export const RECORD_FILE_NAME = 'applied.json';
export const RECORD_VERSION = 1;

export interface AppliedRecord {
  version: typeof RECORD_VERSION;
  /** The database it describes, password masked. */
  database: string;
  /** When the runner last read the database (ISO time). */
  updatedAt: string;
  /** Applied migrations by up-file path, relative to the folder holding `.zdm/`, with / separators. */
  migrations: Record<string, AppliedEntry>;
}

export interface AppliedEntry {
  version: string;
  checksum: string;
  /** Short hashes of each up statement, in order, to point at the statement that changed. */
  statements?: string[];
  appliedAt?: string;
}

/**
 * node:crypto's createHash, loaded on first use: `zdm lint` reads applied records only in projects that
 * have them, and loading the module costs every lint thread ~7 ms at start-up.
 */
function createHash(algorithm: string): import('node:crypto').Hash {
  return (require('node:crypto') as typeof import('node:crypto')).createHash(algorithm);
}

/** The hash of one statement's text (line endings normalized), shortened for the record. */
export function statementHash(text: string): string {
  return createHash('sha256').update(normalize(text)).digest('hex').slice(0, 16);
}

/** The checksum of a migration's up statements. */
export function checksumOf(statementTexts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const t of statementTexts) hash.update(normalize(t)).update('\u0000');
  return hash.digest('hex');
}

function normalize(text: string): string {
  return text.replace(/\r\n?/g, '\n').trim();
}

export interface FoundRecord {
  /** The folder holding `.zdm/` (paths in the record are relative to it). */
  root: string;
  record: AppliedRecord;
  /** The entry for the file asked about, if it is recorded as applied. */
  entry?: AppliedEntry;
}

/** Finds the record for `filePath` by walking up from its folder (through the host). */
export function findRecord(host: ProjectHost, filePath: string, maxLevels = 8): FoundRecord | undefined {
  const start = dirnameOf(resolvedPath(filePath));
  // A host that keeps what it read answers every file of a folder alike: the walk is done once per folder.
  const byFolder = (host as { cachesFiles?: boolean }).cachesFiles === true ? recordsByFolder(host, maxLevels) : undefined;
  let found = byFolder?.get(start);
  if (found === undefined) {
    found = recordAbove(host, start, maxLevels) ?? null;
    byFolder?.set(start, found);
  }
  if (found === null) return undefined;
  const { root, record } = found;
  const key = recordKey(root, filePath);
  return { root, record, entry: Object.prototype.hasOwnProperty.call(record.migrations, key) ? record.migrations[key] : undefined };
}

/** The first valid record at or above `dir` (null: none, or the nearest one does not parse). */
function recordAbove(host: ProjectHost, dir: string, maxLevels: number): { root: string; record: AppliedRecord } | null {
  for (let i = 0; i < maxLevels; i++) {
    const text = host.readFile(childPath(dir, STATE_DIR_NAME, RECORD_FILE_NAME));
    if (text !== undefined) {
      const record = parseRecord(text);
      return record ? { root: dir, record } : null;
    }
    const parent = dirnameOf(dir);
    if (parent === dir) return null;
    dir = parent;
  }
  return null;
}

const recordWalks = new WeakMap<ProjectHost, Map<number, Map<string, { root: string; record: AppliedRecord } | null>>>();

function recordsByFolder(host: ProjectHost, maxLevels: number): Map<string, { root: string; record: AppliedRecord } | null> {
  let byLevels = recordWalks.get(host);
  if (!byLevels) recordWalks.set(host, (byLevels = new Map()));
  let byFolder = byLevels.get(maxLevels);
  if (!byFolder) byLevels.set(maxLevels, (byFolder = new Map()));
  return byFolder;
}

export function recordKey(root: string, filePath: string): string {
  return relativePath(root, resolvedPath(filePath)).split(path.sep).join('/');
}

export function parseRecord(text: string): AppliedRecord | undefined {
  try {
    const raw = JSON.parse(text) as AppliedRecord;
    if (raw && raw.version === RECORD_VERSION && typeof raw.migrations === 'object' && raw.migrations !== null) return raw;
  } catch {
    // A broken record is ignored: the next runner command rewrites it.
  }
  return undefined;
}

export function serializeRecord(record: AppliedRecord): string {
  return JSON.stringify(record, null, 1) + '\n';
}
