// Where new migrations go and in which format: the folder from --dir, else `migrationsDir` of
// .zdm.json, else the first usual migrations folder that exists; the format from --format, else
// `format` of .zdm.json, else what the folder's files already are (markers, names, layout), else the
// folder's tool (prisma/migrations, supabase/migrations, a Flyway resources folder), else dbmate.

import * as path from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/config';
import { decideFormat } from '../formats/index';
import type { ProjectHost } from '../host';
import { FORMAT_IDS, type FormatId } from '../model';
import { ruleIds, ruleOptions } from '../rules/registry';
import { ScaffoldError } from './naming';

/** Folders tried in order when neither --dir nor "migrationsDir" says where migrations are. */
export const USUAL_MIGRATION_DIRS = [
  'db/migrations',
  'migrations',
  'db/migrate',
  'database/migrations',
  'sql/migrations',
  'supabase/migrations',
  'prisma/migrations',
  'src/main/resources/db/migration',
  'db/changelog',
];

export interface ScaffoldTarget {
  /** The migrations folder (absolute). It may not exist yet. */
  dir: string;
  format: FormatId;
  /** How the format was decided, for messages. */
  formatSource: 'option' | 'config' | 'files' | 'folder' | 'default';
  loaded: LoadedConfig;
}

export interface TargetOptions {
  cwd: string;
  dir?: string;
  format?: string;
  configPath?: string;
  host: ProjectHost;
}

export function resolveScaffoldTarget(options: TargetOptions): ScaffoldTarget {
  const { host } = options;
  if (options.format !== undefined && !(FORMAT_IDS as readonly string[]).includes(options.format)) {
    throw new ScaffoldError(`Unknown format "${options.format}"; use one of ${FORMAT_IDS.join(', ')}.`);
  }
  const explicitDir = options.dir !== undefined ? path.resolve(options.cwd, options.dir) : undefined;
  const loaded = loadConfig(explicitDir ?? options.cwd, host, options.configPath, ruleIds, ruleOptions);
  const root = loaded.root;
  let dir = explicitDir;
  if (dir === undefined && loaded.config.migrationsDir.length > 0) dir = path.resolve(root, loaded.config.migrationsDir[0]);
  if (dir === undefined && host.fileExists(path.join(root, 'sqitch.plan'))) dir = root;
  if (dir === undefined) dir = USUAL_MIGRATION_DIRS.map((d) => path.join(root, d)).find((d) => host.readDirectory(d) !== undefined);
  dir ??= path.join(root, 'db', 'migrations');

  if (options.format !== undefined) return { dir, format: options.format as FormatId, formatSource: 'option', loaded };
  if (loaded.config.format !== undefined) return { dir, format: loaded.config.format, formatSource: 'config', loaded };
  const fromFiles = formatOfFolder(dir, host);
  if (fromFiles) return { dir, format: fromFiles, formatSource: 'files', loaded };
  const fromFolder = formatOfFolderName(dir);
  if (fromFolder) return { dir, format: fromFolder, formatSource: 'folder', loaded };
  return { dir, format: 'dbmate', formatSource: 'default', loaded };
}

/** The format of the newest migrations already in `dir`, when any tells. */
export function formatOfFolder(dir: string, host: ProjectHost): FormatId | undefined {
  if (host.fileExists(path.join(dir, 'sqitch.plan'))) return 'sqitch';
  if (['deploy', 'revert', 'verify'].includes(path.basename(dir)) && host.fileExists(path.join(path.dirname(dir), 'sqitch.plan'))) return 'sqitch';
  const names = (host.readDirectory(dir) ?? []).filter((n) => !n.startsWith('.')).sort().reverse();
  for (const name of names.slice(0, 8)) {
    const full = path.join(dir, name);
    const inner = /\.sql$/i.test(name) ? undefined : host.readDirectory(full);
    if (inner?.includes('up.sql')) return 'diesel';
    if (inner?.includes('migration.sql') && /^\d{14}_/.test(name)) return 'prisma';
    if (!/\.sql$/i.test(name)) continue;
    const text = host.readFile(full);
    if (text === undefined) continue;
    const decided = decideFormat(full, text, host);
    if (decided.source === 'marker' || decided.source === 'filename') return decided.module.id;
  }
  return undefined;
}

function formatOfFolderName(dir: string): FormatId | undefined {
  const tail = path.resolve(dir).split(path.sep).slice(-2).join('/');
  if (tail === 'prisma/migrations') return 'prisma';
  if (tail === 'supabase/migrations') return 'plain';
  if (tail === 'db/migration') return 'flyway';
  if (tail === 'db/changelog') return 'liquibase';
  return undefined;
}
