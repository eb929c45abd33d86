// Where the runner must do what the migration tool itself does, found by running real goose, Flyway
// and sqitch projects through zdm: a pending migration older than the newest applied one (goose and
// Flyway refuse the whole run), `zdm down` (the tools' name for rollback), and a sqitch project's
// status (refused by name, not as a missing folder).

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { rollback, status, up } from '../../server/src/engine/runner/commands';
import { flywayChecksum } from '../../server/src/engine/runner/flyway-script';
import { createDiskHost, type ProjectHost } from '../../server/src/engine/host';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, explain, gooseFile, optionsFor, rowsOf, schemaOf, zdm } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

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
    assert.match(refused.error!.message, /Flyway's validation \(validateOnMigrate\) refuses to migrate.*db\/migration\/V2__b\.sql: Detected resolved migration not applied to database: 2\..*set -outOfOrder=true/s);
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
    await pg.query(`INSERT INTO app.my_history VALUES (1, '1', 'a', 'SQL', 'V1__a.sql', $1, 'flyway', now(), 5, true)`, [flywayChecksum('CREATE TABLE app.a (id int);\n')], db);
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
    // The change by its name (as sqitch names it, and as the JSON and the Migrations view do), not its deploy script.
    assert.match(run.out, /pending\s+1\s+users\s*\n/);
  });
});

describe('Flyway\'s built-in placeholders take the values the runner uses', () => {
  it('FLYWAY_DEFAULT_SCHEMA and FLYWAY_TABLE (which the runner honours for its table) give ${flyway:defaultSchema} and ${flyway:table}', async () => {
    const db = await pg.createDatabase('flyway_builtins_env');
    const project = createProject(
      {
        'db/migration/V1__audit.sql':
          'CREATE TABLE ${flyway:defaultSchema}.audit (schema_name text, history text, dir text);\n' +
          "INSERT INTO ${flyway:defaultSchema}.audit VALUES ('${flyway:defaultSchema}', '${flyway:table}', '${flyway:workingDirectory}');\n",
        // The file says one thing, the environment another: the environment wins, for Flyway and for the runner's table.
        'flyway.conf': 'flyway.defaultSchema=from_file\nflyway.table=file_history\n',
      },
      { migrationsDir: 'db/migration' },
    );
    const env = { FLYWAY_DEFAULT_SCHEMA: 'app', FLYWAY_TABLE: 'app_history' };
    const result = await up(optionsFor(project, pg.url(db), { env }));
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await rowsOf(pg, db, 'app.audit'), [JSON.stringify({ schema_name: 'app', history: 'app_history', dir: project.root })]);
    assert.deepEqual(await rowsOf(pg, db, 'app.app_history', 'version, script'), ['{"version":"1","script":"V1__audit.sql"}', '{"version":null,"script":"\\"app\\""}']);
    assert.equal((await pg.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'from_file'", [], db))[0].n, 0);
  });

  it('${flyway:environment} is the flyway.toml environment in use: `default` unless flyway.environment or flyway_environment selects one', async () => {
    const migration = { 'db/migration/V1__env.sql': "CREATE TABLE env_seen AS SELECT '${flyway:environment}'::text AS environment;\n" };
    const cases: { name: string; files: Record<string, string>; env?: NodeJS.ProcessEnv; expected: string }[] = [
      { name: 'flyway_env_none', files: {}, expected: 'default' },
      { name: 'flyway_env_toml', files: { 'flyway.toml': '[environments.dev]\nurl = "jdbc:postgresql://localhost/dev"\n\n[flyway]\nenvironment = "dev"\n' }, expected: 'dev' },
      { name: 'flyway_env_var', files: { 'flyway.toml': '[flyway]\nenvironment = "dev"\n' }, env: { flyway_environment: 'ci' }, expected: 'ci' },
    ];
    for (const c of cases) {
      const db = await pg.createDatabase(c.name);
      const project = createProject({ ...migration, ...c.files }, { migrationsDir: 'db/migration' });
      const result = await up(optionsFor(project, pg.url(db), c.env ? { env: c.env } : {}));
      assert.ok(result.ok, explain(result));
      assert.deepEqual(await rowsOf(pg, db, 'env_seen'), [JSON.stringify({ environment: c.expected })], c.name);
    }
  });

  it('without a configured schema, ${flyway:defaultSchema} is the session\'s current schema; .zdm.json\'s migrationsTable (where the runner records) gives ${flyway:table}', async () => {
    const db = await pg.createDatabase('flyway_builtins_default');
    await pg.query('CREATE SCHEMA tenant', [], db);
    await pg.query(`ALTER DATABASE ${db} SET search_path = tenant, public`, [], db);
    const project = createProject(
      { 'db/migration/V1__audit.sql': "CREATE TABLE audit AS SELECT '${flyway:defaultSchema}'::text AS schema_name, '${flyway:table}'::text AS history;\n" },
      { migrationsDir: 'db/migration', database: { migrationsTable: 'schema_history' } },
    );
    const result = await up(optionsFor(project, pg.url(db)));
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await rowsOf(pg, db, 'tenant.audit'), [JSON.stringify({ schema_name: 'tenant', history: 'schema_history' })]);
    assert.deepEqual(await rowsOf(pg, db, 'tenant.schema_history', 'version'), ['{"version":"1"}']);
  });
});

describe('Flyway\'s settings files are read once per command', () => {
  it('flyway.conf and conf/flyway.conf: one read each for up, which needs the table, the schema, the placeholders, replacement and outOfOrder', async () => {
    const db = await pg.createDatabase('flyway_settings_once');
    const project = createProject(
      {
        'db/migration/V1__t.sql': 'CREATE TABLE ${flyway:defaultSchema}.t (id int, note text DEFAULT \'${note}\');\n',
        'flyway.conf': 'flyway.schemas=shop\nflyway.placeholders.note=hello\n',
        'conf/flyway.conf': 'flyway.outOfOrder=true\n',
      },
      { migrationsDir: 'db/migration' },
    );
    const reads = new Map<string, number>();
    const disk = createDiskHost({ cache: false });
    const host: ProjectHost = {
      readFile: (p) => (reads.set(p, (reads.get(p) ?? 0) + 1), disk.readFile(p)),
      fileExists: (p) => disk.fileExists(p),
      readDirectory: (d) => disk.readDirectory(d),
    };
    const result = await up(optionsFor(project, pg.url(db), { host }));
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await rowsOf(pg, db, 'shop.flyway_schema_history', 'version'), ['{"version":"1"}', '{"version":null}']);
    assert.equal(reads.get(project.file('flyway.conf')), 1);
    assert.equal(reads.get(project.file('conf/flyway.conf')), 1);
    // Looked for once each (absent: the .conf files are read), in conf/, the home folder and the project.
    const settingsFiles = [...reads].filter(([p]) => /flyway\.(user\.)?(toml|conf)$/.test(p));
    assert.ok(settingsFiles.length >= 7, settingsFiles.map(([p]) => p).join(', '));
    assert.deepEqual(settingsFiles.filter(([, n]) => n !== 1), [], 'each settings file read once');

    // Read again by the next command: a change between two commands of one process (the language server) is seen.
    project.write('flyway.conf', 'flyway.schemas=shop\nflyway.placeholders.note=changed\n');
    project.write('db/migration/V2__u.sql', "CREATE TABLE u AS SELECT '${note}'::text AS note;\n");
    const second = await up(optionsFor(project, pg.url(db)));
    assert.ok(second.ok, explain(second));
    assert.deepEqual(await rowsOf(pg, db, 'shop.u'), ['{"note":"changed"}']);
  });
});

describe('FLYWAY_CONFIG_FILES', () => {
  it('a listed TOML file is read after the project\'s (its table is the one written); a listed .conf file that does not exist stops up before anything runs', async () => {
    const db = await pg.createDatabase('flyway_config_files');
    const project = createProject(
      { 'db/migration/V1__t.sql': 'CREATE TABLE t (id int);\n', 'flyway.toml': '[flyway]\ntable = "project_history"\n', 'ci/flyway.ci.toml': '[flyway]\ntable = "ci_history"\n' },
      { migrationsDir: 'db/migration' },
    );
    const missing = await up(optionsFor(project, pg.url(db), { env: { FLYWAY_CONFIG_FILES: 'ci/flyway.ci.conf' } }));
    assert.equal(missing.ok, false);
    assert.match(missing.usageError ?? '', /FLYWAY_CONFIG_FILES lists ci\/flyway\.ci\.conf, which does not exist/);
    assert.deepEqual(await pg.query("SELECT to_regclass('t')::text AS t, to_regclass('project_history')::text AS h", [], db), [{ t: null, h: null }], 'nothing ran, nothing recorded');

    const listed = await up(optionsFor(project, pg.url(db), { env: { FLYWAY_CONFIG_FILES: 'ci/flyway.ci.toml' } }));
    assert.ok(listed.ok, explain(listed));
    assert.deepEqual(await rowsOf(pg, db, 'ci_history', 'version'), ['{"version":"1"}']);
  });
});

describe('Flyway rows with success = false (a failed non-transactional migration)', () => {
  it('are not applied, show as failed, and stop up (as Flyway\'s validation stops migrate) until repaired; not counted for out-of-order', async () => {
    const db = await pg.createDatabase('flyway_failed_row');
    // The database as Flyway left it: V1 applied; V3 (CREATE INDEX CONCURRENTLY, outside a transaction)
    // failed and was recorded with success = false; a repeatable script failed the same way.
    await pg.query(
      `CREATE TABLE flyway_schema_history (installed_rank integer NOT NULL PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL)`,
      [],
      db,
    );
    await pg.query('CREATE TABLE a (id int)', [], db);
    await pg.query(
      `INSERT INTO flyway_schema_history VALUES (1, '1', 'a', 'SQL', 'V1__a.sql', $1, 'flyway', now(), 5, true), (2, '3', 'a id', 'SQL', 'V3__a_id.sql', 0, 'flyway', now(), 5, false), (3, NULL, 'a view', 'SQL', 'R__a_view.sql', 0, 'flyway', now(), 5, false)`,
      [flywayChecksum('CREATE TABLE a (id int);\n')],
      db,
    );
    const project = createProject(
      {
        'db/migration/V1__a.sql': 'CREATE TABLE a (id int);\n',
        // Merged from a branch after V3 had been tried: older than V3, but V3 is not applied.
        'db/migration/V2__b.sql': 'CREATE TABLE b (id int);\n',
        'db/migration/V3__a_id.sql': 'CREATE INDEX CONCURRENTLY a_id_idx ON a (id);\n',
        'db/migration/R__a_view.sql': 'CREATE OR REPLACE VIEW a_view AS SELECT id FROM a;\n',
      },
      { migrationsDir: 'db/migration' },
    );
    const options = optionsFor(project, pg.url(db));
    const seen = await status(options);
    assert.deepEqual(seen.status!.map((s) => [s.name, s.state]), [
      ['db/migration/V1__a.sql', 'applied'],
      ['db/migration/V2__b.sql', 'pending'],
      ['db/migration/V3__a_id.sql', 'failed'],
      ['db/migration/R__a_view.sql', 'failed'],
    ]);
    assert.match(seen.status![2].note ?? '', /Flyway recorded it as failed \(success = false, installed_rank 2 of .*flyway_schema_history.*\): it may have run only partly/);

    const schemaBefore = await schemaOf(pg, db, { userOnly: true });
    const refused = await up(options);
    assert.equal(refused.ok, false, explain(refused));
    assert.deepEqual(refused.steps, [], 'nothing ran, not even V2');
    assert.match(refused.error!.message, /V3__a_id\.sql: .*Detected failed migration to version 3 \(a id\)\. Please remove any half-completed changes then run repair.*flyway repair/);
    assert.match(refused.error!.message, /R__a_view\.sql: .*Detected failed repeatable migration: a view/);
    assert.doesNotMatch(refused.error!.message, /older than the newest applied/);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), schemaBefore);

    // What `flyway repair` does: the failed rows go. Then V2 (not out of order: V3 was never applied), V3 and the view run.
    await pg.query('DELETE FROM flyway_schema_history WHERE NOT success', [], db);
    const repaired = await up(options);
    assert.ok(repaired.ok, explain(repaired));
    assert.deepEqual(repaired.steps.map((s) => s.name), ['db/migration/V2__b.sql', 'db/migration/V3__a_id.sql', 'db/migration/R__a_view.sql']);
  });
});

describe('a Flyway migration zdm runs outside a transaction that fails part way', () => {
  it('is recorded in the history with success = false, as Flyway records it, so flyway migrate refuses rather than running it again from its first statement; zdm resumes it and leaves one successful row', async () => {
    const db = await pg.createDatabase('flyway_zdm_failed_row');
    const project = createProject(
      {
        'db/migration/V1__a.sql': 'CREATE TABLE a (id int);\n',
        'db/migration/V2__b.sql': 'CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nINSERT INTO no_such_table VALUES (1);\nCREATE TABLE c (id int);\n',
        'db/migration/V2__b.sql.conf': 'executeInTransaction=false\n',
      },
      { migrationsDir: 'db/migration' },
    );
    const options = optionsFor(project, pg.url(db));
    const failed = await up(options);
    assert.equal(failed.ok, false, explain(failed));
    assert.equal(failed.error!.committed, 2);
    const history = () => pg.query<{ r: number; version: string; script: string; success: boolean }>('SELECT installed_rank AS r, version, script, success FROM flyway_schema_history ORDER BY installed_rank', [], db);
    // Flyway's DbMigrate writes this row when a migration it ran outside a transaction fails; without it,
    // `flyway migrate` would run V2 again from its first statement over the rows it committed.
    assert.deepEqual((await history()).map((h) => [h.version, h.script, h.success]), [
      ['1', 'V1__a.sql', true],
      ['2', 'V2__b.sql', false],
    ]);
    const seen = await status(options);
    assert.deepEqual(seen.status!.map((s) => s.state), ['applied', 'failed']);
    assert.match(seen.status![1].note ?? '', /failed at statement 3 of 4; the statements before it were committed \(the Flyway history records it as failed too/);
    assert.equal(seen.status![1].failure?.committed, 2);

    // Fixed, it fails again later on: still one failed row.
    project.write('db/migration/V2__b.sql', 'CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nINSERT INTO a VALUES (1);\nINSERT INTO no_such_table VALUES (2);\n');
    assert.equal((await up(options)).ok, false);
    assert.deepEqual((await history()).map((h) => [h.version, h.success]), [['1', true], ['2', false]]);

    // zdm's own record says what was committed: it resumes there (the row 1 of b is not inserted twice), and the failed row goes, as after `flyway repair`.
    project.write('db/migration/V2__b.sql', 'CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\nINSERT INTO a VALUES (1);\nCREATE TABLE c (id int);\n');
    const resumed = await up(options);
    assert.ok(resumed.ok, explain(resumed));
    assert.equal(resumed.steps[0].resumedAt, 4);
    assert.deepEqual(await rowsOf(pg, db, 'b'), ['{"id":1}']);
    assert.deepEqual((await history()).map((h) => [h.version, h.script, h.success]), [
      ['1', 'V1__a.sql', true],
      ['2', 'V2__b.sql', true],
    ]);
    assert.deepEqual((await status(options)).status!.map((s) => s.state), ['applied', 'applied']);
  });
});

describe('an applied migration whose file is gone', () => {
  it('Flyway: zdm up is refused as Flyway\'s validation refuses it ("not resolved locally"), unless ignoreMigrationPatterns lets it pass; golang-migrate: a warning that it cannot migrate from a current version without its file', async () => {
    const flywayDb = await pg.createDatabase('missing_flyway');
    const flyway = createProject({ 'db/migration/V1__a.sql': 'CREATE TABLE a (id int);\n', 'db/migration/V2__b.sql': 'CREATE TABLE b (id int);\n' }, { migrationsDir: 'db/migration' });
    const flywayOptions = optionsFor(flyway, pg.url(flywayDb));
    assert.ok((await up(flywayOptions)).ok);
    flyway.remove('db/migration/V2__b.sql');
    flyway.write('db/migration/V3__c.sql', 'CREATE TABLE c (id int);\n');
    const refused = await up(flywayOptions);
    assert.equal(refused.ok, false, explain(refused));
    assert.deepEqual(refused.steps, []);
    assert.match(refused.error!.message, /Validate failed: Migrations have failed validation\nDetected applied migration not resolved locally: 2\.\nIf you removed this migration intentionally, run repair/);
    flyway.write('flyway.conf', 'flyway.ignoreMigrationPatterns=*:missing\n');
    const applied = await up(flywayOptions);
    assert.ok(applied.ok, explain(applied));
    assert.deepEqual(applied.steps.map((s) => s.version), ['3']);
    assert.deepEqual(applied.warnings, []);
    assert.match(applied.status!.find((s) => s.version === '2')!.note ?? '', /Flyway: Missing\): Flyway lets it pass \(ignoreMigrationPatterns \*:missing\)/);

    const golangDb = await pg.createDatabase('missing_golang_migrate');
    const files = (n: number) => ({ [`migrations/00000${n}_t${n}.up.sql`]: `CREATE TABLE t${n} (id int);\n`, [`migrations/00000${n}_t${n}.down.sql`]: `DROP TABLE t${n};\n` });
    const golang = createProject({ ...files(1), ...files(2) }, { migrationsDir: 'migrations' });
    const golangOptions = optionsFor(golang, pg.url(golangDb));
    assert.ok((await up(golangOptions)).ok);
    golang.remove('migrations/000002_t2.up.sql');
    golang.remove('migrations/000002_t2.down.sql');
    for (const [name, text] of Object.entries(files(3))) golang.write(name, text);
    const next = await up(golangOptions);
    assert.ok(next.ok, explain(next));
    assert.match(next.warnings.join('\n'), /The current version, 2, has no file on disk\. golang-migrate refuses to migrate from it \("no migration found for version 2"\)/);
  });
});

describe('golang-migrate: a migration added below the current version', () => {
  it('is counted as applied, as golang-migrate counts it, but status and up say it most likely never ran', async () => {
    const db = await pg.createDatabase('golang_below_current');
    const files = (n: number) => ({ [`migrations/00000${n}_t${n}.up.sql`]: `CREATE TABLE t${n} (id int);\n`, [`migrations/00000${n}_t${n}.down.sql`]: `DROP TABLE t${n};\n` });
    const project = createProject({ ...files(1), ...files(3) }, { migrationsDir: 'migrations' });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    for (const [name, text] of Object.entries(files(2))) project.write(name, text);
    const seen = await status(options);
    assert.deepEqual(seen.status!.map((s) => s.state), ['applied', 'applied', 'applied'], 'golang-migrate counts it applied: it keeps the current version only');
    assert.match(seen.status![1].note ?? '', /no run recorded it, and zdm applied the migrations on either side of it, so it was most likely added after them and never ran on this database/);
    assert.equal(seen.status![0].note, undefined);
    const again = await up(options);
    assert.ok(again.ok, explain(again));
    assert.deepEqual(again.steps, []);
    assert.match(again.warnings.join('\n'), /migrations\/000002_t2\.up\.sql: counted as applied only because golang-migrate keeps the current version alone/);
    assert.equal((await pg.query("SELECT to_regclass('t2') AS t", [], db))[0].t, null, 'it never ran');
  });
});

describe('goose down after up --allow-missing', () => {
  it('rolls back the last applied migration (goose_db_version\'s id order), not the highest version; --to 0 in the reverse of the applied order', async () => {
    const db = await pg.createDatabase('goose_down_order');
    const project = createProject(
      {
        'migrations/00001_a.sql': gooseFile('CREATE TABLE a (id int);', 'DROP TABLE a;'),
        'migrations/00003_c.sql': gooseFile('CREATE TABLE c (id int);', 'DROP TABLE c;'),
      },
      { migrationsDir: 'migrations' },
    );
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    // 00002 references c, which 00003 made: applied out of order, it is the newest change.
    project.write('migrations/00002_b.sql', gooseFile('CREATE TABLE b (c_id int);\nCREATE VIEW b_c AS SELECT * FROM b JOIN c ON c.id = b.c_id;', 'DROP VIEW b_c;\nDROP TABLE b;'));
    const late = await up({ ...options, allowMissing: true });
    assert.ok(late.ok, explain(late));
    assert.deepEqual(await rowsOf(pg, db, 'goose_db_version', 'id, version_id::int AS v'), ['{"id":1,"v":0}', '{"id":2,"v":1}', '{"id":3,"v":3}', '{"id":4,"v":2}']);

    // goose down takes 00002, the last applied. Taking 00003 would fail on the view that depends on c.
    const one = await rollback({ ...options, yes: true });
    assert.ok(one.ok, explain(one));
    assert.deepEqual(one.steps.map((s) => s.version), ['00002']);

    assert.ok((await up({ ...options, allowMissing: true })).ok);
    const all = await rollback({ ...options, to: '0', yes: true });
    assert.ok(all.ok, explain(all));
    assert.deepEqual(all.steps.map((s) => s.version), ['00002', '00003', '00001']);
    assert.deepEqual(await rowsOf(pg, db, 'goose_db_version', 'version_id::int AS v'), ['{"v":0}']);
  });
});

describe('a goose migration without a -- +goose Down section', () => {
  it('rolls back as goose does: nothing runs, its row is deleted, and zdm says what stays', async () => {
    const db = await pg.createDatabase('goose_no_down');
    const project = createProject(
      {
        'migrations/00001_a.sql': gooseFile('CREATE TABLE a (id int);', 'DROP TABLE a;'),
        'migrations/00002_note.sql': '-- +goose Up\nALTER TABLE a ADD COLUMN IF NOT EXISTS note text;\n',
        'migrations/00003_note_idx.sql': '-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_note_idx ON a (note);\n',
      },
      { migrationsDir: 'migrations' },
    );
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    const schemaApplied = await schemaOf(pg, db, { userOnly: true });

    const one = await rollback({ ...options, yes: true });
    assert.ok(one.ok, explain(one));
    assert.deepEqual(one.steps.map((s) => [s.version, s.statements.length]), [['00003', 0]]);
    assert.match(one.warnings.join('\n'), /migrations\/00003_note_idx\.sql has no '-- \+goose Down' section: as goose does, rolling it back runs nothing and only deletes its row.*the next zdm up runs it again/);
    const more = await rollback({ ...options, to: '1', yes: true });
    assert.ok(more.ok, explain(more));
    assert.deepEqual(more.steps.map((s) => s.version), ['00002']);
    assert.deepEqual(await rowsOf(pg, db, 'goose_db_version', 'version_id::int AS v'), ['{"v":0}', '{"v":1}']);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), schemaApplied, 'the column and the index stay');
    assert.deepEqual((await status(options)).status!.map((s) => s.state), ['applied', 'pending', 'pending']);

    const again = await up(options);
    assert.ok(again.ok, explain(again));
    assert.deepEqual(again.steps.map((s) => s.version), ['00002', '00003']);
  });
});

describe('goose ENVSUB: the expansions goose reads', () => {
  it('${VAR?message}, ${VAR:offset:length} and ${VAR-} take goose\'s values; an unset ${VAR?message} stops as goose stops; an unset ${VAR} stops, saying goose would write an empty string', async () => {
    const db = await pg.createDatabase('goose_envsub');
    const file = (name: string) =>
      '-- +goose ENVSUB ON\n-- +goose Up\n' +
      `CREATE TABLE \${${name}?the table to create} (code text DEFAULT '\${ZDM_T_CODE:0:3}', tail text DEFAULT '\${ZDM_T_CODE: -2}', note text DEFAULT '\${ZDM_T_UNSET-}');\n` +
      `-- +goose Down\nDROP TABLE \${${name}?the table to drop};\n`;
    const project = createProject({ 'migrations/00001_widgets.sql': file('ZDM_T_NAME') }, { migrationsDir: 'migrations' });
    const env = { ZDM_T_NAME: 'widgets', ZDM_T_CODE: 'abcdef' };
    const result = await up(optionsFor(project, pg.url(db), { env }));
    assert.ok(result.ok, explain(result));
    const defaults = await pg.query<{ c: string; d: string }>("SELECT column_name AS c, column_default AS d FROM information_schema.columns WHERE table_name = 'widgets' ORDER BY ordinal_position", [], db);
    assert.deepEqual(defaults.map((r) => [r.c, r.d]), [['code', "'abc'::text"], ['tail', "'ef'::text"], ['note', "''::text"]]);

    // Unset under ${VAR?message}: goose fails the migration ("variable substitution failed"), and so does zdm, with the message.
    const required = createProject({ 'migrations/00001_widgets.sql': file('ZDM_T_TENANT') }, { migrationsDir: 'migrations' });
    const db2 = await pg.createDatabase('goose_envsub_required');
    const refused = await up(optionsFor(required, pg.url(db2), { env }));
    assert.equal(refused.ok, false);
    assert.match(refused.error!.message, /\$\{ZDM_T_TENANT\?the table to create\}: ZDM_T_TENANT is not set \(the table to create\), and goose stops here too/);
    assert.equal(refused.error!.line, 3);

    // Unset plain ${VAR}: goose would write '' (CREATE TABLE t_ here); zdm stops, and says why and how to mean empty.
    const plain = createProject({ 'migrations/00001_t.sql': '-- +goose ENVSUB ON\n-- +goose Up\nCREATE TABLE t_${ZDM_T_SUFFIX} (id int);\n' }, { migrationsDir: 'migrations' });
    const stopped = await up(optionsFor(plain, pg.url(db2), { env }));
    assert.equal(stopped.ok, false);
    assert.match(stopped.error!.message, /goose would substitute an empty string for an unset variable; zdm stops instead.*Set the environment variable ZDM_T_SUFFIX .*or write \$\{ZDM_T_SUFFIX-\} where an empty value is meant/);
    assert.deepEqual(await schemaOf(pg, db2, { userOnly: true }), []);
  });
});

describe('goose ENVSUB: line by line, as goose reads the file', () => {
  const FUNCTION = ['-- +goose StatementBegin', 'CREATE FUNCTION answer() RETURNS int AS $$', 'BEGIN', '  RETURN 42;', 'END;', '$$ LANGUAGE plpgsql;', '-- +goose StatementEnd'];

  it('substitutes only between ENVSUB ON and OFF; reads nested defaults, $VAR and $$ (a `$` in a string) as goose does', async () => {
    const db = await pg.createDatabase('goose_envsub_lines');
    const project = createProject(
      {
        'migrations/00001_notes.sql': [
          '-- +goose Up',
          "CREATE TABLE notes (id int, body text);",
          "INSERT INTO notes VALUES (1, '${ZDM_T_NAME}');",
          '-- +goose ENVSUB ON',
          "INSERT INTO notes VALUES (2, '${ZDM_T_UNSET:-${ZDM_T_NAME}}'), (3, '$ZDM_T_NAME costs $$5');",
          '-- +goose ENVSUB OFF',
          ...FUNCTION,
          "INSERT INTO notes VALUES (4, '${ZDM_T_NAME}');",
          '-- +goose Down',
          'DROP FUNCTION answer();',
          'DROP TABLE notes;',
          '',
        ].join('\n'),
      },
      { migrationsDir: 'migrations' },
    );
    const result = await up(optionsFor(project, pg.url(db), { env: { ZDM_T_NAME: 'widgets' } }));
    assert.ok(result.ok, explain(result));
    const rows = await pg.query<{ id: number; body: string }>('SELECT id, body FROM notes ORDER BY id', [], db);
    assert.deepEqual(rows.map((r) => [r.id, r.body]), [[1, '${ZDM_T_NAME}'], [2, 'widgets'], [3, 'widgets costs $5'], [4, '${ZDM_T_NAME}']]);
    assert.deepEqual(await pg.query('SELECT answer() AS a', [], db), [{ a: 42 }]);
  });

  it("refuses a function whose $$ goose would send as $ (file:line, and the ENVSUB OFF/ON fix), before anything runs; runs it once wrapped", async () => {
    const db = await pg.createDatabase('goose_envsub_dollars');
    const file = (wrapped: boolean) =>
      ['-- +goose ENVSUB ON', '-- +goose Up', 'CREATE TABLE ${ZDM_T_NAME} (id int);', ...(wrapped ? ['-- +goose ENVSUB OFF', ...FUNCTION, '-- +goose ENVSUB ON'] : FUNCTION), '-- +goose Down', 'DROP FUNCTION answer();', 'DROP TABLE ${ZDM_T_NAME};', ''].join('\n');
    const project = createProject({ 'migrations/00001_answer.sql': file(false) }, { migrationsDir: 'migrations' });
    const env = { ZDM_T_NAME: 'widgets' };
    const refused = await up(optionsFor(project, pg.url(db), { env }));
    assert.equal(refused.ok, false);
    const error = refused.steps[0].error!;
    assert.equal(error.line, 5);
    assert.match(error.message, /goose reads `\$\$` as an escaped `\$` and sends `\$`, so the dollar quote `\$\$` never reaches PostgreSQL.*Nothing of it was run\./s);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), []);
    const cli = zdm(project, 'up', '--url', pg.url(db), '--no-color');
    assert.equal(cli.code, 1);
    assert.match(cli.err, /migrations\/00001_answer\.sql:5:\d+: Under '-- \+goose ENVSUB ON' goose reads `\$\$`/);
    assert.match(cli.err, /ENVSUB OFF' line before the statement/);

    project.write('migrations/00001_answer.sql', file(true));
    const result = await up(optionsFor(project, pg.url(db), { env }));
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await pg.query('SELECT answer() AS a', [], db), [{ a: 42 }]);
  });

  it('a broken dollar quote in the down section does not stop the up (goose only sends it on the way down), and stops the rollback', async () => {
    const db = await pg.createDatabase('goose_envsub_down_dollars');
    const project = createProject(
      { 'migrations/00001_t.sql': ['-- +goose ENVSUB ON', '-- +goose Up', 'CREATE TABLE t (id int);', '-- +goose Down', "DO $$ BEGIN RAISE NOTICE 'bye'; END $$;", 'DROP TABLE t;', ''].join('\n') },
      { migrationsDir: 'migrations' },
    );
    const applied = await up(optionsFor(project, pg.url(db)));
    assert.ok(applied.ok, explain(applied));
    const refused = await rollback(optionsFor(project, pg.url(db), { yes: true }));
    assert.equal(refused.ok, false);
    assert.equal(refused.steps[0].error!.line, 5);
    assert.match(refused.steps[0].error!.message, /goose reads `\$\$` as an escaped `\$`/);
    assert.deepEqual(await pg.query("SELECT 1 AS one FROM pg_tables WHERE tablename = 't'", [], db), [{ one: 1 }]);
  });

  it('an unset ${VAR?message} in the down section stops the up too: goose substitutes the whole file before it runs a direction', async () => {
    const db = await pg.createDatabase('goose_envsub_down_required');
    const project = createProject(
      { 'migrations/00001_t.sql': '-- +goose ENVSUB ON\n-- +goose Up\nCREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE ${ZDM_T_DROP?the table to drop};\n' },
      { migrationsDir: 'migrations' },
    );
    const refused = await up(optionsFor(project, pg.url(db), { env: {} }));
    assert.equal(refused.ok, false);
    assert.equal(refused.steps[0].error!.line, 5);
    assert.match(refused.steps[0].error!.message, /ZDM_T_DROP is not set \(the table to drop\), and goose stops here too.*goose substitutes the lines of both directions/s);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), []);
  });
});

describe('goose NO TRANSACTION: statements that share a line', () => {
  it('go to PostgreSQL as one query string, as goose sends them (it cuts only where a line ends with `;`): CONCURRENTLY fails there, and succeeds on a line of its own', async () => {
    const db = await pg.createDatabase('goose_one_line');
    // goose reads `a; b;` as one statement and sends it whole: PostgreSQL runs it as one implicit
    // transaction, where CREATE INDEX CONCURRENTLY fails (25001) and takes the CREATE TABLE with it.
    const oneLine = gooseFile('CREATE TABLE t (x int); CREATE INDEX CONCURRENTLY t_x_idx ON t (x);', 'DROP TABLE IF EXISTS t;', { noTransaction: true });
    const project = createProject({ 'migrations/00001_t.sql': oneLine }, { migrationsDir: 'migrations' });
    const options = optionsFor(project, pg.url(db));
    let result = await up(options);
    assert.equal(result.ok, false, 'goose fails this migration: zdm up must too');
    assert.equal(result.error!.code, '25001');
    assert.equal(result.error!.statement, 2, 'the CONCURRENTLY statement');
    assert.equal(result.error!.committed, 0, 'the CREATE TABLE on its line was rolled back with it');
    assert.match(result.error!.hint ?? '', /goose ends a statement only where a line ends with `;`, so it sends these statements as one query string \(statements 1-2\).*none of them was committed.*put it on a line of its own/);
    assert.doesNotMatch(result.error!.hint ?? '', /StatementBegin/);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), [], 'nothing of the line was committed');

    // Each statement on its own line: goose sends them one by one, and the index builds outside a transaction.
    project.write('migrations/00001_t.sql', oneLine.replace('(x int); CREATE', '(x int);\nCREATE'));
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.ok((await schemaOf(pg, db, { userOnly: true })).some((s) => s.startsWith('index t_x_idx')));
  });
});

describe('goose NO TRANSACTION: what goose holds at a StatementBegin line', () => {
  it('is sent with the block as one query string, as goose sends it (its buffer is not emptied at StatementBegin): CONCURRENTLY fails there, and succeeds once its line ends with `;`', async () => {
    const db = await pg.createDatabase('goose_block_join');
    // `/* ... */` after the `;` is the line's last word: goose does not end the statement there, and
    // sends it at the StatementEnd line together with the block. PostgreSQL runs that string as one
    // implicit transaction, where CREATE INDEX CONCURRENTLY fails (25001) and takes the block with it.
    const joined = gooseFile(
      'CREATE TABLE t (x int);\nCREATE INDEX CONCURRENTLY t_x_idx ON t (x); /* for lookups */\n-- +goose StatementBegin\nCREATE TABLE u (y int);\nINSERT INTO u VALUES (1);\n-- +goose StatementEnd',
      'DROP TABLE IF EXISTS u;\nDROP TABLE IF EXISTS t;',
      { noTransaction: true },
    );
    const project = createProject({ 'migrations/00001_t.sql': joined }, { migrationsDir: 'migrations' });
    const options = optionsFor(project, pg.url(db));
    let result = await up(options);
    assert.equal(result.ok, false, 'goose fails this migration: zdm up must too');
    assert.equal(result.error!.code, '25001');
    assert.equal(result.error!.statement, 2, 'the CONCURRENTLY statement');
    assert.equal(result.error!.committed, 1, 'the CREATE TABLE t, which goose sends alone');
    assert.match(result.error!.hint ?? '', /statements 2-4.*end its line with `;`.*goose sends what it has read and not yet sent at a StatementBegin line together with the block/s);
    const tables = await pg.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1", [], db);
    assert.deepEqual(tables.map((r) => r.relname).filter((n) => n === 't' || n === 'u'), ['t'], 'the block was rolled back with the index');

    // The comment on a line of its own: goose ends the statement at its `;` and sends it alone.
    project.write('migrations/00001_t.sql', joined.replace('(x); /* for lookups */', '(x);\n/* for lookups */'));
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.ok((await schemaOf(pg, db, { userOnly: true })).some((s) => s.startsWith('index t_x_idx')));
  });
});

describe('goose: `${X}` outside ENVSUB ON ... OFF', () => {
  it('is sent as written, and PostgreSQL reports the syntax error the lint shows', async () => {
    const db = await pg.createDatabase('goose_literal_braces');
    const project = createProject({ 'migrations/00001_t.sql': gooseFile("-- +goose ENVSUB ON\nCREATE TABLE ${ZDM_T_NAME} (x int);\n-- +goose ENVSUB OFF\nSELECT '${kept}';\nCREATE TABLE ${B} (y int);", 'SELECT 1;') }, { migrationsDir: 'migrations' });
    const result = await up(optionsFor(project, pg.url(db), { env: { ZDM_T_NAME: 'named' } }));
    assert.equal(result.ok, false);
    assert.equal(result.error!.code, '42601');
    assert.match(result.error!.message, /syntax error at or near "\$"/);
    assert.equal(result.error!.statement, 3);
  });
});
