// golang-migrate's multi-statement mode on a real PostgreSQL. By default golang-migrate sends a file as
// one query string, one implicit transaction, where CREATE INDEX CONCURRENTLY beside another statement
// fails (25001) and takes the other statement with it. With x-multi-statement=true in its URL
// (`"golangMigrate": { "multiStatement": true }` in .zdm.json) it cuts the file at every `;` and sends
// each piece alone, so the same file runs; a file it would cut inside a statement is not run at all.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rollback, up } from '../../server/src/engine/runner/commands';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, explain, optionsFor, rowsOf } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

const EVENTS = {
  'migrations/000001_events.up.sql': "SET lock_timeout = '5s';\nCREATE TABLE events (id bigint PRIMARY KEY, kind text);\nCREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);\n",
  'migrations/000001_events.down.sql': 'DROP INDEX CONCURRENTLY IF EXISTS events_kind_idx;\nDROP TABLE events;\n',
};

async function relations(db: string): Promise<string[]> {
  const rows = await pg.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname LIKE 'events%' ORDER BY 1", [], db);
  return rows.map((r) => r.relname);
}

describe('golang-migrate multi-statement mode', () => {
  it('sends each statement alone: CREATE TABLE + CREATE INDEX CONCURRENTLY in one file runs, and rolls back', async () => {
    const db = await pg.createDatabase('gm_multi');
    const project = createProject(EVENTS, { migrationsDir: 'migrations', golangMigrate: { multiStatement: true } });
    const options = optionsFor(project, pg.url(db));
    let result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.equal(result.steps[0].mode, 'statements');
    assert.match(result.steps[0].modeReason, /multi-statement/);
    assert.deepEqual(result.steps[0].statements.map((s) => s.ok), [true, true, true]);
    const [index] = await pg.query<{ valid: boolean }>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'events_kind_idx'::regclass", [], db);
    assert.equal(index.valid, true);
    assert.deepEqual(await rowsOf(pg, db, 'schema_migrations', 'version::int AS version, dirty'), [JSON.stringify({ version: 1, dirty: false })]);
    // The down's DROP INDEX CONCURRENTLY beside DROP TABLE: alone too.
    result = await rollback({ ...options, yes: true });
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await relations(db), []);
  });

  it('without the setting, golang-migrate sends the file whole: 25001, and the table is rolled back with it', async () => {
    const db = await pg.createDatabase('gm_single');
    const project = createProject(EVENTS, { migrationsDir: 'migrations' });
    const result = await up(optionsFor(project, pg.url(db)));
    assert.equal(result.ok, false, explain(result));
    assert.equal(result.error!.code, '25001');
    assert.equal(result.steps[0].mode, 'transaction');
    assert.deepEqual(await relations(db), []);
  });

  it('runs nothing of a file golang-migrate would cut inside a function body', async () => {
    const db = await pg.createDatabase('gm_multi_cut');
    const project = createProject(
      {
        'migrations/000001_touch.up.sql': 'CREATE TABLE events (id bigint, updated_at timestamptz);\nCREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n',
        'migrations/000001_touch.down.sql': 'DROP FUNCTION touch();\nDROP TABLE events;\n',
      },
      { migrationsDir: 'migrations', golangMigrate: { multiStatement: true } },
    );
    const result = await up(optionsFor(project, pg.url(db)));
    assert.equal(result.ok, false, explain(result));
    assert.match(result.error!.message, /golang-migrate in multi-statement mode cuts the file at this `;`, inside a dollar quote/);
    assert.equal(result.error!.line, 4);
    assert.deepEqual(await relations(db), [], 'not even the CREATE TABLE before it');
  });
});
