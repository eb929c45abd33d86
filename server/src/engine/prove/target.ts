// Where the proving commands (round trip, lock trace, backfill verification) work: the project (config,
// migrations), the dev database's URL (--url, ZDM_DATABASE_URL, DATABASE_URL, .zdm.json, else the
// embedded server — the runner's order), its tracking tables, and the status of each migration there.
// No SQL of its own: everything goes through the runner's modules.

import * as path from 'node:path';
import type { ProjectHost } from '../host';
import type { FormatId } from '../model';
import { loadProject, managedSchema, trackingTableName, UsageError, type Project } from '../runner/commands';
import { ConnectError, type Session } from '../runner/db';
import { EmbeddedError, ensureEmbeddedServer } from '../runner/embedded';
import type { Migration } from '../runner/migrations';
import { computeStatus, type MigrationStatus } from '../runner/plan';
import { remoteConfirmation } from '../runner/safety';
import { trackerFor, zdmTable, type Tracker, type ZdmTable } from '../runner/tracking/index';
import { createRedactor, maskUrl, resolveConfiguredUrl, UrlError } from '../runner/url';

export interface ProveOptions {
  /** The folder the command runs from; .zdm.json is found by walking up from it. */
  cwd: string;
  configPath?: string;
  /** The migrations folder, overriding .zdm.json's migrationsDir. */
  dir?: string;
  /** --url (the editor passes ZDM_DATABASE_URL in env instead). */
  url?: string;
  env: NodeJS.ProcessEnv;
  /** Confirmed in advance: the server is not on this machine (a throwaway database is created there). */
  yes?: boolean;
  /** Start the embedded server when no URL is configured (default true). */
  embedded?: boolean;
  host?: ProjectHost;
  /** Progress, as it happens ("copying the dev database ..."). */
  onEvent?: (event: ProveEvent) => void;
}

export type ProveEvent = { type: 'info' | 'warning' | 'progress'; message: string };

/** Bad usage or configuration: the CLI exits 2. */
export class ProveUsageError extends Error {}

export interface ProveTarget {
  project: Project;
  url: string;
  /** How the URL was found, for messages. */
  origin: string;
  /** The URL with its password masked. */
  display: string;
  redact: (text: string) => string;
  /** The tracking tables; throwaway-run.ts names them with their schema once connected (tracking/index.ts `pinnedTracking`). */
  tracker: Tracker;
  zdm: ZdmTable;
  format: FormatId;
  /** .zdm.json's database.migrationsTable. */
  tableName?: string;
  /** The schema the tool manages (Flyway's flyway.schemas): created when missing, first on the search_path (runner/commands.ts ensureTracking). */
  managedSchema?: { schema: string; create: boolean };
  /** Timeouts, and the search_path the tool migrates with, set on each session (again after a migration's RESET ALL). */
  timeouts: { lockTimeout: string; statementTimeout: string; searchPath?: string };
}

/** Loads the project and resolves the dev database (starting the embedded server when none is configured). */
export async function resolveTarget(options: ProveOptions, purpose: string): Promise<ProveTarget> {
  let project: Project;
  try {
    project = await loadProject(options);
  } catch (error) {
    if (error instanceof UsageError) throw new ProveUsageError(error.message);
    throw error;
  }
  const { loaded, loadedMigrations } = project;
  for (const p of loaded.problems) options.onEvent?.({ type: 'warning', message: `${loaded.path ? path.relative(options.cwd, loaded.path) || loaded.path : '.zdm.json'}: ${p.message}` });
  for (const p of loadedMigrations.problems) if (p.severity === 'warning') options.onEvent?.({ type: 'warning', message: p.message });
  const fatal = loadedMigrations.problems.filter((p) => p.severity === 'error');
  if (fatal.length > 0) throw new ProveUsageError(fatal.map((p) => p.message).join('\n'));

  let url: string;
  let origin: string;
  const secrets = [options.url ?? '', options.env.DATABASE_URL ?? '', options.env.ZDM_DATABASE_URL ?? ''];
  try {
    const configured = resolveConfiguredUrl({ flag: options.url, env: options.env, config: loaded.config.database.url });
    if (configured) {
      url = configured.url;
      origin = configured.origin;
    } else if (options.embedded === false) {
      throw new ProveUsageError('No database configured: pass --url, set DATABASE_URL, or set "database.url" in .zdm.json.');
    } else {
      const server = await ensureEmbeddedServer(project.root, { log: (line) => options.onEvent?.({ type: 'info', message: line }) });
      url = server.url;
      origin = `the embedded server (${path.relative(options.cwd, server.dataDir) || server.dataDir})`;
    }
  } catch (error) {
    if (error instanceof UrlError || error instanceof EmbeddedError) throw new ProveUsageError(createRedactor(secrets)(error.message));
    throw error;
  }
  if (!options.yes) {
    const remote = remoteConfirmation(url);
    if (remote) throw new ProveUsageError(`${remote.message.replace('Running migrations changes that database.', `${purpose} creates a throwaway database on that server.`)} Re-run with --yes to go ahead.`);
  }
  const format = loaded.config.format ?? loadedMigrations.format ?? 'dbmate';
  const tableName = trackingTableName(project, format, options.env, options.host);
  return {
    project,
    url,
    origin,
    display: maskUrl(url),
    redact: createRedactor([url, ...secrets]),
    tracker: trackerFor(format, tableName),
    zdm: zdmTable(tableName),
    format,
    tableName,
    managedSchema: managedSchema(project, format, options.env, options.host),
    timeouts: { lockTimeout: loaded.config.lockTimeout, statementTimeout: loaded.config.statementTimeout },
  };
}

/** Each migration's state in the database `session` is connected to (reads only; creates nothing). */
export async function readStatuses(session: Session, target: ProveTarget): Promise<MigrationStatus[]> {
  const migrations = target.project.loadedMigrations.migrations;
  const tool = await target.tracker.read(session, migrations);
  const rows = await target.zdm.read(session);
  return computeStatus(migrations, tool, rows, target.tracker.tool);
}

/** The migration whose up or down file is `file`. */
export function migrationOfFile(target: ProveTarget, file: string): Migration | undefined {
  const wanted = path.resolve(file);
  return target.project.loadedMigrations.migrations.find((m) => path.resolve(m.upPath) === wanted || (m.downPath !== undefined && path.resolve(m.downPath) === wanted));
}

/** A connection failure as a usage problem (exit 2), with the password masked. */
export function connectProblem(error: unknown, redact: (s: string) => string): ProveUsageError | undefined {
  if (error instanceof ConnectError) return new ProveUsageError(redact(error.message));
  return undefined;
}
