// Expand / backfill / contract trios for the common breaking changes. Each kind becomes three
// migrations at consecutive versions sharing a slug (`..._rename_users_name_to_full_name_1_expand`,
// `_2_backfill`, `_3_contract`), each its own deployment with its own way back:
//
//   expand    the new structure only (a nullable column, a new table, a view), plus a trigger that
//             keeps old and new in step while two application versions run side by side;
//   backfill  a batched, resumable, idempotent copy (backfill.ts), outside a transaction, followed by
//             `-- zdm:verify` queries; its down copies the data back the other way (so rolling back
//             the contract, then the backfill, restores the old structure with its rows);
//   contract  the removal of the old structure, in its own deployment once every reader moved.
//
// The SQL follows the project's lock rules: `SET lock_timeout` first, NOT NULL through a NOT VALID
// CHECK validated later, nothing that rewrites a table. Statements that break the previous
// application version on purpose (the contract's drops) carry a `-- zdm-ignore` with the reason.

import type { ZdmConfig } from '../config/config';
import { createMemoryHost, type ProjectHost } from '../host';
import { lintText } from '../lint';
import { ruleIds } from '../rules/registry';
import { parserReady } from '../sql/parser';
import { DEFAULT_BACKFILL, type BackfillSettings } from './backfill';
import type { MigrationContent } from './layout';
import { newMigrationSeries, ScaffoldError, type ScaffoldOutput, type ScaffoldProject } from './naming';
import { quoteIdent as q, sqlFragment, tableSql, type TableName } from './sql-names';
import { BUILDERS } from './trio-kinds';
import { trioDescription } from './trio-names';
import { type Ctx, headerOf, lockTimeout, type StepParts } from './trio-sql';
import type { IndexBuild, TrioCatalog } from './trio-carry';
import type { FormatId } from '../model';
import { sendsOneQueryString } from '../fixes/format-edits';
import { lineStartOf } from '../text/offsets';

export const TRIO_KINDS = ['rename-column', 'change-type', 'add-not-null-column', 'set-not-null', 'rename-table', 'split-table', 'drop-column'] as const;
export type TrioKind = (typeof TRIO_KINDS)[number];

/** One line per kind, for help texts and quick picks. */
export const TRIO_KIND_SUMMARIES: Record<TrioKind, string> = {
  'rename-column': 'Rename a column (new column kept in step by a trigger, backfill, drop the old one)',
  'change-type': "Change a column's type (new column of the new type, backfill, swap)",
  'add-not-null-column': 'Add a NOT NULL column (nullable first, backfill, then NOT NULL)',
  'set-not-null': 'Make an existing column NOT NULL (fill the NULLs, then the constraint)',
  'rename-table': 'Rename a table (rename plus a compatibility view, then drop the view)',
  'split-table': 'Move columns into a new table (new table kept in step, backfill, drop the columns)',
  'drop-column': 'Drop a column (archive its values, stop using it, then drop it)',
};

export interface TrioRequest {
  kind: TrioKind;
  table: TableName;
  /** The column changed (every kind but rename-table and split-table). */
  column?: string;
  /** rename-column: the new column name; rename-table: the new table name; split-table: the new table; change-type: a new name for the converted column (default: keep the name). */
  to?: string;
  /** rename-column, drop-column: the column's type (to re-create it); add-not-null-column: the new column's type; change-type: the new type. */
  type?: string;
  /** change-type: the column's current type (its down converts back to it). */
  fromType?: string;
  /** change-type: an expression computing the new value from the row (default `CAST(column AS type)`). */
  using?: string;
  /** add-not-null-column, set-not-null: the column default for rows the previous version inserts. */
  default?: string;
  /** add-not-null-column, set-not-null: the value for existing rows (default: the default). */
  backfill?: string;
  /** rename-column, change-type, drop-column: the column is NOT NULL today. */
  notNull?: boolean;
  /** split-table: the columns moved to the new table, with their types. */
  columns?: { name: string; type: string }[];
  /** The table's key: a unique, indexed column, walked in order by the backfill (default `id`). */
  key?: string;
  /**
   * rename-column, change-type, drop-column: the table's indexes and constraints as the dev database
   * defines them (trioCatalogOf in catalog.ts). Given, those that involve the column are re-created on
   * the new one (trio-carry.ts), or for drop-column by the way back; absent (no database reachable),
   * the expand's header tells the user to do it.
   */
  catalog?: TrioCatalog;
}

export interface TrioSettings extends Partial<Omit<BackfillSettings, 'lockTimeout'>> {
  /** lock_timeout written at the top of every section ('5s', from .zdm.json). */
  lockTimeout: string;
  /** statement_timeout (SET LOCAL) of the expand and contract sections ('60s', from .zdm.json). */
  statementTimeout?: string;
  /** Target PostgreSQL major version (default 14). */
  pgVersion?: number;
  /** Rule ids that exist: ignore comments only name these. */
  knownRules?: readonly string[];
  /** The project's config: the generated files are linted with it (see newTrioFiles). */
  config?: ZdmConfig;
}

export interface TrioPlan {
  kind: TrioKind;
  /** The shared slug ("rename_users_name_to_full_name"). */
  slug: string;
  expand: MigrationContent;
  backfill: MigrationContent;
  /** Index rebuilds of the way back, between the expand and the backfill, outside a transaction: nothing on the way up (drop-column with a catalog). */
  restores: MigrationContent[];
  /** Index builds on the new column, between the backfill and the contract, outside a transaction (none without a catalog). */
  indexes: MigrationContent[];
  contract: MigrationContent;
  /**
   * What the dev database's catalog says may make the contract fail or break the application after it
   * (objects depending on the column, trio-deps.ts), one sentence each; also at the top of the expand's
   * and contract's headers. For the user to see when the trio is made (the CLI's stderr, the editor's warning).
   */
  warnings: string[];
}

export interface TrioLayout {
  /**
   * Each index build in a migration of its own, as its one statement: for tools that send a migration
   * run outside a transaction as one query string (where PostgreSQL runs several statements as one
   * implicit transaction, and CREATE INDEX CONCURRENTLY fails). Otherwise all builds share one migration.
   */
  oneStatementEach?: boolean;
}

export interface TrioFiles {
  plan: TrioPlan;
  /** expand, backfill, the index builds (if any), contract: in version order. */
  outputs: ScaffoldOutput[];
}

/**
 * The three migrations of a trio, as files of the project's format at its next three versions. With
 * `settings.config` (and the parser loaded), the files are linted with the project's rules and the
 * generated `-- zdm-ignore` lines that suppress nothing are left out.
 */
export function newTrioFiles(project: ScaffoldProject, request: TrioRequest, settings: TrioSettings): TrioFiles {
  const plan = planTrio(request, settings, trioLayoutOf(project.format));
  const outputs = newMigrationSeries(project, [plan.expand, ...plan.restores, plan.backfill, ...plan.indexes, plan.contract]);
  if (settings.config && parserReady()) pruneUnusedIgnores(outputs, unusedIgnoreLines(outputs, settings.config, project.host));
  return { plan, outputs };
}

/** Settings from .zdm.json (lock_timeout, target version, the rules that exist), with command-line overrides. */
export function trioSettingsFrom(config: ZdmConfig, overrides: Partial<Omit<BackfillSettings, 'lockTimeout'>> = {}): TrioSettings {
  return { lockTimeout: config.lockTimeout, statementTimeout: config.statementTimeout, pgVersion: config.pgVersion, knownRules: ruleIds, config, ...stripUndefined(overrides) };
}

/**
 * How a format's trio lays out its index builds: dbmate, golang-migrate, diesel and Prisma send a
 * migration run outside a transaction as one query string, a plain file is assumed to be sent so (the
 * format layer's `implicit` mode), and Liquibase sends a changeset holding a dollar quote whole
 * (`splitStatements:false`): each build is a migration of its own there. goose, Flyway and sqitch
 * send each statement on its own: all builds share one migration.
 */
export function trioLayoutOf(format: FormatId): TrioLayout {
  return { oneStatementEach: sendsOneQueryString(format) || format === 'liquibase' || format === 'plain' };
}

/** The trio's migrations' content (no file names yet). Throws a ScaffoldError naming what is missing. */
export function planTrio(request: TrioRequest, settings: TrioSettings, layout: TrioLayout = {}): TrioPlan {
  const r = checkRequest(request);
  const ctx: Ctx = {
    r,
    table: tableSql(r.table),
    key: q(r.key ?? 'id'),
    keyName: r.key ?? 'id',
    settings: { ...DEFAULT_BACKFILL, ...stripUndefined(settings), lockTimeout: settings.lockTimeout, statementTimeout: settings.statementTimeout ?? '60s' },
    pgVersion: settings.pgVersion ?? 14,
    ignore: (rule, reason) => (!settings.knownRules || settings.knownRules.includes(rule) ? `-- zdm-ignore ${rule} -- ${reason}\n` : ''),
  };
  const parts = BUILDERS[r.kind](ctx);
  const slug = parts.slug;
  const steps = ['expand', 'backfill', 'contract'] as const;
  const warnings = parts.warnings ?? [];
  const warned = (i: 0 | 1 | 2, text: string) =>
    warnings.length > 0 && i !== 1 ? [...warnings.map((w) => `WARNING (from the dev database's catalog): ${w.charAt(0).toUpperCase()}${w.slice(1)}`), '', text].join('\n') : text;
  const make = (i: 0 | 1 | 2, step: StepParts): MigrationContent => ({
    description: trioDescription(slug, steps[i]),
    header: headerOf(ctx, i, warned(i, step.header)),
    up: step.up,
    down: step.down,
    transaction: i !== 1,
  });
  return {
    kind: r.kind,
    slug,
    expand: make(0, parts.expand),
    restores: restoreMigrations(ctx, slug, parts.restores ?? [], layout),
    backfill: make(1, parts.backfill),
    indexes: indexMigrations(ctx, slug, parts.builds ?? [], layout),
    contract: make(2, parts.contract),
    warnings,
  };
}

/** The migrations that build the new column's indexes CONCURRENTLY (outside a transaction). */
function indexMigrations(ctx: Ctx, slug: string, builds: readonly IndexBuild[], layout: TrioLayout): MigrationContent[] {
  if (builds.length === 0) return [];
  const header = (what: string, back: string) =>
    headerOf(
      ctx,
      1,
      [
        `${what} Ship it right after the backfill (it runs outside a transaction: CONCURRENTLY lets writes go on during the build), before the contract.`,
        'A build that fails (a deadlock, a duplicate value for a unique index) leaves an INVALID index that IF NOT EXISTS would keep: drop it (DROP INDEX CONCURRENTLY) before running this again.',
        back,
      ].join('\n'),
    );
  const backfillName = trioDescription(slug, 'backfill');
  if (layout.oneStatementEach) {
    // One statement each way per migration: each build's down drops its own index; the old column's
    // indexes are rebuilt on the way back by the downs of the checks that follow the builds.
    const made = builds.map((b, i) => ({
      description: `${backfillName}_index_${i + 1}`,
      header: header(
        `Builds ${q(b.name)} (index ${i + 1} of ${builds.length}), alone in its migration: the tool sends it as one query string.`,
        `Its down drops ${q(b.name)} again (CONCURRENTLY; for a UNIQUE constraint's index, the constraint with it when the contract's down kept it).`,
      ),
      up: `${ctx.ignore('require-lock-timeout', 'alone in its migration: the tool sends it as one query string, where a SET would put it in a transaction')}${b.up}`,
      down: b.dropOne,
      transaction: false,
    }));
    const checks = builds.map((b, i) => ({
      description: `${backfillName}_index_${i + 1}_check`,
      header: headerOf(
        ctx,
        1,
        [
          `Checks that ${q(b.name)} (index ${i + 1} of ${builds.length}) was built and is valid, before the contract ships: a build that failed leaves an INVALID index, which a second run's IF NOT EXISTS keeps. Ship it with the index builds.`,
          `Its down rebuilds the old column's index CONCURRENTLY, alone in the migration as the tool needs (a no-op unless the contract was rolled back).`,
        ].join('\n'),
      ),
      up: b.check,
      down: b.restore,
      transaction: false,
    }));
    return [...made, ...checks];
  }
  return [
    {
      description: `${backfillName}_indexes`,
      header: header(`Builds ${builds.map((b) => q(b.name)).join(', ')} on the new column.`, "Its down drops them and rebuilds the old column's (a no-op unless the contract was rolled back)."),
      up: lockTimeout(ctx) + builds.map((b) => b.up).join(''),
      down: lockTimeout(ctx) + builds.map((b) => b.drop).join('') + builds.map((b) => b.restore).join(''),
      transaction: false,
    },
  ];
}

/**
 * The migrations holding the way back's index rebuilds (drop-column: the dropped column's indexes),
 * right after the expand: on the way back their downs run after the backfill's down has put the
 * values back (a UNIQUE index cannot be built while the column holds its default in every row; and
 * one build on the restored values is cheaper than keeping the index up to date during the copy),
 * before the expand's down attaches the UNIQUE constraints to them. Nothing to do on the way up.
 */
function restoreMigrations(ctx: Ctx, slug: string, restores: readonly { name: string; sql: string }[], layout: TrioLayout): MigrationContent[] {
  if (restores.length === 0) return [];
  const expandName = trioDescription(slug, 'expand');
  const header = (what: string) =>
    headerOf(
      ctx,
      0,
      [
        `Nothing to do on the way up: ship it with the expand. ${what}`,
        'CREATE INDEX CONCURRENTLY cannot run in the contract\'s down (a transaction); here it runs outside one, once the backfill\'s down has put the values back, and IF NOT EXISTS makes it a no-op unless the contract was rolled back.',
      ].join('\n'),
    );
  const up = '-- Nothing to do on the way up: this migration holds a part of the way back (its down).\n';
  if (layout.oneStatementEach) {
    return restores.map((r, i) => ({
      description: `${expandName}_index_${i + 1}`,
      header: header(`Its down rebuilds ${q(r.name)} (index ${i + 1} of ${restores.length}), which the contract drops with the column, alone in its migration: the tool sends it as one query string.`),
      up,
      down: r.sql,
      transaction: false,
    }));
  }
  return [
    {
      description: `${expandName}_indexes`,
      header: header(`Its down rebuilds ${restores.map((r) => q(r.name)).join(', ')}, which the contract drops with the column.`),
      up,
      down: lockTimeout(ctx) + restores.map((r) => r.sql).join(''),
      transaction: false,
    },
  ];
}

// ── Checking a request ──────────────────────────────────────────────────────────────────────────────

const NEEDS: Record<TrioKind, { column: boolean; to?: string; type?: string; fromType?: string; value?: boolean; columns?: boolean }> = {
  'rename-column': { column: true, to: 'the new column name (--to)', type: "the column's current type (--type), to create the new column" },
  'change-type': { column: true, type: 'the new type (--type)', fromType: "the column's current type (--from-type), for the way back" },
  'add-not-null-column': { column: true, type: "the new column's type (--type)", value: true },
  'set-not-null': { column: true, value: true },
  'rename-table': { column: false, to: 'the new table name (--to)' },
  'split-table': { column: false, to: 'the new table (--to)', columns: true },
  'drop-column': { column: true, type: "the column's type (--type), to re-create it in the contract's down" },
};

/** The options each kind reads: any other given is refused (it would be silently ignored). */
const ALLOWED: Record<TrioKind, (keyof TrioRequest)[]> = {
  'rename-column': ['to', 'type', 'notNull', 'default', 'key'],
  'change-type': ['to', 'type', 'fromType', 'using', 'notNull', 'default', 'key'],
  'add-not-null-column': ['type', 'default', 'backfill', 'key'],
  'set-not-null': ['default', 'backfill', 'key'],
  'rename-table': ['to'],
  'split-table': ['to', 'columns', 'key'],
  'drop-column': ['type', 'notNull', 'default', 'key'],
};
const OPTION_FLAGS: Partial<Record<keyof TrioRequest, string>> = { to: '--to', type: '--type', fromType: '--from-type', using: '--using', notNull: '--not-null', default: '--default', backfill: '--backfill', key: '--key', columns: '--columns' };

function checkRequest(request: TrioRequest): TrioRequest {
  const r = { ...request };
  const needs = NEEDS[r.kind];
  if (!needs) throw new ScaffoldError(`Unknown trio kind "${r.kind}"; use one of ${TRIO_KINDS.join(', ')}.`);
  const extra = (Object.keys(OPTION_FLAGS) as (keyof TrioRequest)[]).filter((k) => r[k] !== undefined && r[k] !== false && !ALLOWED[r.kind].includes(k));
  if (extra.length > 0) throw new ScaffoldError(`zdm trio ${r.kind} does not use ${extra.map((k) => OPTION_FLAGS[k]).join(', ')}.`);
  const missing: string[] = [];
  if (needs.column && !r.column) missing.push('the column (table.column)');
  if (!needs.column && r.column) throw new ScaffoldError(`${r.kind} takes a table, not a column.`);
  if (needs.to && !r.to) missing.push(needs.to);
  if (needs.type && !r.type) missing.push(needs.type);
  if (needs.fromType && !r.fromType) missing.push(needs.fromType);
  if (needs.value && r.default === undefined && r.backfill === undefined) missing.push('the value for existing rows (--backfill EXPR, or --default EXPR for new and existing rows)');
  if (needs.columns && (!r.columns || r.columns.length === 0)) missing.push('the columns to move (--columns name:type,...)');
  if (missing.length > 0) throw new ScaffoldError(`zdm trio ${r.kind} needs ${missing.join(', ')}.`);
  if (r.type !== undefined) r.type = sqlFragment(r.type, 'The type');
  if (r.fromType !== undefined) r.fromType = sqlFragment(r.fromType, 'The current type');
  if (r.using !== undefined) r.using = sqlFragment(r.using, 'The conversion (--using)');
  if (r.default !== undefined) r.default = sqlFragment(r.default, 'The default');
  if (r.backfill !== undefined) r.backfill = sqlFragment(r.backfill, 'The backfill value');
  r.columns = r.columns?.map((c) => ({ name: c.name, type: sqlFragment(c.type, `The type of ${c.name}`) }));
  if (r.kind === 'rename-column' && r.to === r.column) throw new ScaffoldError('The new name is the same as the old one.');
  if (r.kind === 'rename-table' && r.to === r.table.name) throw new ScaffoldError('The new table name is the same as the old one.');
  if (r.kind === 'split-table' && r.to === r.table.name) throw new ScaffoldError('The new table must have another name than the table the columns leave.');
  const repeated = r.columns?.map((c) => c.name).find((name, i, all) => all.indexOf(name) !== i);
  if (repeated) throw new ScaffoldError(`The column ${repeated} is listed twice in --columns.`);
  if (r.kind === 'drop-column' && r.notNull && r.default === undefined) {
    throw new ScaffoldError('drop-column of a NOT NULL column needs --default EXPR: what inserts of the next application version, which no longer write the column, store while it still exists.');
  }
  if (r.columns?.some((c) => c.name === (r.key ?? 'id'))) throw new ScaffoldError(`The key ${r.key ?? 'id'} stays in both tables; list only the columns that move.`);
  if (r.kind !== 'rename-table' && r.column === (r.key ?? 'id') && r.kind !== 'set-not-null') throw new ScaffoldError(`${r.column} is the key the backfill walks (--key); pick another key for this change.`);
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ── Ignore comments that the rules do not need ─────────────────────────────────────────────────────

/** "path:offset" of the start of each line holding an ignore comment the linter reports as unused. */
function unusedIgnoreLines(outputs: readonly ScaffoldOutput[], config: ZdmConfig, host: ProjectHost): Set<string> {
  const files: Record<string, string> = {};
  for (const o of outputs) for (const c of o.creates) files[c.path] = c.text;
  const layered = createMemoryHost(files, host);
  const unused = new Set<string>();
  for (const [file, text] of Object.entries(files)) {
    if (!file.endsWith('.sql')) continue;
    for (const f of lintText(file, text, { config, host: layered }).findings) {
      if (f.rule === 'unused-ignore') unused.add(`${file}:${lineStartOf(text, f.span.start)}`);
    }
  }
  return unused;
}

/** Removes generated `-- zdm-ignore` lines that the linter reports as unused (`lines`: "path:offset" of each unused directive). */
function pruneUnusedIgnores(outputs: ScaffoldOutput[], unused: Set<string>): void {
  for (const output of outputs) {
    for (const file of output.creates) {
      const lines = file.text.split('\n');
      let offset = 0;
      const kept: string[] = [];
      for (const line of lines) {
        const key = `${file.path}:${offset}`;
        offset += line.length + 1;
        if (/^(--rollback )?-- zdm-ignore(-file)? [a-z0-9-]+ -- /.test(line) && unused.has(key)) continue;
        kept.push(line);
      }
      file.text = kept.join('\n');
    }
  }
}
