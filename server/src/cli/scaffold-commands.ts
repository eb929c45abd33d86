// `zdm new <description>` and `zdm trio <change> <table>[.<column>] ...`: create migrations in the
// project's folder and format (engine/scaffold), print the paths created. Never overwrites a file.

import * as path from 'node:path';
import { createDiskHost } from '../engine/host';
import { FORMAT_IDS } from '../engine/model';
import { newMigrationFiles, ScaffoldError, type ScaffoldOutput } from '../engine/scaffold/naming';
import { type CatalogTable, completeTrioRequest, devDatabase, readCatalog, trioCatalogOf } from '../engine/scaffold/catalog';
import { parseColumnList, parseColumnRef, parseIdentifier, parseTableName, tableSql } from '../engine/scaffold/sql-names';
import { resolveScaffoldTarget, type ScaffoldTarget } from '../engine/scaffold/target';
import { newTrioFiles, TRIO_KIND_SUMMARIES, TRIO_KINDS, trioSettingsFrom, type TrioKind, type TrioRequest } from '../engine/scaffold/trio';
import { writeScaffold } from '../engine/scaffold/write';
import { initParser } from '../engine/sql/parser';
import { parseCommandArgs } from './args';
import type { CommandIO } from './lint-command';

const COMMON_OPTIONS = `  --dir DIR              The migrations folder (default: "migrationsDir" of .zdm.json, else the first of
                         db/migrations, migrations, ... that exists)
  --format F             ${FORMAT_IDS.join(', ')} (default: "format" of .zdm.json, else what the folder's
                         migrations use, else dbmate)
  --config FILE          Use this .zdm.json instead of the nearest one`;

export const NEW_HELP = `Usage: zdm new <description> [options]

Creates the next migration in the project's folder and format: dbmate YYYYMMDDHHMMSS_description.sql
with -- migrate:up / -- migrate:down, goose, golang-migrate .up.sql/.down.sql, a diesel folder, Flyway
V<n>__description.sql, a Liquibase changeset, a sqitch change (deploy/revert/verify and sqitch.plan),
a Prisma folder or a plain timestamped file. The version follows the folder's scheme (timestamps or
sequence numbers), after the newest one there. The description must say what changes
("add users display_name", not "update" or "migration 47"). Prints the paths created.

Options:
${COMMON_OPTIONS}
  --no-transaction       Mark it to run outside a transaction (for CREATE INDEX CONCURRENTLY, backfills)
`;

export const TRIO_HELP = `Usage: zdm trio <change> <target> [options]

Creates three migrations for a breaking change, each shipped in its own deployment: 1_expand (the new
structure, kept in step by a trigger), 2_backfill (batched, resumable, outside a transaction, with
-- zdm:verify queries) and 3_contract (removes the old structure). Prints the paths created.

rename-column and change-type re-create the column's indexes, UNIQUE, foreign key and CHECK constraints
on the new column when the dev database is reachable (ZDM_DATABASE_URL, DATABASE_URL, .zdm.json
database.url, or the project's embedded server when it runs): index builds are migrations of their own
between the backfill and the contract (2_backfill_indexes). Without a database, the expand's header
lists what to re-create by hand. With one, what the flags leave out and the database knows is taken
from it and printed: the column's type (--type, change-type's --from-type), NOT NULL, its default
(rename-column, drop-column) and a one-column primary key as --key.

Changes:
${TRIO_KINDS.map((k) => `  ${k.padEnd(22)} ${TRIO_KIND_SUMMARIES[k]}`).join('\n')}

  zdm trio rename-column  users.name   --to full_name --type text [--not-null] [--default EXPR]
  zdm trio change-type    users.score  --type bigint --from-type integer [--using EXPR] [--to NAME] [--not-null] [--default EXPR]
  zdm trio add-not-null-column users.status --type text [--default EXPR] [--backfill EXPR]
  zdm trio set-not-null   users.email  [--default EXPR] [--backfill EXPR]
  zdm trio rename-table   users        --to accounts
  zdm trio split-table    users        --to user_profiles --columns bio:text,avatar_url:text
  zdm trio drop-column    users.legacy --type text [--not-null]

The target is table.column (schema.table.column) or, for rename-table and split-table, a table.

Options:
  --to NAME              The new column or table name
  --type TYPE            The column's type (rename-column, drop-column, add-not-null-column: to create or
                         re-create it; change-type: the new type)
  --from-type TYPE       change-type: the column's current type (its down converts back)
  --using EXPR           change-type: how to compute the new value (default: CAST(column AS type))
  --default EXPR         The column default for rows written by the application version still running
                         (rename-column, change-type: the column's default today, which the contract
                         gives the new column)
  --backfill EXPR        The value for existing rows, may use the row's columns (default: the default)
  --not-null             The column is NOT NULL today (rename-column, change-type, drop-column)
  --columns LIST         split-table: name:type,... of the columns that move
  --key COLUMN           The unique, indexed column the backfill walks in order (default: id)
  --batch-size N         Rows per committed batch (default: 1000)
  --pause MS             Pause between batches in milliseconds (default: 100)
  --max-lag SECONDS      Wait while a replica's replay lag exceeds this (default: 10)
${COMMON_OPTIONS}
`;

export async function runNew(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommandArgs('new', NEW_HELP, io, {
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      format: { type: 'string' },
      config: { type: 'string' },
      'no-transaction': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  return scaffold('new', io, () => {
    const description = positionals.join(' ');
    const target = resolveTarget(io, values);
    const output = newMigrationFiles(project(target), { description, up: '', down: '', transaction: !values['no-transaction'] });
    return [output];
  });
}

export async function runTrio(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommandArgs('trio', TRIO_HELP, io, {
    args: argv,
    allowPositionals: true,
    options: {
      to: { type: 'string' },
      type: { type: 'string' },
      'from-type': { type: 'string' },
      using: { type: 'string' },
      default: { type: 'string' },
      backfill: { type: 'string' },
      'not-null': { type: 'boolean', default: false },
      columns: { type: 'string' },
      key: { type: 'string' },
      'batch-size': { type: 'string' },
      pause: { type: 'string' },
      'max-lag': { type: 'string' },
      dir: { type: 'string' },
      format: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [kind, targetText, ...extra] = positionals;
  if (kind === undefined || targetText === undefined || extra.length > 0) {
    io.stderr(`zdm trio: expected a change and a target, e.g. zdm trio rename-column users.name --to full_name --type text.\n\n${TRIO_HELP}`);
    return 2;
  }
  if (!(TRIO_KINDS as readonly string[]).includes(kind)) {
    io.stderr(`zdm trio: unknown change "${kind}"; use one of ${TRIO_KINDS.join(', ')}.\n`);
    return 2;
  }
  return scaffold('trio', io, async () => {
    const request = trioRequest(kind as TrioKind, targetText, values);
    const numbers = {
      batchSize: positiveInteger(values['batch-size'], '--batch-size'),
      pauseMs: positiveInteger(values.pause, '--pause', { zero: true }),
      maxLagSeconds: positiveInteger(values['max-lag'], '--max-lag', { zero: true }),
    };
    const target = resolveTarget(io, values);
    // The catalog is read while the parser loads (what a database that answers nothing costs overlaps it).
    await Promise.all([initParser(), fillFromCatalog(io, target, request)]);
    const { plan, outputs } = newTrioFiles(project(target), request, trioSettingsFrom(target.loaded.config, numbers));
    // What depends on the column and may stop the contract or break the application after it (also in the expand's and contract's headers).
    for (const warning of plan.warnings) io.stderr(`zdm trio: warning: ${warning}\n`);
    return outputs;
  });
}

type Values = Record<string, string | boolean | undefined>;

/**
 * What the dev database knows (the configured URL, or the project's embedded server when it runs;
 * nothing is started): the column's type, NOT NULL, default and the table's key where the flags leave
 * them out (said on stderr), and for rename-column and change-type the table's indexes and constraints,
 * which the trio carries over to the new column (drop-column: which its way back restores). Without a database, or when it cannot be read (a
 * note on stderr), the request stays as the flags made it and the expand's header says what to
 * re-create.
 */
async function fillFromCatalog(io: CommandIO, target: ScaffoldTarget, request: TrioRequest): Promise<void> {
  if (request.kind === 'rename-table') return;
  const { url, problem } = devDatabase(target.loaded.root, target.loaded.config, io.env);
  const carries = request.kind === 'rename-column' || request.kind === 'change-type' || request.kind === 'drop-column';
  const what = tableSql(request.table);
  const notCarried =
    request.kind === 'drop-column'
      ? `the way back does not restore the indexes and constraints of ${what} (the expand's header says so)`
      : `the indexes and constraints of ${what} are not carried over (the expand's header says what to re-create)`;
  if (problem !== undefined) io.stderr(`zdm trio: the dev database's URL cannot be used (${problem.replace(/\.$/, '')}); ${carries ? notCarried : 'the trio is made from the flags alone'}.\n`);
  if (url === undefined) return;
  let tables: CatalogTable[];
  try {
    tables = await readCatalog(url);
  } catch (error) {
    const lost = carries ? notCarried : 'the trio is made from the flags alone';
    io.stderr(`zdm trio: could not read the dev database (${error instanceof Error ? error.message : String(error)}); ${lost}.\n`);
    return;
  }
  const taken = completeTrioRequest(request, tables);
  if (taken.length > 0) io.stderr(`zdm trio: from the dev database: ${taken.join(' ')}\n`);
  if (!carries) return;
  request.catalog = trioCatalogOf(tables, request.table);
  if (!request.catalog) io.stderr(`zdm trio: the dev database has no table ${what}; ${notCarried}.\n`);
}

function trioRequest(kind: TrioKind, targetText: string, values: Values): TrioRequest {
  const str = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  const tableOnly = kind === 'rename-table' || kind === 'split-table';
  const request: TrioRequest = tableOnly ? { kind, table: parseTableName(targetText) } : { kind, ...parseColumnRef(targetText) };
  const to = str('to');
  if (to !== undefined) request.to = parseIdentifier(to, '--to');
  for (const [key, field] of [
    ['type', 'type'],
    ['from-type', 'fromType'],
    ['using', 'using'],
    ['default', 'default'],
    ['backfill', 'backfill'],
  ] as const) {
    const v = str(key);
    if (v !== undefined) request[field] = v;
  }
  if (values['not-null'] === true) request.notNull = true;
  const key = str('key');
  if (key !== undefined) request.key = parseIdentifier(key, '--key');
  const columns = str('columns');
  if (columns !== undefined) request.columns = parseColumnList(columns);
  return request;
}

function positiveInteger(value: string | undefined, flag: string, options: { zero?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (options.zero ? 0 : 1)) throw new ScaffoldError(`${flag} must be a ${options.zero ? 'non-negative' : 'positive'} whole number (got "${value}").`);
  return n;
}

function resolveTarget(io: CommandIO, values: Values): ScaffoldTarget {
  const target = resolveScaffoldTarget({
    cwd: io.cwd,
    dir: typeof values.dir === 'string' ? values.dir : undefined,
    format: typeof values.format === 'string' ? values.format : undefined,
    configPath: typeof values.config === 'string' ? path.resolve(io.cwd, values.config) : undefined,
    host: createDiskHost({ cache: false }),
  });
  for (const p of target.loaded.problems) io.stderr(`zdm: ${target.loaded.path ? path.relative(io.cwd, target.loaded.path) || target.loaded.path : '.zdm.json'}: ${p.message}\n`);
  return target;
}

function project(target: ScaffoldTarget) {
  return { dir: target.dir, format: target.format, host: createDiskHost({ cache: false }) };
}

async function scaffold(command: string, io: CommandIO, make: () => ScaffoldOutput[] | Promise<ScaffoldOutput[]>): Promise<number> {
  try {
    const outputs = await make();
    const written = writeScaffold(outputs);
    for (const file of written) io.stdout(`${path.relative(io.cwd, file) || file}\n`);
    const edited = [...new Set(outputs.flatMap((o) => o.edits.map((e) => e.path)).filter((p): p is string => p !== undefined))];
    for (const file of edited) io.stderr(`zdm ${command}: updated ${path.relative(io.cwd, file) || file}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ScaffoldError) {
      io.stderr(`zdm ${command}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
