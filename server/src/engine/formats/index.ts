// Decides a file's migration format and describes it: sections, transaction mode, version.
// Rules and the runner both read sections and transaction modes from here, so they cannot disagree.

import * as path from 'node:path';
import { childPath, dirnameOf, resolvedPath } from '../paths';
import type { ProjectHost } from '../host';
import type { ZdmConfig } from '../config/config';
import type { FormatId, MigrationDocument } from '../model';
import type { FormatModule, FormatOptions } from './common';
import { dbmate } from './dbmate';
import { diesel } from './diesel';
import { flyway } from './flyway';
import { golangMigrate } from './golang-migrate';
import { goose } from './goose';
import { liquibase } from './liquibase';
import { plain } from './plain';
import { prisma } from './prisma';
import { sqitch } from './sqitch';

export type { FormatModule, FormatOptions } from './common';

export const FORMATS: Record<FormatId, FormatModule> = {
  dbmate,
  goose,
  'golang-migrate': golangMigrate,
  diesel,
  flyway,
  liquibase,
  sqitch,
  prisma,
  plain,
};

const BY_MARKER: FormatModule[] = [liquibase, dbmate, goose];
const BY_PATH: FormatModule[] = [prisma, diesel, flyway, golangMigrate, sqitch];

export interface DescribeOptions extends FormatOptions {
  /** The format set in .zdm.json; detection is skipped when present. */
  format?: FormatId;
}

/** What .zdm.json says about how the tool runs its files, as `describeMigration` takes it. */
export function describeOptionsOf(config: Pick<ZdmConfig, 'format' | 'assumeInTransaction' | 'golangMigrate'>): DescribeOptions {
  const options: DescribeOptions = { format: config.format, assumeInTransaction: config.assumeInTransaction };
  if (config.golangMigrate?.multiStatement) options.golangMigrateMultiStatement = true;
  return options;
}

export function describeMigration(filePath: string, text: string, host: ProjectHost, options: DescribeOptions = {}): MigrationDocument {
  const decided = decideFormat(filePath, text, host, options.format);
  let byKey = described.get(host);
  if (!byKey) described.set(host, (byKey = new Map()));
  const key = `${decided.module.id}\u0000${options.assumeInTransaction ?? ''}\u0000${options.golangMigrateMultiStatement ? 'multi' : ''}\u0000${filePath}`;
  const hit = byKey.get(key);
  // A copy: its own identity (memos keyed by a document stay per caller) and its own formatSource; the
  // sections are shared, and nothing changes a document or its sections once described.
  if (hit !== undefined && hit.text === text) return { ...hit.doc, formatSource: decided.source };
  const doc = decided.module.describe(filePath, text, host, options);
  doc.formatSource = decided.source;
  if (options.assumeInTransaction !== undefined || options.golangMigrateMultiStatement) {
    doc.formatOptions = { assumeInTransaction: options.assumeInTransaction, golangMigrateMultiStatement: options.golangMigrateMultiStatement };
  }
  if (byKey.size >= MAX_DESCRIBED) byKey.delete(byKey.keys().next().value as string);
  byKey.set(key, { text, doc });
  return doc;
}

/** Another file of `like`'s project (its other half, an earlier migration), described as `like` was: same format, same options. */
export function describeLike(filePath: string, text: string, host: ProjectHost, like: Pick<MigrationDocument, 'format' | 'formatOptions'>): MigrationDocument {
  return describeMigration(filePath, text, host, like.formatOptions ? { ...like.formatOptions, format: like.format } : { format: like.format });
}

/**
 * Descriptions by host (one CLI run, or one lint in the language server), then by format, the options
 * that change transaction modes, and path, checked against the text. A batch run describes most files
 * three times: linted, read as the other half of their pair, and read by the folder's history (~0.7%
 * of a corpus run's instructions went to the repeats). What a format reads besides the text (a sqitch plan, diesel's
 * metadata, the folder's listing) comes through the same host, which is a snapshot for as long as it is
 * used: the CLI's caching disk host, the language server's host of one lint, or a host made for one
 * command. A long-lived host that does not cache (the language server's config reader) never
 * describes migrations.
 */
const described = new WeakMap<ProjectHost, Map<string, { text: string; doc: MigrationDocument }>>();
const MAX_DESCRIBED = 4096;

export function decideFormat(filePath: string, text: string, host: ProjectHost, configured?: FormatId): { module: FormatModule; source: MigrationDocument['formatSource'] } {
  if (configured) return { module: FORMATS[configured], source: 'config' };
  for (const module of BY_MARKER) if (module.hasMarkers!(text)) return { module, source: 'marker' };
  for (const module of BY_PATH) if (module.matchesPath!(filePath, host)) return { module, source: 'filename' };
  const sibling = formatOfSiblings(dirnameOf(filePath), host);
  if (sibling) return { module: FORMATS[sibling], source: 'layout' };
  const dir = dirnameOf(resolvedPath(filePath)).split(path.sep).slice(-2).join('/');
  return { module: dir === 'db/migrations' ? dbmate : plain, source: 'default' };
}

const SIBLINGS_TO_READ = 5;
const siblingMemo = new WeakMap<ProjectHost, Map<string, FormatId | undefined>>();

/** The marker-based format that other migrations in the same folder use, if any. */
function formatOfSiblings(dir: string, host: ProjectHost): FormatId | undefined {
  let memo = siblingMemo.get(host);
  if (!memo) siblingMemo.set(host, (memo = new Map()));
  if (memo.has(dir)) return memo.get(dir);
  let found: FormatId | undefined;
  const names = (host.readDirectory(dir) ?? []).filter((n) => n.endsWith('.sql')).sort();
  for (const name of names.slice(-SIBLINGS_TO_READ)) {
    const text = host.readFile(childPath(dir, name));
    if (text === undefined) continue;
    const module = BY_MARKER.find((m) => m.hasMarkers!(text));
    if (module) {
      found = module.id;
      break;
    }
  }
  memo.set(dir, found);
  return found;
}

/** True when a path looks like a migration file even before its text is read (editor activation). */
export function looksLikeMigrationPath(filePath: string, host: ProjectHost): boolean {
  if (!/\.sql$/i.test(filePath)) return false;
  // The folder's name first: it answers for most files, with no look at the disk (the formats' own
  // tests may list folders or look for sqitch.plan up the tree).
  const parts = resolvedPath(filePath).split(path.sep).map((p) => p.toLowerCase());
  if (parts.some((p) => p === 'migrations' || p === 'migration' || p === 'migrate' || p === 'schema_migrations')) return true;
  return BY_PATH.some((m) => m.matchesPath!(filePath, host));
}
