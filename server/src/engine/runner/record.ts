// The applied-migration record: `.zdm/applied.json`, written by the runner after every command that
// read the database (up, rollback, redo, status), read by the `edited-applied-migration` rule through
// the ProjectHost. Linting never touches a database; it compares the file with what the runner last saw.
//
// Checksums cover what the runner sends: the text of each statement of the up section(s), with line
// endings normalized. Comments and blank lines between statements do not count, so fixing a comment
// does not make an applied migration "edited". A Liquibase changelog holds many changesets: each applied
// one is recorded under `changesets`, by id and author, with Liquibase's stored checksum (which decides
// whether it was edited, as Liquibase decides it) and the hashes of its statements as they ran.

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
  /**
   * Applied Liquibase changesets by changelog path (as `migrations`): a changelog holds many, each known
   * by its id and author. Absent in records written before changesets were recorded.
   */
  changesets?: Record<string, AppliedChangeset[]>;
}

export interface AppliedChangeset {
  id: string;
  author: string;
  /** Liquibase's checksum as its table stores it (`9:<md5>`): what says whether the changeset was edited, as Liquibase decides it. */
  checksum?: string;
  /** Short hashes of the changeset's statements as they ran (preconditions left out), to point at the one that changed; absent when not known. */
  statements?: string[];
  appliedAt?: string;
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
  /** The file's applied Liquibase changesets, when it is a changelog with some. */
  changesets?: AppliedChangeset[];
}

/** Finds the record for `filePath` by walking up from its folder (through the host). */
export function findRecord(host: ProjectHost, filePath: string, maxLevels = 8): FoundRecord | undefined {
  // A host that keeps what it read answers every file alike: each folder's answer is worked out once
  // (diesel keeps each migration in a folder of its own, so the walks meet one level up).
  const memo = (host as { cachesFiles?: boolean }).cachesFiles === true ? recordWalks(host) : undefined;
  const found = recordAbove(host, dirnameOf(resolvedPath(filePath)), maxLevels, memo);
  if (found === null) return undefined;
  const { root, record } = found;
  const key = recordKey(root, filePath);
  const has = (map: object | undefined) => map !== undefined && Object.prototype.hasOwnProperty.call(map, key);
  return { root, record, entry: has(record.migrations) ? record.migrations[key] : undefined, changesets: has(record.changesets) && Array.isArray(record.changesets![key]) ? record.changesets![key] : undefined };
}

type RecordAt = { root: string; record: AppliedRecord } | null;

/** The first record found at or above `dir` within `levels` folders (null: none, or the nearest one does not parse). */
function recordAbove(host: ProjectHost, dir: string, levels: number, memo: Map<string, RecordAt> | undefined): RecordAt {
  if (levels <= 0) return null;
  const key = memo && `${levels}\u0000${dir}`;
  const known = key === undefined ? undefined : memo!.get(key);
  if (known !== undefined) return known;
  let found: RecordAt;
  const text = host.readFile(childPath(dir, STATE_DIR_NAME, RECORD_FILE_NAME));
  if (text !== undefined) {
    const record = parseRecord(text);
    found = record ? { root: dir, record } : null;
  } else {
    const parent = dirnameOf(dir);
    found = parent === dir ? null : recordAbove(host, parent, levels - 1, memo);
  }
  if (key !== undefined) memo!.set(key, found);
  return found;
}

const recordMemos = new WeakMap<ProjectHost, Map<string, RecordAt>>();

function recordWalks(host: ProjectHost): Map<string, RecordAt> {
  let memo = recordMemos.get(host);
  if (!memo) recordMemos.set(host, (memo = new Map()));
  return memo;
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
