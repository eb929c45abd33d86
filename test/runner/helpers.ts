// Shared pieces of the runner tests: a throwaway project folder with migration files, a fresh
// database per test on the test PostgreSQL, and readers for the schema and the tracking tables.

import * as fs from 'node:fs';
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { RunnerOptions } from '../../server/src/engine/runner/commands';
import type { RunEvent, RunResult } from '../../server/src/engine/runner/events';
import { CLI } from '../helpers/paths';
import type { TestPostgres } from '../helpers/postgres';

export interface TestProject {
  root: string;
  /** Writes (or overwrites) a file relative to the project root. */
  write(relative: string, text: string): string;
  remove(relative: string): void;
  file(relative: string): string;
  cleanup(): void;
}

const projects: string[] = [];

export function createProject(files: Record<string, string>, config: Record<string, unknown> = {}): TestProject {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-runner-'));
  projects.push(root);
  const project: TestProject = {
    root,
    write(relative, text) {
      const full = path.join(root, relative);
      fs.mkdirSync(path.dirname(full), { recursive: true });
      fs.writeFileSync(full, text);
      return full;
    },
    remove(relative) {
      fs.rmSync(path.join(root, relative), { recursive: true, force: true });
    },
    file: (relative) => path.join(root, relative),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
  project.write('.zdm.json', JSON.stringify(config, null, 2));
  for (const [name, text] of Object.entries(files)) project.write(name, text);
  return project;
}

export function cleanupProjects(): void {
  for (const p of projects.splice(0)) fs.rmSync(p, { recursive: true, force: true });
}

/** Runner options for a project and a database URL, collecting events. */
export function optionsFor(project: TestProject, url: string, extra: Partial<RunnerOptions> = {}): RunnerOptions & { events: RunEvent[] } {
  const events: RunEvent[] = [];
  return { cwd: project.root, url, env: {}, embedded: false, onEvent: (e) => events.push(e), events, ...extra };
}

/** A readable summary of a failed result, for assertion messages. */
export function explain(result: RunResult): string {
  return JSON.stringify({ ok: result.ok, error: result.error, usageError: result.usageError, needsConfirmation: result.needsConfirmation, steps: result.steps.map((s) => [s.name, s.direction, s.ok]) }, null, 2);
}

/** Tables (with columns), indexes and constraints of the public schema, sorted: a schema snapshot. */
export async function schemaOf(pg: TestPostgres, database: string, options: { userOnly?: boolean } = {}): Promise<string[]> {
  const rows = await pg.query<{ item: string }>(
    `SELECT 'table ' || c.relname || '(' || string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) || ')' AS item
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind = 'r' GROUP BY c.relname
     UNION ALL
     SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
     UNION ALL
     SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
     ORDER BY 1`,
    [],
    database,
  );
  const tracking = /(schema_migrations|zdm_migrations|goose_db_version|__diesel_schema_migrations|flyway_schema_history|_prisma_migrations)/;
  return rows.map((r) => r.item).filter((item) => !options.userOnly || !tracking.test(item));
}

/** Every row of a table as JSON text, sorted (empty when the table does not exist). */
export async function rowsOf(pg: TestPostgres, database: string, table: string, columns = '*'): Promise<string[]> {
  const exists = await pg.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table], database);
  if (!exists[0].t) return [];
  const rows = await pg.query<Record<string, unknown>>(`SELECT ${columns} FROM ${table}`, [], database);
  return rows.map((r) => JSON.stringify(r)).sort();
}

/** A goose migration; `noTransaction`: goose sends its statements one at a time, outside a transaction. */
export function gooseFile(up: string, down: string, options: { noTransaction?: boolean } = {}): string {
  return `${options.noTransaction ? '-- +goose NO TRANSACTION\n' : ''}-- +goose Up\n${up}\n\n-- +goose Down\n${down}\n`;
}

export function dbmateFile(up: string, down: string, options: { upTransaction?: boolean; downTransaction?: boolean } = {}): string {
  return `-- migrate:up${options.upTransaction === false ? ' transaction:false' : ''}\n${up}\n\n-- migrate:down${options.downTransaction === false ? ' transaction:false' : ''}\n${down}\n`;
}

/** The built CLI run in the project's folder, with no database URL from the environment (the embedded server or the project's own). */
export function zdm(project: TestProject, ...args: string[]) {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.ZDM_DATABASE_URL;
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd: project.root, env, encoding: 'utf8' });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

/**
 * A Liquibase formatted-SQL changelog with one changeset per id (author m), each creating table `t_<id>`
 * and dropping it in its --rollback. What follows the id's word characters stays on the --changeset
 * line: `formattedSql('b1', 'b2 context:prod')`.
 */
export function formattedSql(...ids: string[]): string {
  return `--liquibase formatted sql\n${ids.map((id) => `--changeset m:${id}\nCREATE TABLE t_${id.replace(/\W.*/, '')} (id int);\n--rollback DROP TABLE t_${id.replace(/\W.*/, '')};\n`).join('')}`;
}

/**
 * A Liquibase changelog whose changesets 2 (in a transaction) and 3 (runInTransaction:false, its first
 * statement committed) fail and say failOnError:false, between two that run: liquibase.test.ts runs it
 * with zdm, liquibase-compat.test.ts with both zdm and the real Liquibase.
 */
export const FAIL_ON_ERROR_CHANGELOG = [
  '--liquibase formatted sql',
  '--changeset carol:1',
  'CREATE TABLE before_it (id int);',
  '--changeset carol:2 failOnError:false',
  'CREATE TABLE half_done (id int);',
  'INSERT INTO no_such_table VALUES (1);',
  '--changeset carol:3 runInTransaction:false failOnError:false',
  'CREATE TABLE outside (id int);',
  'INSERT INTO no_such_table VALUES (2);',
  '--changeset carol:4',
  'CREATE TABLE after_it (id int);',
  '',
].join('\n');
