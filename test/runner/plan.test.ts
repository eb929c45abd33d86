// The runner's pure parts, without a database: loading migrations through the format layer, how each
// section runs, status and plans.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { defaultConfig } from '../../server/src/engine/config/config';
import { createMemoryHost } from '../../server/src/engine/host';
import { executionMode } from '../../server/src/engine/runner/apply';
import { loadMigrations } from '../../server/src/engine/runner/migrations';
import { computeStatus, planRollback, planUp } from '../../server/src/engine/runner/plan';
import { loadProject } from '../../server/src/engine/runner/commands';
import { cleanupProjects, createProject, dbmateFile } from './helpers';
import { initParser } from '../helpers/lint';

before(() => initParser());

const root = path.resolve('/virtual/runner');
function load(files: Record<string, string>, dir = 'migrations', format?: 'plain') {
  const host = createMemoryHost(Object.fromEntries(Object.entries(files).map(([name, text]) => [path.join(root, dir, name), text])));
  return loadMigrations({ dirs: [path.join(root, dir)], config: { ...defaultConfig(), format }, host, root });
}

describe('loading migrations', () => {
  it('pairs split files, orders by version, and keeps each tool’s key', () => {
    const loaded = load({
      '000010_b.up.sql': 'SELECT 1;',
      '000010_b.down.sql': 'SELECT 2;',
      '000002_a.up.sql': 'SELECT 3;',
      '000002_a.down.sql': 'SELECT 4;',
      '000011_c.up.sql': 'SELECT 5;',
      '000011_c.mysql.up.sql': 'SELECT 6;',
    });
    assert.deepEqual(loaded.problems, []);
    assert.deepEqual(loaded.migrations.map((m) => [m.version, m.key, Boolean(m.down)]), [['000002', '2', true], ['000010', '10', true], ['000011', '11', false]]);
    assert.equal(loaded.format, 'golang-migrate');
  });

  it('reports duplicate versions and files without a version', () => {
    const loaded = load({ '001_a.sql': 'SELECT 1;', '001_b.sql': 'SELECT 2;', 'seed.sql': 'SELECT 3;' }, 'migrations', 'plain');
    assert.deepEqual(loaded.problems.map((p) => p.severity), ['error', 'warning']);
    assert.match(loaded.problems[0].message, /same version/);
  });

  it('loads a Liquibase changelog as one migration per changeset, with its rollback and transaction mode', () => {
    const loaded = load({ 'changelog.sql': '--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n--rollback SELECT 2;\n--changeset b:2 runInTransaction:false\nCREATE INDEX CONCURRENTLY t_idx ON t (id);\n' });
    assert.deepEqual(loaded.problems, []);
    assert.deepEqual(
      loaded.migrations.map((m) => [m.version, m.key, m.up.statements.map((s) => s.text), m.down?.statements.map((s) => s.text), executionMode(m.up).atomic]),
      [
        ['1', 'migrations/changelog.sql::1::a', ['SELECT 1;'], ['SELECT 2;'], true],
        ['2', 'migrations/changelog.sql::2::b', ['CREATE INDEX CONCURRENTLY t_idx ON t (id);'], undefined, false],
      ],
    );
  });
});

describe('how a section runs (from the format layer’s transaction mode)', () => {
  const modeOf = (files: Record<string, string>, kind: 'up' | 'down' = 'up') => {
    const m = load(files).migrations[0];
    return executionMode(kind === 'up' ? m.up : m.down!);
  };
  it('dbmate: one transaction; with transaction:false one query string, which runs a lone statement outside a transaction', () => {
    assert.equal(modeOf({ '20240101000000_a.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n' }).atomic, true);
    assert.equal(modeOf({ '20240101000000_a.sql': '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_idx ON t (id);\n-- migrate:down\nSELECT 2;\n' }).atomic, false);
    // Two statements in one query string: one implicit transaction (dbmate sends the block with one Exec).
    assert.equal(modeOf({ '20240101000000_a.sql': "-- migrate:up transaction:false\nSET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY t_idx ON t (id);\n-- migrate:down\nSELECT 2;\n" }).atomic, true);
  });
  it('golang-migrate: one implicit transaction, except a lone statement that cannot run in one', () => {
    assert.equal(modeOf({ '1_a.up.sql': 'CREATE TABLE t (id int);\nCREATE INDEX t_idx ON t (id);' }).atomic, true);
    assert.equal(modeOf({ '1_a.up.sql': 'CREATE INDEX CONCURRENTLY t_idx ON t (id);' }).atomic, false);
    assert.equal(modeOf({ '1_a.up.sql': 'BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;' }).atomic, false);
    // A lone CALL, or a DO block that commits, runs outside a transaction block under golang-migrate.
    assert.equal(modeOf({ '1_a.up.sql': 'CALL backfill();' }).atomic, false);
    assert.equal(modeOf({ '1_a.up.sql': 'DO $$ BEGIN LOOP UPDATE t SET a = 1 WHERE a IS NULL; EXIT WHEN NOT FOUND; COMMIT; END LOOP; END $$;' }).atomic, false);
    assert.equal(modeOf({ '1_a.up.sql': 'DO $$ BEGIN IF true THEN ROLLBACK; END IF; END $$;' }).atomic, false);
    // A DO block that does not (COMMIT only in a comment or a string) keeps the one transaction, and so do two statements.
    assert.equal(modeOf({ '1_a.up.sql': "DO $$ BEGIN -- no COMMIT; here\n RAISE NOTICE 'commit;'; UPDATE t SET a = 1; END $$;" }).atomic, true);
    assert.equal(modeOf({ '1_a.up.sql': "SET lock_timeout = '5s';\nCALL backfill();" }).atomic, true);
    // dbmate wraps the section in a transaction: still one transaction (it fails there, as with dbmate).
    assert.equal(modeOf({ '20240101000000_a.sql': '-- migrate:up\nCALL backfill();\n-- migrate:down\nSELECT 2;\n' }).atomic, true);
  });
});

describe('status and plans', () => {
  const migrations = () => load({
    '20240101000000_a.sql': '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n',
    '20240102000000_b.sql': '-- migrate:up\nCREATE TABLE b (id int);\n',
    '20240103000000_c.sql': '-- migrate:up\nCREATE TABLE c (id int);\n-- migrate:down\nDROP TABLE c;\n',
  }).migrations;

  it('marks applied, pending, missing on disk and edited', () => {
    const m = migrations();
    const rows = new Map([
      ['20240101000000', { version: '20240101000000', file: 'x', format: 'dbmate', checksum: 'old', statements: [], state: 'applied' as const, direction: 'up' as const, applied_at: new Date(0), duration_ms: 1, statements_total: 1, statements_done: 1, failed_statement: null, error: null }],
    ]);
    const statuses = computeStatus(m, { applied: new Map([['20240101000000', {}], ['20240109000000', {}]]), exists: true }, rows);
    assert.deepEqual(statuses.map((s) => [s.version, s.state]), [['20240101000000', 'edited'], ['20240102000000', 'pending'], ['20240103000000', 'pending'], ['20240109000000', 'missing']]);
    assert.deepEqual(planUp(statuses).steps.map((s) => s.migration.version), ['20240102000000', '20240103000000']);
    assert.deepEqual(planUp(statuses, { to: '20240102000000' }).steps.map((s) => s.migration.version), ['20240102000000']);
    // The newest applied migration is missing on disk: nothing to roll it back with.
    assert.match(planRollback(statuses).problems[0], /not on disk/);
  });

  it('says what a migration sent statement by statement left committed when it failed', () => {
    const m = migrations();
    const row = (done: number) => new Map([['20240102000000', { version: '20240102000000', file: 'x', format: 'dbmate', checksum: 'c', statements: [], state: 'failed' as const, direction: 'up' as const, applied_at: new Date(0), duration_ms: 1, statements_total: 3, statements_done: done, failed_statement: done + 1, error: 'boom' }]]);
    const note = (done: number) => computeStatus(m, { applied: new Map([['20240101000000', {}]]), exists: true }, row(done)).find((s) => s.version === '20240102000000')!.note;
    assert.equal(note(0), 'failed at statement 1 of 3; none of its statements was committed');
    assert.equal(note(1), 'failed at statement 2 of 3; the statement before it was committed');
    assert.equal(note(2), 'failed at statement 3 of 3; the statements before it were committed');
  });

  it('rolls back newest first and stops at a migration without a down', () => {
    const m = migrations();
    const statuses = computeStatus(m, { applied: new Map(m.map((x) => [x.key, {}])), exists: true }, new Map());
    assert.deepEqual(planRollback(statuses).steps.map((s) => s.migration.version), ['20240103000000']);
    const all = planRollback(statuses, { to: '0' });
    assert.deepEqual(all.steps.map((s) => s.migration.version), ['20240103000000']);
    assert.match(all.problems[0], /20240102000000_b\.sql: it has no down migration/);
    assert.deepEqual(planRollback(statuses, { through: '20240103000000' }).steps.map((s) => s.migration.version), ['20240103000000']);
  });

  it('flags a --to / --through that names no migration as a usage error, and problems of the migrations as not one', () => {
    const m = migrations();
    const statuses = computeStatus(m, { applied: new Map(m.map((x) => [x.key, {}])), exists: true }, new Map());
    for (const plan of [planUp(statuses, { to: '20991231000000' }), planRollback(statuses, { to: '20991231000000' }), planRollback(statuses, { through: '20991231000000' })]) {
      assert.deepEqual(plan, { steps: [], problems: ['No migration has version 20991231000000.'], usage: true });
    }
    // A migration without a down is the migrations' problem, not the command's.
    const noDown = planRollback(statuses, { to: '0' });
    assert.equal(noDown.problems.length, 1);
    assert.equal(noDown.usage, undefined);
  });
});

describe('the project a runner command works on', () => {
  it('with no .zdm.json, --dir names the migrations, and the project (its .zdm/ and embedded database) stays the working folder', async () => {
    const project = createProject({ 'db/migrations/20240101000000_a.sql': dbmateFile('SELECT 1;', 'SELECT 1;') });
    project.remove('.zdm.json');
    try {
      const loaded = await loadProject({ cwd: project.root, dir: 'db/migrations' });
      assert.equal(loaded.root, project.root);
      assert.deepEqual(loaded.dirs, [project.file('db/migrations')]);
      // Run from the migrations folder itself, that folder is the project, as before.
      assert.equal((await loadProject({ cwd: project.file('db/migrations'), dir: '.' })).root, project.file('db/migrations'));
    } finally {
      cleanupProjects();
    }
  });
});
