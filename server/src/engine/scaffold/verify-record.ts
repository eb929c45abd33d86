// The backfill verification record: `.zdm/verify.json` in the project's state folder (beside
// `.zdm/applied.json`), written by whatever runs a backfill's `-- zdm:verify` queries on the dev
// database (`zdm verify`, the runner), read by the `trio-incomplete` rule through the ProjectHost, so
// linting never touches a database. One entry per backfill file, keyed by its path relative to the
// folder holding `.zdm/`, with `/` separators:
//
//   { "db/migrations/20240101120001_rename_users_name_to_full_name_2_backfill.sql":
//       { "passed": true, "at": "2024-01-01T12:00:05.000Z" } }
//
// `failures` (optional) lists the directives that did not hold, for messages.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProjectHost } from '../host';
import { RECORD_FILE_NAME } from '../runner/record';
import { ensureStateDir, STATE_DIR_NAME, writeFileAtomic } from '../runner/state';

export const VERIFY_RECORD_FILE = 'verify.json';

export interface VerifyEntry {
  passed: boolean;
  /** When the queries ran (ISO time). */
  at: string;
  /** The directives that failed: the query, what was expected, what came back. */
  failures?: { sql: string; expect: string; actual: string }[];
}

export type VerifyRecord = Record<string, VerifyEntry>;

export interface FoundVerifyState {
  /** The folder holding `.zdm/`. */
  root: string;
  /** The verify record, when the folder has one. */
  record?: VerifyRecord;
  /** True when the runner has used a database for this project (`.zdm/applied.json` exists). */
  hasDatabase: boolean;
}

/** Parses the record; entries of the wrong shape are dropped, a broken file reads as empty. */
export function parseVerifyRecord(text: string): VerifyRecord {
  const out: VerifyRecord = {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return out;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return out;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const v = value as Partial<VerifyEntry> | null;
    if (v && typeof v === 'object' && typeof v.passed === 'boolean') out[key] = { passed: v.passed, at: typeof v.at === 'string' ? v.at : '', ...(Array.isArray(v.failures) ? { failures: v.failures } : {}) };
  }
  return out;
}

/** Finds the project state folder above `filePath` that holds a verify or applied record. */
export function findVerifyState(host: ProjectHost, filePath: string, maxLevels = 8): FoundVerifyState | undefined {
  let dir = path.dirname(path.resolve(filePath));
  for (let i = 0; i < maxLevels; i++) {
    const verifyText = host.readFile(path.join(dir, STATE_DIR_NAME, VERIFY_RECORD_FILE));
    const hasDatabase = host.fileExists(path.join(dir, STATE_DIR_NAME, RECORD_FILE_NAME));
    if (verifyText !== undefined || hasDatabase) return { root: dir, record: verifyText !== undefined ? parseVerifyRecord(verifyText) : undefined, hasDatabase };
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return undefined;
}

/** The record's key for a file: its path relative to the folder holding `.zdm/`, with `/`. */
export function verifyRecordKey(root: string, filePath: string): string {
  return path.relative(root, path.resolve(filePath)).split(path.sep).join('/');
}

/** Records a verification result (read, update, write atomically). For `zdm verify` and the runner. */
export function recordVerifyResult(projectRoot: string, backfillPath: string, entry: VerifyEntry): void {
  const dir = ensureStateDir(projectRoot);
  const file = path.join(dir, VERIFY_RECORD_FILE);
  let record: VerifyRecord = {};
  try {
    record = parseVerifyRecord(fs.readFileSync(file, 'utf8'));
  } catch {
    record = {};
  }
  record[verifyRecordKey(projectRoot, backfillPath)] = entry;
  writeFileAtomic(file, JSON.stringify(record, null, 1) + '\n');
}
