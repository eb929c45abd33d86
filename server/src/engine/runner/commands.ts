// The runner as a library: up, rollback, redo and status, each one function returning a RunResult
// (the CLI and the editor are thin layers over these). Every command follows the same path:
// resolve the URL -> connect -> lock -> ensure tables -> load migrations -> pure plan -> apply each
// step -> unlock (in finally) -> write the local applied-migration record the linter reads.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/config';
import { createDiskHost, type ProjectHost } from '../host';
import { initParser } from '../sql/parser';
import { compareVersions } from '../versions';
import { applyStep, passesOverFailure, recordStep, type ApplyContext } from './apply';
import { ConnectError, dbErrorInfo, isCancelled, LockBusyError, postgresDuration, quoteIdent, splitQualified, withAdvisoryLock, withClient, type Session } from './db';
import { EmbeddedError, embeddedServerState, ensureEmbeddedServer } from './embedded';
import { lineOf } from './errors';
import type { RunEvent, RunResult, StatusEntry } from './events';
import { downSectionOf, downStatementHashes, loadMigrations, type LoadedMigrations, type Migration } from './migrations';
import { computeStatus, flywayValidation, GOLANG_MIGRATE_SKIPPED, type FlywayValidation, liquibaseVersionOf, outOfOrder, planRollback, planUp, previousApplied, renamedWarnings, type MigrationStatus, type Plan, type Step } from './plan';
import { parseRecord, recordKey, RECORD_FILE_NAME, RECORD_VERSION, serializeRecord, type AppliedChangeset, type AppliedRecord } from './record';
import { destructiveConfirmation, destructiveDowns, remoteConfirmation } from './safety';
import { ensureStateDir, writeFileAtomic } from './state';
import { pinnedTracking, TrackingTableError, type Tracker, type ZdmTable } from './tracking/index';
import { createRedactor, maskUrl, resolveConfiguredUrl, UrlError, type ResolvedUrl } from './url';
import { USUAL_MIGRATION_DIRS } from '../scaffold/target';
import type { FormatId } from '../model';
import { evaluateFlywayBoolean, fileValues, flywayHistoryTable, flywaySchema, readFlywaySettings, sessionPlaceholderValues, substitutePlaceholders, type FlywaySettings } from './placeholders';
import { flywayChecksum } from './flyway-script';
import { FLYWAY_BASELINE_DEFAULTS, flywayBaselineCheck, flywayBaselineRow, flywayVersion } from './tracking/flyway';
import { tableColumns } from './tracking/types';
import { sqitchChangeOf, sqitchChangesTable, sqitchDeployVerify, sqitchRunProblems, sqitchVersionOf } from './sqitch';
import { changeTargetName } from './sqitch-plan';
import { verifyDeployedChange, verifyLoggedChange } from './sqitch-verify';

export interface RunnerOptions {
  /** The folder the command runs from; .zdm.json is found by walking up from it (or from `dir`). */
  cwd: string;
  /** An explicit .zdm.json. */
  configPath?: string;
  /** The migrations folder, overriding .zdm.json's migrationsDir. */
  dir?: string;
  /** --url (or ZDM_DATABASE_URL in env). */
  url?: string;
  env: NodeJS.ProcessEnv;
  /** Confirmed in advance: a database that is not local, a rollback that drops tables or columns. */
  yes?: boolean;
  /** Wait for another runner's lock instead of failing at once (true, or a number of ms). */
  wait?: boolean | number;
  /** Progress, as it happens. */
  onEvent?: (event: RunEvent) => void;
  host?: ProjectHost;
  /** Use the embedded server when no database URL is configured (default true). */
  embedded?: boolean;
  /** Start the embedded server when it is not running (default true); false reports `noDatabase`. */
  startEmbedded?: boolean;
  /** Send each transactional section in one round trip (default true); false: one statement at a time. */
  batchStatements?: boolean;
  /**
   * A sqitch project's `up` and `redo`: run each change's verify script right after its deploy, as
   * `sqitch deploy --verify` does (false: not, as `--no-verify`). Unset: `deploy.verify` in sqitch.conf.
   */
  verify?: boolean;
  /**
   * Stops the run (the CLI's Ctrl-C or SIGTERM, the editor's Cancel): the statement running is
   * cancelled as psql's Ctrl-C cancels it, and the run ends as after a failure: a migration in one
   * transaction is rolled back, one sent statement by statement is recorded as failed where it stopped,
   * no further migration starts, and the locks are released before the run returns.
   */
  signal?: AbortSignal;
}

export interface UpOptions extends RunnerOptions {
  /** Apply pending migrations up to and including this version. */
  to?: string;
  /**
   * Apply pending migrations older than the newest applied one (goose's `-allow-missing`; Flyway's
   * `outOfOrder`, also read from flyway.conf, flyway.toml or FLYWAY_OUT_OF_ORDER). Without it, a goose or
   * Flyway project with such a migration is refused, as those tools refuse it.
   */
  allowMissing?: boolean;
  /**
   * Record the planned migrations as applied without running them (`sqitch deploy --log-only`, Liquibase
   * `changelog-sync`): for a database whose schema already matches. Only the tracking tables change.
   */
  logOnly?: boolean;
}

export interface RollbackOptions extends RunnerOptions {
  /** Roll back every migration after this version (0: all). */
  to?: string;
  /** Roll back down to and including this version. */
  through?: string;
  /** Record the planned migrations as rolled back without running their downs (`sqitch revert --log-only`). */
  logOnly?: boolean;
}

/** Folders tried, in order, when neither --dir nor "migrationsDir" says where migrations are. */
/** The folders tried when neither --dir nor "migrationsDir" says: the same as `zdm new` and `zdm trio` write to. */
export const DEFAULT_MIGRATION_DIRS = USUAL_MIGRATION_DIRS;

/** The lock's first key: "zdm" in ASCII. The second is a hash of the tracking table. */
const LOCK_NAMESPACE = 0x7a646d;

export function up(options: UpOptions): Promise<RunResult> {
  return run('up', options, (statuses, project, format) => {
    const flyway = format === 'flyway' ? flywaySettingsOf(project, options.env, options.host) : undefined;
    const configured = options.to === undefined && flyway ? flywayTarget(flyway) : undefined;
    if (configured?.problem) return { steps: [], problems: [configured.problem], usage: true };
    const to = targetVersion(statuses, project, format, options.to ?? configured?.version, options.cwd, 'zdm up --to');
    if (to.problem) return { steps: [], problems: [to.problem], usage: true };
    const plan = planUp(statuses, { to: to.version });
    if (to.warning) plan.warnings = [to.warning];
    if (configured?.version !== undefined) plan.warnings = [...(plan.warnings ?? []), configured.warning!];
    if (flyway) flywayMigrateChecks(plan, statuses, flyway, options.allowMissing === true, to.version);
    const late = format === 'goose' ? outOfOrder(plan.steps, statuses) : undefined;
    if (late && !options.allowMissing) plan.problems.push(outOfOrderProblem(late));
    const gone = plan.steps.length > 0 && format === 'golang-migrate' ? missingCurrentVersion(statuses) : undefined;
    if (gone) plan.warnings = [...(plan.warnings ?? []), gone];
    const renamed = renamedWarnings(plan.steps, statuses, upTargetOf);
    if (renamed.length > 0) plan.warnings = [...(plan.warnings ?? []), ...renamed];
    const skipped = statuses.filter((s) => s.note === GOLANG_MIGRATE_SKIPPED && s.migration);
    if (skipped.length > 0) plan.warnings = [...(plan.warnings ?? []), `${skipped.map((s) => s.migration!.name).join(', ')}: ${GOLANG_MIGRATE_SKIPPED}.`];
    return plan;
  }, options.logOnly === true);
}

/**
 * Flyway's `target` setting, which `flyway migrate` stops at as `zdm up --to` does (--to wins over it):
 * a version, or `latest` (Flyway's default: no stop). Flyway's other targets (`current`, `next`, a
 * version with `?`) are refused rather than ignored.
 */
function flywayTarget(settings: FlywaySettings): { version?: string; warning?: string; problem?: string } | undefined {
  const target = settings.target;
  if (target === undefined || target.toLowerCase() === 'latest') return undefined;
  const version = flywayVersion(target);
  const from = settings.targetFrom ?? 'target';
  if (version === undefined) return { problem: `Flyway's target is ${target} (from ${from}); zdm up reads a version or latest there, not ${target}. Nothing was run: set a version, or pass zdm up --to VERSION.` };
  return { version, warning: `Flyway's target is ${version} (from ${from}): zdm up stops there, as flyway migrate does (zdm up --to VERSION goes elsewhere).` };
}

/**
 * Flyway's validation before `flyway migrate` (plan.ts flywayValidation), applied to zdm's plan: what
 * it refuses (an Ignored migration below the newest applied one, a Missing or Future one that no
 * ignoreMigrationPatterns pattern lets pass) refuses the run with Flyway's messages, so that a
 * database zdm migrates is one Flyway migrates too; an Ignored migration it lets pass is not run, as
 * Flyway does not run it; a Future one it lets pass is warned about, as Flyway warns. `allowMissing`
 * (zdm up --allow-missing) stands for outOfOrder=true.
 */
function flywayMigrateChecks(plan: Plan, statuses: readonly MigrationStatus[], settings: FlywaySettings, allowMissing: boolean, to: string | undefined): void {
  const validation = flywayValidation(statuses, { patterns: settings.ignoreMigrationPatterns, outOfOrder: settings.outOfOrder || allowMissing, validateOnMigrate: settings.validateOnMigrate }, to);
  if (validation.errors.length > 0) plan.problems.push(flywayRefusal(validation, "Flyway's validation (validateOnMigrate) refuses to migrate this database, and so does zdm: nothing was run."));
  const warnings: string[] = [];
  if (validation.leftAlone.length > 0) {
    const leave = new Set(validation.leftAlone.map((s) => s.key));
    plan.steps = plan.steps.filter((step) => !leave.has(step.migration.key));
    warnings.push(`${validation.leftAlone.map((s) => `${s.migration!.name} (version ${s.version})`).join(', ')}: ${validation.notes.get(validation.leftAlone[0].key)}.`);
  }
  const newest = validation.future.reduce<string | undefined>((v, s) => (v === undefined || compareVersions(s.version, v) > 0 ? s.version : v), undefined);
  if (newest !== undefined) {
    // Flyway's DbMigrate warns on every migrate while the history is ahead of the files.
    warnings.push(
      validation.lastResolved === undefined
        ? `The schema history has version ${newest}, but no migration could be resolved in the migrations folder (Flyway logs this too; its ignoreMigrationPatterns lets the Future migration pass).`
        : `The schema history has a version (${newest}) that is newer than the latest available migration (${validation.lastResolved}): Flyway warns so too, and lets it pass (ignoreMigrationPatterns).`,
    );
  }
  if (warnings.length > 0) plan.warnings = [...(plan.warnings ?? []), ...warnings];
}

/** Flyway's validation failure, as Flyway words it, each message after the file it is about (when on disk). */
function flywayRefusal(validation: FlywayValidation, lead: string): string {
  const lines = validation.errors.map((e) => `${e.status.migration ? `${e.status.migration.name}: ` : ''}${e.message}`);
  return `${lead}\nValidate failed: Migrations have failed validation\n${lines.join('\n')}`;
}

/**
 * What golang-migrate says of a current version whose file is gone, which zdm applies the pending
 * migrations past: golang-migrate cannot migrate from it. A warning, so that the user learns it on the
 * dev database, not from the tool in production.
 */
function missingCurrentVersion(statuses: readonly MigrationStatus[]): string | undefined {
  const missing = statuses.filter((s) => s.state === 'missing');
  if (missing.length === 0) return undefined;
  const versions = missing.map((s) => s.version).join(', ');
  return `The current version, ${versions}, has no file on disk. golang-migrate refuses to migrate from it ("no migration found for version ${missing[0].version}"); zdm applies the pending migrations anyway. Put the file back before running golang-migrate on this database.`;
}

/** Why a goose run is refused: which migrations are older than the newest applied one, what goose says, and the way out. */
function outOfOrderProblem(late: NonNullable<ReturnType<typeof outOfOrder>>): string {
  const names = late.older.map((m) => `${m.name} (version ${m.version})`).join(', ');
  const count = late.older.length === 1 ? '1 pending migration is' : `${late.older.length} pending migrations are`;
  const head = `${count} older than the newest applied one, ${late.newest.migration?.name ?? late.newest.version} (version ${late.newest.version}): ${names}.`;
  return `${head} goose refuses to run (\`found ${late.older.length} missing migrations before current version ${late.newest.key}\`) unless it is given -allow-missing; nothing was run. Give it a version after ${late.newest.version}, or apply it out of order with zdm up --allow-missing.`;
}

export function rollback(options: RollbackOptions): Promise<RunResult> {
  return run('rollback', options, (statuses, project, format) => {
    const to = targetVersion(statuses, project, format, options.to, options.cwd, 'zdm rollback --to');
    const through = targetVersion(statuses, project, format, options.through, options.cwd, 'zdm rollback --through');
    const problems = [to.problem, through.problem].filter((p): p is string => p !== undefined);
    if (problems.length > 0) return { steps: [], problems, usage: true };
    const plan = planRollback(statuses, { to: to.version, through: through.version });
    const warnings = [to.warning, through.warning].filter((w): w is string => w !== undefined);
    if (warnings.length > 0) plan.warnings = [...warnings, ...(plan.warnings ?? [])];
    return plan;
  }, options.logOnly === true);
}

/**
 * A --to / --through as the version the planner compares: a sqitch change is named as sqitch names it
 * (its name, `name@tag`, `@tag`, its id; digits that are a change's name are that change, with a warning
 * when they are also another change's position; @HEAD, @ROOT and ~N / ^N offsets counted in the plan for up,
 * among the deployed changes for rollback; anything else, digits and abbreviated ids too, is sqitch's
 * `Unknown change`: sqitchVersionOf), a Liquibase changeset by its id,
 * `id::author` or `path::id::author`; both are numbered by position, which is what the planner compares.
 * `option` names the flag in a warning. The contract gate (prove/verify.ts) plans `zdm up --to` with it too.
 */
export function targetVersion(statuses: readonly MigrationStatus[], project: Project, format: FormatId, target: string | undefined, cwd: string, option: string): { version?: string; problem?: string; warning?: string } {
  if (format === 'sqitch') return sqitchVersionOf(target, statuses, option);
  if (format === 'liquibase') return liquibaseVersionOf(target, statuses, cwd, project.loadedMigrations.leftOut);
  return { version: target };
}

/**
 * What a hint tells `zdm up --to` to name a migration by, so that the command it suggests is accepted:
 * a sqitch change as sqitch names it (changeTargetName: its name, `users@HEAD` for a reworked change),
 * since its version is its position in sqitch.plan, which targetVersion refuses; any other migration
 * by its version.
 */
export function upTargetOf(migration: Migration): string {
  const sqitch = sqitchChangeOf(migration);
  return sqitch ? changeTargetName(sqitch.change, sqitch.plan.changes) : migration.version;
}

/** Rolls back the last applied migration and applies it again. */
export function redo(options: RunnerOptions): Promise<RunResult> {
  return run('redo', options, (statuses) => {
    const back = planRollback(statuses);
    if (back.problems.length > 0 || back.steps.length === 0) return back;
    return { steps: [...back.steps, { direction: 'up', migration: back.steps[0].migration }], problems: [] };
  });
}

export interface BaselineOptions extends RunnerOptions {
  /** Flyway's baselineVersion (default: flyway.baselineVersion / FLYWAY_BASELINE_VERSION, else 1). */
  version?: string;
  /** Flyway's baselineDescription (default: flyway.baselineDescription / FLYWAY_BASELINE_DESCRIPTION, else << Flyway Baseline >>). */
  description?: string;
}

/**
 * `flyway baseline` for a Flyway project: writes Flyway's BASELINE row to its history table (creating
 * the table when missing), so the migrations at or below that version count as the database's starting
 * point; refused, in Flyway's words, when the table already holds migrations or another baseline.
 * Everything else (the confirmation for a database that is not local, the locks) is as for `up`.
 */
export function baseline(options: BaselineOptions): Promise<RunResult> {
  // Its work is done before any plan (run: flywayBaseline); the planner is never asked.
  return run('baseline', options, () => ({ steps: [], problems: [] }), false, { version: options.version, description: options.description });
}

/** Every migration with its state (applied, edited, pending, missing, failed, below a Flyway baseline). Changes nothing in the database. */
export function status(options: RunnerOptions): Promise<RunResult> {
  return run('status', options, undefined);
}

/** The project a command works on: its config, root, migrations folders and migrations. */
export interface Project {
  loaded: LoadedConfig;
  root: string;
  dirs: string[];
  loadedMigrations: LoadedMigrations;
}

export class UsageError extends Error {}

/**
 * Finds the config and the migrations folder, and loads the migrations (no database). A project loaded
 * before in this process is reused while none of the files and folders it read have changed (a
 * wrapper that checks something first, then runs `up`, does not pay for loading twice).
 */
export async function loadProject(options: Pick<RunnerOptions, 'cwd' | 'configPath' | 'dir' | 'host'> & { env?: NodeJS.ProcessEnv }): Promise<Project> {
  // The environment gives placeholder values (Flyway's FLYWAY_PLACEHOLDERS_*, goose ENVSUB): part of the key.
  const env = options.env ?? process.env;
  const key = JSON.stringify([path.resolve(options.cwd), options.configPath, options.dir, Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
  const cached = options.host ? undefined : projectCache.get(key);
  if (cached && cached.stamps.every(([p, stamp]) => stampOf(p) === stamp)) return cached.project;
  const read = new Set<string>();
  const disk = createDiskHost({ cache: true });
  const host: ProjectHost = options.host ?? {
    readFile: (p) => (read.add(p), disk.readFile(p)),
    fileExists: (p) => (read.add(path.dirname(p)), disk.fileExists(p)),
    readDirectory: (d) => (read.add(d), disk.readDirectory(d)),
  };
  const dirOption = options.dir !== undefined ? path.resolve(options.cwd, options.dir) : undefined;
  const loaded = loadConfig(dirOption ?? options.cwd, host, options.configPath);
  // With no .zdm.json, the project is the folder the command runs from, --dir or not: `zdm up --dir
  // db/migrations` and `zdm status` then share one embedded database (in ./.zdm), not one each.
  const cwd = path.resolve(options.cwd);
  const root = loaded.path === undefined && dirOption !== undefined && (dirOption + path.sep).startsWith(cwd + path.sep) ? cwd : loaded.root;
  let dirs: string[];
  if (dirOption !== undefined) dirs = [dirOption];
  else if (loaded.config.migrationsDir.length > 0) dirs = loaded.config.migrationsDir.map((d) => path.resolve(root, d));
  else {
    const found = defaultDirCandidates(root, host).find((d) => host.readDirectory(d) !== undefined);
    if (!found) throw new UsageError(`No migrations folder: none of ${DEFAULT_MIGRATION_DIRS.join(', ')} exists in ${root}. Pass --dir, or set "migrationsDir" in .zdm.json.`);
    dirs = [found];
  }
  await initParser();
  const loadedMigrations = loadMigrations({ dirs, config: loaded.config, host, root, env, cwd });
  const project = { loaded, root, dirs, loadedMigrations };
  if (!options.host) projectCache.set(key, { project, stamps: [...read].map((p) => [p, stampOf(p)]) });
  return project;
}

/**
 * The folders looked in, in order, when neither --dir nor "migrationsDir" says: the usual ones, then a
 * sqitch project's deploy/ beside its sqitch.plan (its changes are read from the plan).
 */
export function defaultDirCandidates(root: string, host: ProjectHost): string[] {
  const sqitchDeploy = host.readFile(path.join(root, 'sqitch.plan')) !== undefined ? path.join(root, 'deploy') : undefined;
  return [...DEFAULT_MIGRATION_DIRS.map((d) => path.join(root, d)), ...(sqitchDeploy ? [sqitchDeploy] : [])];
}

const projectCache = new Map<string, { project: Project; stamps: [string, string][] }>();

/** What changes when a file or folder changes: a folder's entries, a file's time and size. */
function stampOf(p: string): string {
  try {
    const stat = fs.statSync(p);
    return stat.isDirectory() ? `d:${fs.readdirSync(p).join('/')}` : `f:${stat.mtimeMs}:${stat.size}`;
  } catch {
    return 'missing';
  }
}

/** The tool's tracking table: .zdm.json's `database.migrationsTable`, else for Flyway the history table its own settings name (flyway.table, flyway.schemas), else the tool's default. */
export function trackingTableName(project: Project, format: FormatId, env: NodeJS.ProcessEnv, host?: ProjectHost): string | undefined {
  // sqitch's registry is a schema of its own tables, named in sqitch.conf: its `changes` table stands for it.
  if (format === 'sqitch') return sqitchChangesTable(project.dirs[0] ?? project.root, host ?? createDiskHost(), env);
  return project.loaded.config.database.migrationsTable ?? (format === 'flyway' ? flywayHistoryTable(flywaySettingsOf(project, env, host)) : undefined);
}

/** The project's Flyway settings as loadMigrations read them for this command (read here only when it did not, its folder holding no Flyway migration). */
export function flywaySettingsOf(project: Project, env: NodeJS.ProcessEnv, host?: ProjectHost): FlywaySettings {
  return project.loadedMigrations.flyway ?? readFlywaySettings(project.root, host ?? createDiskHost(), env);
}

type Planner = (statuses: MigrationStatus[], project: Project, format: FormatId) => Plan;

/**
 * `logOnly`: each planned step is only recorded (the tool's rows and zdm_migrations', in one transaction
 * per step: recordStep), never run; everything else (the plan, its refusals, the confirmation for a
 * database that is not local, the locks) is as for a run.
 */
async function run(command: RunResult['command'], options: RunnerOptions, planner: Planner | undefined, logOnly = false, baselineAsked: { version?: string; description?: string } = {}): Promise<RunResult> {
  const started = performance.now();
  const result: RunResult = { command, ok: false, steps: [], warnings: [], durationMs: 0 };
  if (logOnly) result.logOnly = true;
  const emit = (event: RunEvent) => {
    if (event.type === 'warning') result.warnings.push(event.message);
    options.onEvent?.(event);
  };
  let redact = createRedactor([]);
  let seen: MigrationStatus[] | undefined;
  const finish = () => {
    result.durationMs = performance.now() - started;
    return result;
  };

  let project: Project;
  try {
    project = await loadProject(options);
  } catch (error) {
    if (error instanceof UsageError) {
      result.usageError = error.message;
      return finish();
    }
    throw error;
  }
  const { loaded, root, loadedMigrations } = project;
  result.root = root;
  for (const p of loaded.problems) emit({ type: 'warning', message: `${loaded.path ? path.relative(options.cwd, loaded.path) || loaded.path : '.zdm.json'}: ${p.message}` });
  for (const p of loadedMigrations.problems) if (p.severity === 'warning') emit({ type: 'warning', message: p.message });
  const fatal = loadedMigrations.problems.filter((p) => p.severity === 'error');
  if (fatal.length > 0) {
    result.usageError = fatal.map((p) => p.message).join('\n');
    return finish();
  }
  const migrations = loadedMigrations.migrations;
  const format = loaded.config.format ?? loadedMigrations.format ?? 'dbmate';
  if (options.verify && format !== 'sqitch') {
    result.usageError = `--verify runs a sqitch project's verify scripts after each deploy; this project is ${format}. (A backfill's -- zdm:verify queries run with zdm verify.)`;
    return finish();
  }
  // Flyway's baseline: `zdm baseline`, or `zdm up` under baselineOnMigrate (not with --log-only, as
  // Flyway does not baseline when it skips executing migrations).
  let flywayBaseline: { version: string; description: string; onMigrate: boolean } | undefined;
  const flyway = format === 'flyway' ? flywaySettingsOf(project, options.env, options.host) : undefined;
  if (command === 'baseline' && format !== 'flyway') {
    result.usageError = `zdm baseline is a Flyway command (flyway baseline): it writes Flyway's BASELINE row to its schema history table, and this project is ${format}. To record migrations as applied without running them, use zdm up --log-only [--to VERSION].`;
    return finish();
  }
  if (flyway && (command === 'baseline' || (command === 'up' && !logOnly))) {
    if (command === 'baseline' || flyway.baselineOnMigrate) {
      const asked = baselineAsked.version ?? flyway.baselineVersion ?? FLYWAY_BASELINE_DEFAULTS.version;
      const version = flywayVersion(asked);
      const description = baselineAsked.description ?? flyway.baselineDescription ?? FLYWAY_BASELINE_DEFAULTS.description;
      const from = baselineAsked.version !== undefined ? '--version' : flyway.baselineVersionFrom ?? "Flyway's default";
      if (version === undefined) {
        result.usageError = `Invalid version containing non-numeric characters. Only 0..9 and . are allowed. Invalid version: ${asked} (from ${from}).`;
        return finish();
      }
      if (description.length > 200) {
        result.usageError = `The baseline description is ${description.length} characters long; Flyway's schema history table keeps at most 200.`;
        return finish();
      }
      flywayBaseline = { version, description, onMigrate: command === 'up' };
    }
  }

  // sqitch's --verify, else deploy.verify in its configuration; a rollback deploys nothing.
  let verify = false;
  if (format === 'sqitch' && command !== 'rollback' && command !== 'status') {
    const configured = options.verify === undefined ? sqitchDeployVerify(project.dirs[0] ?? root, options.host ?? createDiskHost(), options.env) : { verify: options.verify };
    if ('error' in configured) {
      result.usageError = configured.error;
      return finish();
    }
    // With --log-only too: sqitch deploy --log-only --verify runs the verify scripts, not the deploy scripts.
    verify = configured.verify;
  }

  // The database: --url, ZDM_DATABASE_URL, DATABASE_URL, .zdm.json, else the embedded server.
  let resolved: ResolvedUrl;
  try {
    const configured = resolveConfiguredUrl({ flag: options.url, env: options.env, config: loaded.config.database.url });
    if (configured) resolved = configured;
    else if (options.embedded === false) {
      result.usageError = 'No database configured: pass --url, set DATABASE_URL, or set "database.url" in .zdm.json.';
      return finish();
    } else if (options.startEmbedded === false && !embeddedServerState(root).running) {
      result.noDatabase = true;
      result.usageError = 'No database: no URL is configured and the embedded PostgreSQL is not running (zdm db start starts it).';
      return finish();
    } else {
      const server = await ensureEmbeddedServer(root, { log: (line) => emit({ type: 'info', message: line }) });
      resolved = { url: server.url, source: 'embedded', origin: `the embedded server (${path.relative(options.cwd, server.dataDir) || server.dataDir})` };
    }
  } catch (error) {
    if (error instanceof UrlError || error instanceof EmbeddedError) {
      result.usageError = createRedactor([options.url ?? '', options.env.DATABASE_URL ?? '', options.env.ZDM_DATABASE_URL ?? ''])(error.message);
      return finish();
    }
    throw error;
  }
  redact = createRedactor([resolved.url]);
  result.database = maskUrl(resolved.url);
  result.source = resolved.origin;

  if (command !== 'status' && !options.yes) {
    const remote = remoteConfirmation(resolved.url);
    if (remote) {
      result.needsConfirmation = remote;
      return finish();
    }
  }

  const tableName = trackingTableName(project, format, options.env, options.host);
  let tracker: Tracker;
  let zdm: ZdmTable;
  try {
    await withClient(
      resolved.url,
      async (session) => {
        emit({ type: 'database', url: result.database!, source: resolved.origin, serverVersion: session.serverVersion });
        // Ctrl-C: cancel what the session runs now; the run then stops at its next check.
        const cancel = () => void session.cancel();
        options.signal?.addEventListener('abort', cancel, { once: true });
        try {
          await configureSession(session, loaded);
          ({ tracker, zdm } = await pinnedTracking(session, format, tableName));
          if (!planner) {
            const statuses = await readStatus(session, tracker, zdm, migrations, flyway);
            if (flyway) {
              // What `flyway migrate` would say of this database now, as zdm up would say it.
              const validation = flywayValidation(statuses, { patterns: flyway.ignoreMigrationPatterns, outOfOrder: flyway.outOfOrder, validateOnMigrate: flyway.validateOnMigrate });
              if (validation.errors.length > 0) emit({ type: 'warning', message: flywayRefusal(validation, "Flyway's validation (validateOnMigrate) would refuse to migrate this database, and so would zdm up:") });
            }
            seen = statuses;
            result.ok = true;
            return;
          }
          await withAdvisoryLock(session, [LOCK_NAMESPACE, hash31(tracker.table)], { wait: options.wait ?? false }, () => withToolLock(session, tracker, async () => {
            const settings: ApplyContext['timeouts'] = timeoutsOf(loaded);
            // What Flyway looks at before it creates its table (DbMigrate): whether the table exists, and if it
            // does not, whether a schema it manages holds anything. Then `migrate` baselines first under
            // baselineOnMigrate, and without it refuses: run on a schema made by other means, V1 would fail
            // half-way or, worse, run again what is already there.
            const flywayUp = flyway !== undefined && command === 'up' && !logOnly;
            const existed = flywayBaseline || flywayUp ? (await tableColumns(session, tracker.table)).length > 0 : true;
            const occupied = flywayUp && !existed ? await nonEmptySchemas(session, tracker.table, flyway.schemas) : [];
            if (flywayUp && occupied.length > 0 && !flywayBaseline) {
              result.error = {
                message:
                  `Found non-empty schema(s) ${occupied.map(quoteIdent).join(',')} but no schema history table. Use baseline() or set baselineOnMigrate to true to initialize the schema history table.` +
                  ` (Flyway's refusal, and zdm's: nothing was run. If the schema already has what the migrations up to a version make, record that version with zdm baseline --version V, or set flyway.baselineOnMigrate=true; on a database meant to be empty, drop what is there.)`,
              };
              seen = await readStatus(session, tracker, zdm, migrations, flyway);
              return;
            }
            const baselineNow = flywayBaseline && (!flywayBaseline.onMigrate || occupied.length > 0);
            try {
              settings.searchPath = await ensureTracking(session, tracker, zdm, managedSchema(project, format, options.env, options.host));
            } catch (error) {
              // Say which step failed: a role without CREATE on the schema otherwise reads "permission denied for schema public" and nothing more.
              const code = dbErrorInfo(error)?.code;
              if (code === undefined || isCancelled(error, session)) throw error;
              result.error = { message: redact(`Cannot create the tracking tables (${tracker.tool === 'zdm' ? zdm.table : `${tracker.table} and ${zdm.table}`}) that record what is applied: ${(error as Error).message}. Nothing was run.`), code };
              seen = await readStatus(session, tracker, zdm, migrations, flyway).catch(() => undefined);
              return;
            }
            if (flywayBaseline && baselineNow) {
              const { version, description } = flywayBaseline;
              const check = await flywayBaselineCheck(session, tracker.table, existed, version, description);
              if ('refusal' in check) {
                result.error = { message: check.refusal };
                seen = await readStatus(session, tracker, zdm, migrations, flyway);
                return;
              }
              if ('skip' in check) {
                emit({ type: 'info', message: check.skip });
                result.baseline = { version, description, skipped: true };
              } else {
                const row = flywayBaselineRow(tracker.table, version, description);
                await session.query(row.text, row.values);
                result.baseline = { version, description };
                emit({
                  type: 'info',
                  message: flywayBaseline.onMigrate
                    ? `baselineOnMigrate: the schema is not empty and has no schema history table, so it was baselined first, as Flyway does: Successfully baselined schema with version: ${version}`
                    : `Successfully baselined schema with version: ${version}`,
                });
              }
            }
            let statuses = await readStatus(session, tracker, zdm, migrations, flyway);
            if (command === 'baseline') {
              seen = statuses;
              result.ok = true;
              return;
            }
            const plan = planner(statuses, project, format);
            for (const warning of plan.warnings ?? []) emit({ type: 'warning', message: warning });
            // A partly applied migration is recorded as applied as it is: nothing of it is run again.
            if (!logOnly) plan.problems.push(...changedCommitted(plan.steps, statuses));
            if (format === 'sqitch') plan.problems.push(...sqitchRunProblems(plan.steps, statuses, options.cwd, { verify, logOnly }));
            if (plan.problems.length > 0) {
              result.error = { message: plan.problems.join('\n') };
              if (plan.usage) result.usageError = plan.problems.join('\n');
              seen = statuses;
              return;
            }
            if (!options.yes && !logOnly) {
              const drops = destructiveDowns(plan.steps, options.cwd);
              if (drops.length > 0) {
                result.needsConfirmation = destructiveConfirmation(drops);
                seen = statuses;
                return;
              }
            }
            emit({ type: 'plan', command, steps: plan.steps.map((s) => ({ version: s.migration.version, name: s.migration.name, direction: s.direction })), ...(logOnly ? { logOnly: true as const } : {}) });
            const interrupted = () => options.signal?.aborted === true;
            const ctx: ApplyContext = { session, tracker, zdm, timeouts: settings, emit, redact, batch: options.batchStatements !== false, afterUp: verify ? verifyDeployedChange : undefined, beforeLogged: verify ? verifyLoggedChange : undefined, interrupted };
            const removed = new Set<string>();
            for (const step of plan.steps) {
              if (interrupted()) {
                result.error = { message: `Interrupted before ${step.migration.name} ${step.direction === 'up' ? 'was applied' : 'was rolled back'}: it and the migrations after it were not run.`, interrupted: true };
                break;
              }
              const stepResult = logOnly ? await recordStep(ctx, step, stepOptions(step, statuses, removed)) : await applyStep(ctx, step, stepOptions(step, statuses, removed));
              result.steps.push(stepResult);
              if (!stepResult.ok && !logOnly && passesOverFailure(step, stepResult.error)) {
                // Liquibase's failOnError:false: the changeset's transaction was rolled back, nothing of
                // it is recorded (applyStep left no zdm_migrations row either), and the run goes on: it
                // stays pending, and the next run tries it again.
                stepResult.continued = true;
                emit({ type: 'warning', message: `${step.migration.name} failed and is not recorded; the run goes on, as Liquibase goes on after a changeset marked failOnError:false: ${stepResult.error?.message ?? 'unknown error'}` });
                continue;
              }
              if (!stepResult.ok) {
                result.error = stepResult.error;
                break;
              }
              if (step.direction === 'down') removed.add(step.migration.key);
              else removed.delete(step.migration.key);
            }
            statuses = await readStatus(session, tracker, zdm, migrations, flyway).catch(() => statuses);
            seen = statuses;
            result.ok = result.error === undefined;
          }));
        } finally {
          options.signal?.removeEventListener('abort', cancel);
        }
      },
      { applicationName: `zdm ${command}` },
    );
  } catch (error) {
    if (error instanceof ConnectError) result.usageError = redact(error.message);
    // The abort listener sent the session's cancel: a 57014 now is that cancel, in whatever language it is told.
    else if (options.signal?.aborted && isCancelled(error, { cancelRequested: true })) result.error = { message: 'Interrupted before any migration ran (while waiting for the migration lock, or reading the database): nothing changed.', code: '57014', interrupted: true };
    else if (error instanceof LockBusyError || error instanceof TrackingTableError) result.error = { message: redact(error.message) };
    else {
      result.error = { message: redact(error instanceof Error ? error.message : String(error)) };
      const code = (error as { code?: string }).code;
      if (typeof code === 'string') result.error.code = code;
    }
    result.ok = false;
  }
  if (seen) {
    result.status = statusEntries(seen);
    writeAppliedRecord(root, result.database ?? '', seen);
  }
  return finish();
}

/**
 * The schemas Flyway manages (`schemas`; none set: the one of the history table `table`, else the
 * session's current schema) that exist and hold something, as Flyway's PostgreSQL schema check
 * (PostgreSQLSchema.doEmpty) sees it: a table, view or sequence (relkind r, v, S, t: not a materialized
 * view, a foreign table or a partitioned table without partitions), a type that is not a row or array
 * type, or a function, that is not an extension's. zdm's own zdm_migrations does not count.
 */
async function nonEmptySchemas(session: Session, table: string, schemas: readonly string[]): Promise<string[]> {
  const parts = splitQualified(table);
  const rows = await session.query<{ nspname: string }>(
    `WITH managed (names) AS (SELECT CASE WHEN cardinality($1::text[]) > 0 THEN $1::text[] ELSE ARRAY[coalesce($2, current_schema())] END)
     SELECT n.nspname FROM pg_namespace AS n, managed
      WHERE n.nspname = ANY (managed.names)
        AND (EXISTS (SELECT 1 FROM pg_class c LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
                      WHERE c.relnamespace = n.oid AND d.objid IS NULL AND c.relkind IN ('r', 'v', 'S', 't') AND c.relname <> 'zdm_migrations')
          OR EXISTS (SELECT 1 FROM pg_type t LEFT JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
                      WHERE t.typnamespace = n.oid AND d.objid IS NULL AND t.typcategory NOT IN ('A', 'C'))
          OR EXISTS (SELECT 1 FROM pg_proc p LEFT JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
                      WHERE p.pronamespace = n.oid AND d.objid IS NULL))
      ORDER BY array_position(managed.names, n.nspname::text)`,
    [schemas, parts.length > 1 ? parts[0] : null],
  );
  return rows.map((r) => r.nspname);
}

/** Holds the tool's own lock (Liquibase's databasechangeloglock), when it has one, while `fn` runs. */
async function withToolLock<T>(session: Session, tracker: Tracker, fn: () => Promise<T>): Promise<T> {
  await tracker.lock?.(session);
  try {
    return await fn();
  } finally {
    await tracker.unlock?.(session).catch(() => undefined);
  }
}

/** The schema the tool manages and migrates in, when the project names one (Flyway's flyway.schemas / defaultSchema). */
export function managedSchema(project: Project, format: FormatId, env: NodeJS.ProcessEnv, host?: ProjectHost): { schema: string; create: boolean } | undefined {
  return format === 'flyway' ? flywaySchema(flywaySettingsOf(project, env, host)) : undefined;
}

/**
 * Creates the tracking tables when missing, and sets the session up as the tool does before it migrates:
 * Flyway creates the schema it manages when missing (with its marker row) and puts it first on the
 * search_path. Returns that search_path, to be set again after a migration's RESET ALL.
 */
export async function ensureTracking(session: Session, tracker: Tracker, zdm: ZdmTable, managed: { schema: string; create: boolean } | undefined): Promise<string | undefined> {
  const createdSchema = managed ? await createMissingSchema(session, managed) : false;
  await tracker.ensure(session);
  await zdm.ensure(session);
  if (!managed) return undefined;
  if (createdSchema) await session.query(flywaySchemaMarker(tracker.table), [quoteIdent(managed.schema)]);
  return searchPathFirst(session, managed.schema);
}

/** Creates Flyway's managed schema when it is missing and Flyway would create it (createSchemas); true when it did. */
async function createMissingSchema(session: Session, managed: { schema: string; create: boolean }): Promise<boolean> {
  const [row] = await session.query<{ exists: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS exists', [managed.schema]);
  if (row.exists || !managed.create) return false;
  await session.query(`CREATE SCHEMA ${quoteIdent(managed.schema)}`);
  return true;
}

/** The row Flyway writes (rank 0) when it created the schemas it manages. */
function flywaySchemaMarker(table: string): string {
  return `INSERT INTO ${table} (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (0, NULL, '<< Flyway Schema Creation >>', 'SCHEMA', $1, NULL, current_user, 0, true)`;
}

/** Puts `schema` first on the session's search_path, as Flyway does while it migrates; returns the new search_path. */
async function searchPathFirst(session: Session, schema: string): Promise<string> {
  const [row] = await session.query<{ path: string }>("SELECT current_setting('search_path') AS path");
  const quoted = quoteIdent(schema);
  const value = row.path.trim() ? `${quoted}, ${row.path}` : quoted;
  await session.query("SELECT set_config('search_path', $1, false)", [value]);
  return value;
}

/** Timeouts from .zdm.json for the session, in one round trip. */
async function configureSession(session: Session, loaded: LoadedConfig): Promise<void> {
  const { lockTimeout, statementTimeout } = timeoutsOf(loaded);
  // A killed runner's statement stops within a second instead of running on, holding its locks.
  const check = session.serverVersion >= 14 ? ", set_config('client_connection_check_interval', '1s', false)" : '';
  await session.query(`SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)${check}`, [postgresDuration(lockTimeout), postgresDuration(statementTimeout)]);
}

function timeoutsOf(loaded: LoadedConfig): { lockTimeout: string; statementTimeout: string } {
  return { lockTimeout: loaded.config.lockTimeout, statementTimeout: loaded.config.statementTimeout };
}

async function readStatus(session: Session, tracker: Tracker, zdm: ZdmTable, migrations: readonly Migration[], flyway?: FlywaySettings): Promise<MigrationStatus[]> {
  await repeatableChecksums(session, migrations);
  await shouldExecuteValues(session, migrations);
  const tool = await tracker.read(session, migrations);
  const rows = await zdm.read(session);
  const statuses = computeStatus(migrations, tool, rows, tracker.tool);
  if (flyway) {
    // What Flyway's validation says of them, beside each (Ignored, Missing, Future): the plan acts on it (flywayMigrateChecks).
    const validation = flywayValidation(statuses, { patterns: flyway.ignoreMigrationPatterns, outOfOrder: flyway.outOfOrder, validateOnMigrate: flyway.validateOnMigrate });
    for (const s of statuses) if (validation.notes.has(s.key)) s.note = validation.notes.get(s.key);
  }
  return statuses;
}

/**
 * The value of each Flyway script's `shouldExecute` (its script configuration file), with its
 * placeholders replaced as in the script (the session's built-ins included), evaluated as Flyway
 * evaluates it. Flyway stops on an expression it cannot read or a placeholder without a value: so does
 * zdm, naming the file.
 */
async function shouldExecuteValues(session: Session, migrations: readonly Migration[]): Promise<void> {
  const conditional = migrations.filter((m) => m.shouldExecute);
  if (conditional.length === 0) return;
  const withPlaceholders = conditional.filter((m) => m.up.placeholders);
  const sessionValues = withPlaceholders.length > 0 ? await sessionPlaceholderValues(session, withPlaceholders.map((m) => m.shouldExecute!.expression), withPlaceholders[0].up.placeholders!) : new Map<string, string>();
  for (const m of conditional) {
    const written = m.shouldExecute!.expression;
    const replaced = m.up.placeholders ? substitutePlaceholders(written, m.up.placeholders, new Map([...fileValues(m.upPath), ...sessionValues])) : { text: written };
    if (!('text' in replaced)) throw new Error(`${m.name}.conf: shouldExecute=${written}: ${replaced.message}`);
    const value = evaluateFlywayBoolean(replaced.text);
    if (typeof value !== 'boolean') throw new Error(`${m.name}.conf: shouldExecute=${written}: ${value.error} (Flyway stops on it too; write true, false, or A==B / A!=B joined by && and ||, with parentheses). Nothing was run.`);
    m.shouldExecute!.value = value;
  }
}

/**
 * Flyway's checksums of its repeatable scripts: of the script with its placeholders replaced (what Flyway
 * records and compares), and as written (which Flyway accepts as the same). A placeholder without a
 * value leaves only the second; running the script then stops on it.
 */
async function repeatableChecksums(session: Session, migrations: readonly Migration[]): Promise<void> {
  const repeatables = migrations.filter((m) => m.repeatable);
  if (repeatables.length === 0) return;
  const withPlaceholders = repeatables.filter((m) => m.up.placeholders);
  const sessionValues = withPlaceholders.length > 0 ? await sessionPlaceholderValues(session, withPlaceholders.map((m) => m.up.fileText), withPlaceholders[0].up.placeholders!) : new Map<string, string>();
  for (const m of repeatables) {
    const text = m.up.fileText;
    m.repeatable!.rawChecksum = flywayChecksum(text);
    const replaced = m.up.placeholders ? substitutePlaceholders(text, m.up.placeholders, new Map([...fileValues(m.upPath), ...sessionValues])) : { text };
    m.repeatable!.checksum = 'text' in replaced ? flywayChecksum(replaced.text) : undefined;
  }
}

/**
 * Resume an interrupted non-transactional up after the statements it committed (`changedCommitted` has
 * refused the plan when they changed), and likewise a rollback whose down section failed part way
 * (`changedCommitted` has refused it when the statements it committed changed).
 */
function stepOptions(step: Step, statuses: readonly MigrationStatus[], removed: ReadonlySet<string>): { previous?: Migration; resumeAt?: number } {
  const status = statuses.find((s) => s.key === step.migration.key);
  const failure = status?.failure;
  if (step.direction === 'down') {
    const previous = previousApplied(statuses, step.migration, removed);
    if (!failure || failure.direction !== 'down' || failure.done === 0) return { previous };
    return { previous, resumeAt: failure.done };
  }
  if (status?.state !== 'failed' || !failure || failure.direction !== 'up' || failure.done === 0) return {};
  return { resumeAt: failure.done };
}

/**
 * A partly applied migration whose committed statements were edited since: resuming would skip the new
 * text, and starting over would run again what is already in the database. Neither is right, so the
 * plan is refused with what to do.
 */
function changedCommitted(steps: readonly Step[], statuses: readonly MigrationStatus[]): string[] {
  const problems: string[] = [];
  for (const step of steps) {
    const status = statuses.find((s) => s.key === step.migration.key);
    const failure = status?.failure;
    if (step.direction === 'down') {
      if (!failure || failure.direction !== 'down' || failure.done === 0) continue;
      const hashes = downStatementHashes(step.migration);
      const done = failure.done === 1 ? 'statement 1 was' : `statements 1-${failure.done} were`;
      const way = `Put ${failure.done === 1 ? 'it' : 'them'} back as ${failure.done === 1 ? 'it' : 'they'} ran to resume at statement ${failure.done + 1}, or finish the rollback by hand and record it with zdm rollback --log-only.`;
      if (hashes.length !== failure.total) {
        problems.push(`${step.migration.name}: an earlier rollback failed part way, and ${done} committed (of ${failure.total}); the down section has ${hashes.length} statements now, so zdm cannot tell which of them ran. ${way}`);
        continue;
      }
      const changed = hashes.slice(0, failure.done).flatMap((h, i) => (failure.statements[i] === h ? [] : [i + 1]));
      if (changed.length === 0) continue;
      problems.push(
        `${step.migration.name}: an earlier rollback failed part way, and ${done} committed (of ${failure.total}); ${changed.length === 1 ? `statement ${changed[0]} of the down section has` : `statements ${changed.join(', ')} of the down section have`} changed since. Resuming would skip the new text; starting over would run again what is already undone. ${way}`,
      );
      continue;
    }
    if (status?.state !== 'failed' || !failure || failure.direction !== 'up' || failure.done === 0) continue;
    const recorded = status.recordedStatements ?? [];
    const changed = step.migration.statementHashes.slice(0, failure.done).flatMap((h, i) => (recorded[i] === h ? [] : [i + 1]));
    if (changed.length === 0) continue;
    const done = failure.done === 1 ? 'statement 1 was' : `statements 1-${failure.done} were`;
    problems.push(
      `${step.migration.name}: ${done} committed by an earlier attempt, and ${changed.length === 1 ? `statement ${changed[0]} has` : `statements ${changed.join(', ')} have`} changed since. Resuming would skip the new text; starting over would run again what is already in the database. Put ${changed.length === 1 ? 'it' : 'them'} back as ${changed.length === 1 ? 'it' : 'they'} ran to resume at statement ${failure.done + 1}, or undo by hand what ${failure.done === 1 ? 'it' : 'they'} did and delete the migration's row from zdm_migrations to start over.`,
    );
  }
  return problems;
}

function statusEntries(statuses: readonly MigrationStatus[]): StatusEntry[] {
  return statuses.map((s): StatusEntry => {
    const m = s.migration;
    const entry: StatusEntry = { version: s.version, state: s.state };
    if (m) {
      entry.name = m.name;
      entry.file = m.upPath;
      entry.format = m.format;
      if (m.repeatable) entry.repeatable = true;
      entry.upLine = lineOf(m.up.fileText, m.up.anchor.start);
      if (m.down) {
        entry.downFile = m.down.path;
        entry.downLine = lineOf(m.down.fileText, m.down.anchor.start);
      }
    }
    if (s.repeatable) {
      // A repeatable script whose file is gone has no version: its script's name names it.
      entry.repeatable = true;
      entry.name = s.key;
    }
    if (s.appliedAt) entry.appliedAt = s.appliedAt.toISOString();
    if (s.note) entry.note = s.note;
    if (s.failure) {
      const f = s.failure;
      entry.failure = { direction: f.direction, ...(f.statement !== undefined ? { statement: f.statement } : {}), committed: f.done, total: f.total, ...(f.error !== undefined ? { error: f.error } : {}), interrupted: f.interrupted };
    }
    return entry;
  });
}

/** Writes `.zdm/applied.json`: what the edited-applied-migration rule compares files against. */
function writeAppliedRecord(root: string, database: string, statuses: readonly MigrationStatus[]): void {
  try {
    const dir = ensureStateDir(root);
    const file = path.join(dir, RECORD_FILE_NAME);
    const before = readRecord(file);
    const record: AppliedRecord = { version: RECORD_VERSION, database, updatedAt: new Date().toISOString(), migrations: {}, changesets: {} };
    for (const s of statuses) {
      // A repeatable script (Flyway) is meant to change after it ran: the linter has nothing to compare.
      if ((s.state !== 'applied' && s.state !== 'edited') || !s.migration || s.migration.repeatable) continue;
      // A Liquibase changelog holds many changesets: each is recorded by its identity.
      if (s.migration.changeset) {
        const key = recordKey(root, s.migration.upPath);
        const entry = changesetEntry(s, before?.changesets?.[key]);
        if (entry) (record.changesets![key] ??= []).push(entry);
        continue;
      }
      if (!s.recordedChecksum) continue;
      record.migrations[recordKey(root, s.migration.upPath)] = {
        version: s.version,
        checksum: s.recordedChecksum,
        statements: s.recordedStatements,
        appliedAt: s.appliedAt?.toISOString(),
      };
    }
    writeFileAtomic(file, serializeRecord(record));
  } catch {
    // The record only helps the linter; a read-only project still migrates.
  }
}

/** The record as the last command left it (statements of changesets edited since are kept from it). */
function readRecord(file: string): AppliedRecord | undefined {
  try {
    return parseRecord(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * An applied Liquibase changeset for the record: its identity and Liquibase's stored checksum (which
 * decides whether it was edited, as Liquibase decides it), and the hashes of its statements as they ran,
 * to point at the first one that changed. Those are the file's own while its checksum still matches
 * (Liquibase's checksum ignores spacing, so a respaced statement is not an edit); once it was edited,
 * the hashes zdm recorded when it ran it, else the previous record's. A runOnChange changeset is meant to
 * be edited (Liquibase runs it again): not recorded. Precondition checks zdm runs first are left out.
 */
function changesetEntry(s: MigrationStatus, before: readonly AppliedChangeset[] | undefined): AppliedChangeset | undefined {
  const m = s.migration!;
  const c = m.changeset!;
  if (c.runOnChange || c.runAlways) return undefined;
  const checks = m.up.statements.filter((st) => c.preconditions.some((p) => p.offset === st.span.start)).length;
  const entry: AppliedChangeset = { id: c.id, author: c.author, checksum: s.toolChecksum, appliedAt: s.appliedAt?.toISOString() };
  if (s.state === 'applied') entry.statements = m.statementHashes.slice(checks);
  else if (s.recordedStatements && s.recordedStatements.length >= checks) entry.statements = s.recordedStatements.slice(checks);
  else {
    const earlier = Array.isArray(before) ? before.find((e) => e?.id === c.id && e.author === c.author && e.checksum === s.toolChecksum && Array.isArray(e.statements)) : undefined;
    if (earlier) entry.statements = earlier.statements;
  }
  return entry;
}

/** A positive 31-bit hash (advisory lock keys are int4). */
export function hash31(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & 0x7fffffff;
}

