// Where the runner must do what the migration tool itself does, found by running real goose, Flyway
// and sqitch projects through zdm: a pending migration older than the newest applied one (goose and
// Flyway refuse the whole run), `zdm down` (the tools' name for rollback), and a sqitch project's
// status (refused by name, not as a missing folder).

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { status, up } from '../../server/src/engine/runner/commands';
import { CLI } from '../helpers/paths';
import { stopTestPostgres, testPostgres, type TestPostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, explain, gooseFile, optionsFor, rowsOf, schemaOf, type TestProject } from './helpers';

let pg: TestPostgres;
before(async () => {
  pg = await testPostgres();
});
after(async () => {
  cleanupProjects();
  await stopTestPostgres();
});

function zdm(project: TestProject, ...args: string[]) {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.ZDM_DATABASE_URL;
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd: project.root, env, encoding: 'utf8' });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe('a pending migration older than the newest applied one', () => {
  it('goose: the whole run is refused before anything runs, as goose refuses it without -allow-missing', async () => {
    const db = await pg.createDatabase('late_goose');
    const project = createProject(
      {
        'migrations/00001_a.sql': gooseFile('CREATE TABLE a (id int);', 'DROP TABLE a;'),
        'migrations/00003_c.sql': gooseFile('CREATE TABLE c (id int);', 'DROP TABLE c;'),
      },
      { migrationsDir: 'migrations' },
    );
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    // A branch merged a migration numbered below what the database already has, and one after it.
    project.write('migrations/00002_b.sql', gooseFile('CREATE TABLE b (id int);', 'DROP TABLE b;'));
    project.write('migrations/00004_d.sql', gooseFile('CREATE TABLE d (id int);', 'DROP TABLE d;'));
    const schemaBefore = await schemaOf(pg, db);

    const refused = await up(options);
    assert.equal(refused.ok, false, explain(refused));
    assert.deepEqual(refused.steps, [], 'nothing ran, not even the in-order 00004');
    assert.match(refused.error!.message, /migrations\/00002_b\.sql \(version 00002\)/);
    assert.match(refused.error!.message, /found 1 missing migrations before current version 3/);
    assert.match(refused.error!.message, /--allow-missing/);
    assert.deepEqual(await schemaOf(pg, db), schemaBefore);
    assert.deepEqual(await rowsOf(pg, db, 'goose_db_version', 'version_id::int AS v'), ['{"v":0}', '{"v":1}', '{"v":3}']);

    const allowed = await up({ ...options, allowMissing: true });
    assert.ok(allowed.ok, explain(allowed));
    assert.deepEqual(allowed.steps.map((s) => s.version), ['00002', '00004']);
  });

  it('Flyway: refused unless outOfOrder is set (flyway.conf, or --allow-missing)', async () => {
    const db = await pg.createDatabase('late_flyway');
    const project = createProject({ 'db/migration/V1__a.sql': 'CREATE TABLE a (id int);', 'db/migration/V3__c.sql': 'CREATE TABLE c (id int);' }, { migrationsDir: 'db/migration' });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    project.write('db/migration/V2__b.sql', 'CREATE TABLE b (id int);');

    const refused = await up(options);
    assert.equal(refused.ok, false, explain(refused));
    assert.deepEqual(refused.steps, []);
    assert.match(refused.error!.message, /db\/migration\/V2__b\.sql \(version 2\).*Flyway refuses.*outOfOrder/s);
    assert.deepEqual(await rowsOf(pg, db, 'flyway_schema_history', 'version'), ['{"version":"1"}', '{"version":"3"}']);

    project.write('flyway.conf', 'flyway.outOfOrder=true\n');
    const allowed = await up(options);
    assert.ok(allowed.ok, explain(allowed));
    assert.deepEqual(allowed.steps.map((s) => s.version), ['2']);
  });

  it('dbmate applies it, as dbmate does (its --strict is off by default)', async () => {
    const db = await pg.createDatabase('late_dbmate');
    const project = createProject({
      'db/migrations/20240101000000_a.sql': dbmateFile('CREATE TABLE a (id int);', 'DROP TABLE a;'),
      'db/migrations/20240103000000_c.sql': dbmateFile('CREATE TABLE c (id int);', 'DROP TABLE c;'),
    });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    project.write('db/migrations/20240102000000_b.sql', dbmateFile('CREATE TABLE b (id int);', 'DROP TABLE b;'));
    const result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.version), ['20240102000000']);
  });
});

describe('the CLI under the tools\' names', () => {
  it('zdm down rolls back the last migration, as zdm rollback does', async () => {
    const db = await pg.createDatabase('down_alias');
    const project = createProject(
      {
        'migrations/00001_a.sql': gooseFile('CREATE TABLE a (id int);', 'DROP INDEX IF EXISTS nothing_here;'),
        'migrations/00002_b.sql': gooseFile('CREATE INDEX a_id_idx ON a (id);', 'DROP INDEX a_id_idx;'),
      },
      { migrationsDir: 'migrations' },
    );
    assert.ok((await up(optionsFor(project, pg.url(db)))).ok);
    const run = zdm(project, 'down', '--url', pg.url(db), '--no-color');
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /00002_b\.sql/);
    assert.deepEqual(await rowsOf(pg, db, 'goose_db_version', 'version_id::int AS v'), ['{"v":0}', '{"v":1}']);
  });

  it('a sqitch project: status says zdm does not run sqitch, not that no migrations folder exists', async () => {
    const project = createProject({
      'sqitch.plan': '%syntax-version=1.0.0\n%project=shop\n\nusers 2024-01-01T00:00:00Z Dev <dev@example.com> # users\n',
      'deploy/users.sql': 'BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n',
      'revert/users.sql': 'BEGIN;\nDROP TABLE users;\nCOMMIT;\n',
      'verify/users.sql': 'SELECT id FROM users WHERE false;\n',
    });
    const result = await status(optionsFor(project, 'postgres://nobody@127.0.0.1:1/none'));
    assert.equal(result.ok, false);
    assert.match(result.usageError ?? '', /zdm does not run sqitch migrations/);
  });
});
