// Where the runner must do what the migration tool itself does, found by running real goose, Flyway
// and sqitch projects through zdm: a pending migration older than the newest applied one (goose and
// Flyway refuse the whole run), `zdm down` (the tools' name for rollback), and a sqitch project's
// status (refused by name, not as a missing folder).

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { rollback, status, up } from '../../server/src/engine/runner/commands';
import { flywayChecksum } from '../../server/src/engine/runner/tracking/flyway';
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

describe('Flyway repeatable scripts (R__)', () => {
  it('run after the versioned ones in description order, again only when changed, recorded as Flyway records them, never rolled back', async () => {
    const db = await pg.createDatabase('repeatable');
    const totals = 'CREATE OR REPLACE VIEW order_totals AS SELECT account_id, sum(total) AS total FROM orders GROUP BY account_id;\n';
    const project = createProject(
      {
        'db/migration/V1__orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint NOT NULL, total numeric NOT NULL);\n',
        'db/migration/U1__orders.sql': 'DROP TABLE orders CASCADE;\n',
        'db/migration/V2__orders_note.sql': 'ALTER TABLE orders ADD COLUMN note text;\n',
        'db/migration/U2__orders_note.sql': 'ALTER TABLE orders DROP COLUMN note;\n',
        // Flyway orders by description as it writes it, "order totals" before "order1 top": by file
        // name, R__order1_top.sql comes first, and fails, for the view it reads does not exist yet.
        'db/migration/R__order_totals.sql': totals,
        'db/migration/R__order1_top.sql': 'CREATE OR REPLACE VIEW order_top AS SELECT * FROM order_totals ORDER BY total DESC LIMIT ${top};\n',
        'flyway.conf': 'flyway.placeholders.top=10\n',
      },
      { migrationsDir: 'db/migration' },
    );
    const options = optionsFor(project, pg.url(db));
    const before = await status(options);
    assert.deepEqual(before.status!.map((s) => [s.name, s.state]), [
      ['db/migration/V1__orders.sql', 'pending'],
      ['db/migration/V2__orders_note.sql', 'pending'],
      ['db/migration/R__order_totals.sql', 'pending'],
      ['db/migration/R__order1_top.sql', 'pending'],
    ]);

    const first = await up(options);
    assert.ok(first.ok, explain(first));
    assert.deepEqual(first.steps.map((s) => s.name), ['db/migration/V1__orders.sql', 'db/migration/V2__orders_note.sql', 'db/migration/R__order_totals.sql', 'db/migration/R__order1_top.sql']);
    const history = () => rowsOf(pg, db, 'flyway_schema_history', 'installed_rank AS r, version, description, script, checksum');
    const top = 'CREATE OR REPLACE VIEW order_top AS SELECT * FROM order_totals ORDER BY total DESC LIMIT 10;\n';
    assert.deepEqual(
      (await history()).map((r) => JSON.parse(r)).sort((a, b) => a.r - b.r),
      [
        { r: 1, version: '1', description: 'orders', script: 'V1__orders.sql', checksum: flywayChecksum('CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint NOT NULL, total numeric NOT NULL);\n') },
        { r: 2, version: '2', description: 'orders note', script: 'V2__orders_note.sql', checksum: flywayChecksum('ALTER TABLE orders ADD COLUMN note text;\n') },
        { r: 3, version: null, description: 'order totals', script: 'R__order_totals.sql', checksum: flywayChecksum(totals) },
        // A repeatable script's checksum is taken with its placeholders replaced, as Flyway takes it.
        { r: 4, version: null, description: 'order1 top', script: 'R__order1_top.sql', checksum: flywayChecksum(top) },
      ],
    );
    assert.deepEqual((await status(options)).status!.map((s) => s.state), ['applied', 'applied', 'applied', 'applied']);

    const again = await up(options);
    assert.deepEqual(again.steps, [], 'unchanged repeatable scripts do not run again');

    // Changed (here through its placeholder's value): it runs again, and only it.
    project.write('flyway.conf', 'flyway.placeholders.top=5\n');
    const rerun = await up(options);
    assert.ok(rerun.ok, explain(rerun));
    assert.deepEqual(rerun.steps.map((s) => s.name), ['db/migration/R__order1_top.sql']);
    assert.equal((await history()).length, 5);

    // Rolling back undoes versioned migrations only (the view goes with its table, by CASCADE).
    const back = await rollback({ ...options, to: '0', yes: true });
    assert.ok(back.ok, explain(back));
    assert.deepEqual(back.steps.map((s) => s.name), ['db/migration/V2__orders_note.sql', 'db/migration/V1__orders.sql']);
  });
});

describe('Flyway\'s history table as the project names it', () => {
  it('flyway.table in the first of flyway.schemas: what Flyway applied there is applied, and zdm records there', async () => {
    const db = await pg.createDatabase('flyway_table');
    // The database as Flyway left it: its history table in schema app, under the configured name.
    await pg.query('CREATE SCHEMA app', [], db);
    await pg.query(
      `CREATE TABLE app.my_history (installed_rank integer NOT NULL PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL)`,
      [],
      db,
    );
    await pg.query(`INSERT INTO app.my_history VALUES (1, '1', 'a', 'SQL', 'V1__a.sql', 0, 'flyway', now(), 5, true)`, [], db);
    await pg.query('CREATE TABLE app.a (id int)', [], db);
    const project = createProject(
      {
        'db/migration/V1__a.sql': 'CREATE TABLE app.a (id int);\n',
        'db/migration/V2__b.sql': 'CREATE TABLE app.b (id int);\n',
        'flyway.conf': 'flyway.schemas=app\nflyway.table=my_history\n',
      },
      { migrationsDir: 'db/migration' },
    );
    const options = optionsFor(project, pg.url(db));
    assert.deepEqual((await status(options)).status!.map((s) => [s.version, s.state]), [['1', 'applied'], ['2', 'pending']]);
    const result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.version), ['2']);
    assert.deepEqual(await rowsOf(pg, db, 'app.my_history', 'version, script'), ['{"version":"1","script":"V1__a.sql"}', '{"version":"2","script":"V2__b.sql"}']);
    assert.deepEqual(await rowsOf(pg, db, 'public.flyway_schema_history'), [], 'no second history table');
  });
});

describe('Flyway\'s managed schema (flyway.schemas)', () => {
  it('is created when missing (with Flyway\'s marker row) and first on the search_path while migrating, also after a migration\'s SET', async () => {
    const db = await pg.createDatabase('flyway_schema');
    const project = createProject(
      {
        'db/migration/V1__t.sql': 'CREATE TABLE t (id int);\n',
        'db/migration/V2__u.sql': "SET lock_timeout = '2s';\nCREATE TABLE u (id int);\n",
        'db/migration/V3__w.sql': 'CREATE TABLE w (id int);\n',
        'flyway.conf': 'flyway.schemas=shop,audit\n',
      },
      { migrationsDir: 'db/migration' },
    );
    const result = await up(optionsFor(project, pg.url(db)));
    assert.ok(result.ok, explain(result));
    const tables = await pg.query<{ t: string }>("SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_name IN ('t', 'u', 'w') ORDER BY 1", [], db);
    assert.deepEqual(tables.map((r) => r.t), ['shop.t', 'shop.u', 'shop.w']);
    assert.deepEqual(
      (await rowsOf(pg, db, 'shop.flyway_schema_history', 'installed_rank AS r, version, type, script')).map((r) => JSON.parse(r)).sort((a, b) => a.r - b.r),
      [
        { r: 0, version: null, type: 'SCHEMA', script: '"shop"' },
        { r: 1, version: '1', type: 'SQL', script: 'V1__t.sql' },
        { r: 2, version: '2', type: 'SQL', script: 'V2__u.sql' },
        { r: 3, version: '3', type: 'SQL', script: 'V3__w.sql' },
      ],
    );
    assert.deepEqual((await status(optionsFor(project, pg.url(db)))).status!.map((s) => s.state), ['applied', 'applied', 'applied']);
  });
});

describe('Flyway placeholderReplacement=false', () => {
  it('sends ${name} as written, as Flyway does, instead of stopping for a placeholder without a value', async () => {
    const db = await pg.createDatabase('no_replace');
    const project = createProject(
      {
        'db/migration/V1__templates.sql': "CREATE TABLE templates (body text NOT NULL);\nINSERT INTO templates VALUES ('Hello ${name}');\n",
        'flyway.conf': 'flyway.placeholderReplacement=false\n',
      },
      { migrationsDir: 'db/migration' },
    );
    const result = await up(optionsFor(project, pg.url(db)));
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await rowsOf(pg, db, 'templates'), [JSON.stringify({ body: 'Hello ${name}' })]);
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

  it('a step stopped before it ran (a goose ENVSUB variable without a value) names its statement and says nothing was committed', async () => {
    const db = await pg.createDatabase('envsub_missing');
    const project = createProject(
      { 'migrations/00001_a.sql': '-- +goose ENVSUB ON\n-- +goose Up\nCREATE TABLE a (id int);\nCREATE TABLE a_${ZDM_TEST_UNSET_SUFFIX} (id int);\n-- +goose Down\nDROP TABLE a;\n' },
      { migrationsDir: 'migrations' },
    );
    const run = zdm(project, 'up', '--url', pg.url(db), '--no-color');
    assert.equal(run.code, 1);
    assert.match(run.err, /migrations\/00001_a\.sql:4:16: No value for the placeholder \$\{ZDM_TEST_UNSET_SUFFIX\}/);
    assert.match(run.err, /in statement 2 of the up section: CREATE TABLE a_\$\{ZDM_TEST_UNSET_SUFFIX\} \(id int\);\n/);
    assert.match(run.err, /Nothing of this migration was committed\./);
    assert.doesNotMatch(run.err, /undefined|was rolled back/);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), []);
  });

  it('a sqitch project is found by its sqitch.plan (no --dir): zdm status lists its changes', async () => {
    const project = createProject({
      'sqitch.plan': '%syntax-version=1.0.0\n%project=shop\n\nusers 2024-01-01T00:00:00Z Dev <dev@example.com> # users\n',
      'deploy/users.sql': 'BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n',
      'revert/users.sql': 'BEGIN;\nDROP TABLE users;\nCOMMIT;\n',
      'verify/users.sql': 'SELECT id FROM users WHERE false;\n',
    });
    const db = await pg.createDatabase('sqitch_found');
    const run = zdm(project, 'status', '--url', pg.url(db), '--no-color');
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /pending\s+1\s+deploy\/users\.sql/);
  });
});
