// Flyway baselines: a history whose first row is Flyway's BASELINE (written by `flyway baseline` or
// baselineOnMigrate) makes the versioned migrations at or below its version "Below Baseline": never
// run, never rolled back, shown as such. `zdm baseline` writes that row as Flyway writes it, and is
// refused where Flyway refuses it. No real Flyway here: the rows and messages follow Flyway's
// documented behaviour and its DbBaseline source (9.x/10.x).

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRunnerCommand } from '../../server/src/cli/runner-commands';
import { baseline, rollback, status, up } from '../../server/src/engine/runner/commands';
import { initParser } from '../../server/src/engine/sql/parser';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, explain, optionsFor, rowsOf, schemaOf, type TestProject } from './helpers';

const pg = usePostgres({ setup: initParser, cleanup: cleanupProjects });

/** Flyway's flyway_schema_history, as Flyway creates it on PostgreSQL. */
const HISTORY = `CREATE TABLE flyway_schema_history (installed_rank integer NOT NULL, version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL, CONSTRAINT flyway_schema_history_pk PRIMARY KEY (installed_rank))`;

/** The row `flyway baseline -baselineVersion=3` writes. */
const BASELINE_ROW = `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (1, '3', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'flyway', 0, true)`;

/** V1..V5 with their undo (U) scripts: the schema of V1..V3 predates Flyway on the database. */
function fiveMigrations(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [v, t] of [['1', 'a'], ['2', 'b'], ['3', 'c'], ['4', 'd'], ['5', 'e']]) {
    files[`db/migration/V${v}__${t}.sql`] = `CREATE TABLE ${t} (id int);\n`;
    files[`db/migration/U${v}__${t}.sql`] = `DROP TABLE ${t};\n`;
  }
  return files;
}

/** A database as `flyway baseline -baselineVersion=3` left it: tables a, b, c already there. */
async function baselinedAt3(name: string): Promise<string> {
  const db = await pg.createDatabase(name);
  await pg.query('CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TABLE c (id int)', [], db);
  await pg.query(HISTORY, [], db);
  await pg.query(BASELINE_ROW, [], db);
  return db;
}

const history = (db: string, table = 'flyway_schema_history') =>
  rowsOf(pg, db, table, 'installed_rank AS r, version, description, type, script, checksum, execution_time AS ms, success').then((rows) => rows.map((r) => JSON.parse(r)).sort((x, y) => x.r - y.r));

async function cli(project: TestProject, url: string, command: 'up' | 'status' | 'rollback' | 'baseline', ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { cwd: project.root, stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s), isTTY: false, env: { DATABASE_URL: url } };
  const code = await runRunnerCommand(command, [...args, '--no-color'], io);
  return { code, stdout, stderr };
}

describe('a history Flyway baselined at version 3', () => {
  it('status: V1-V3 below baseline, V4 and V5 pending; up runs only V4 and V5, ranked after the baseline', async () => {
    const db = await baselinedAt3('fb_up');
    const project = createProject(fiveMigrations(), { migrationsDir: 'db/migration' });
    const options = optionsFor(project, pg.url(db));

    const seen = await status(options);
    assert.ok(seen.ok, explain(seen));
    assert.deepEqual(seen.status!.map((s) => [s.version, s.state]), [['1', 'below-baseline'], ['2', 'below-baseline'], ['3', 'below-baseline'], ['4', 'pending'], ['5', 'pending']]);
    assert.match(seen.status![2].note ?? '', /Flyway's baseline \(version 3, "<< Flyway Baseline >>", installed_rank 1\)/);

    const ran = await up(options);
    assert.ok(ran.ok, explain(ran));
    assert.deepEqual(ran.steps.map((s) => s.version), ['4', '5']);
    const rows = await history(db);
    assert.deepEqual(rows.map((r) => [r.r, r.version, r.type, r.script]), [
      [1, '3', 'BASELINE', '<< Flyway Baseline >>'],
      [2, '4', 'SQL', 'V4__d.sql'],
      [3, '5', 'SQL', 'V5__e.sql'],
    ]);
    assert.deepEqual(ran.status!.map((s) => s.state), ['below-baseline', 'below-baseline', 'below-baseline', 'applied', 'applied']);
    // Nothing pending: a second up runs nothing.
    const again = await up(options);
    assert.ok(again.ok, explain(again));
    assert.deepEqual(again.steps, []);
  });

  it('rollback undoes down to the baseline and stops there: never a migration below it, never the baseline row', async () => {
    const db = await baselinedAt3('fb_rollback');
    const project = createProject(fiveMigrations(), { migrationsDir: 'db/migration' });
    // yes: the undo scripts drop tables.
    const options = optionsFor(project, pg.url(db), { yes: true });
    assert.ok((await up(options)).ok);

    // --through or --to below the baseline: refused, nothing done.
    for (const target of [{ through: '3' }, { through: '1' }, { to: '2' }]) {
      const refused = await rollback({ ...options, ...target });
      assert.equal(refused.ok, false, JSON.stringify(target));
      assert.deepEqual(refused.steps, []);
      assert.match(refused.error!.message, /Flyway's baseline at version 3.*zdm rollback --to 3/s);
    }

    const all = await rollback({ ...options, to: '0' });
    assert.ok(all.ok, explain(all));
    assert.deepEqual(all.steps.map((s) => [s.version, s.direction]), [['5', 'down'], ['4', 'down']]);
    assert.ok(all.warnings.some((w) => /stops at Flyway's baseline \(version 3\)/.test(w)), all.warnings.join('\n'));
    assert.deepEqual((await history(db)).map((r) => [r.r, r.version, r.type]), [
      [1, '3', 'BASELINE'],
      [2, '4', 'SQL'],
      [3, '5', 'SQL'],
      [4, '5', 'UNDO_SQL'],
      [5, '4', 'UNDO_SQL'],
    ]);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), ['table a(id integer)', 'table b(id integer)', 'table c(id integer)']);

    // With nothing above the baseline, a rollback has nothing to do (V3 is not undone).
    const nothing = await rollback(options);
    assert.ok(nothing.ok, explain(nothing));
    assert.deepEqual(nothing.steps, []);
    assert.equal((await history(db)).length, 5);
    // --to 3 (the baseline version) is fine.
    assert.ok((await up(options)).ok);
    const to3 = await rollback({ ...options, to: '3' });
    assert.ok(to3.ok, explain(to3));
    assert.deepEqual(to3.steps.map((s) => s.version), ['5', '4']);
  });

  it('the CLI: status text and JSON show below-baseline; the baseline row stands in when no file has its version', async () => {
    const db = await baselinedAt3('fb_cli');
    const files = fiveMigrations();
    delete files['db/migration/V3__c.sql'];
    delete files['db/migration/U3__c.sql'];
    const project = createProject(files, { migrationsDir: 'db/migration' });
    const text = await cli(project, pg.url(db), 'status');
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split('\n').filter((l) => /^(below-baseline|pending) /.test(l)).map((l) => l.replace(/\s+\d{4}-\d\d-\d\d \S+/, '').replace(/ +— .*$/, '').trimEnd());
    assert.deepEqual(lines, [
      'below-baseline 1        db/migration/V1__a.sql',
      'below-baseline 2        db/migration/V2__b.sql',
      "below-baseline 3        (Flyway's baseline row)",
      'pending        4        db/migration/V4__d.sql',
      'pending        5        db/migration/V5__e.sql',
    ]);
    assert.match(text.stdout, /0 applied \(0 edited after apply\), 2 pending, 0 failed, 0 missing on disk, 2 below the Flyway baseline\./);
    const json = JSON.parse((await cli(project, pg.url(db), 'status', '--format', 'json')).stdout);
    assert.deepEqual(json.status.map((e: { version: string; state: string; file?: string }) => [e.version, e.state, e.file !== undefined]), [
      ['1', 'below-baseline', true],
      ['2', 'below-baseline', true],
      ['3', 'below-baseline', false],
      ['4', 'pending', true],
      ['5', 'pending', true],
    ]);
  });
});

describe('zdm baseline', () => {
  it("writes exactly Flyway's BASELINE row (creating the table), after which up runs only what is above it", async () => {
    const db = await pg.createDatabase('fb_cmd');
    await pg.query('CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TABLE c (id int)', [], db);
    const project = createProject(fiveMigrations(), { migrationsDir: 'db/migration' });
    const options = optionsFor(project, pg.url(db));

    const done = await baseline({ ...options, version: '3' });
    assert.ok(done.ok, explain(done));
    assert.deepEqual(done.baseline, { version: '3', description: '<< Flyway Baseline >>' });
    const rows = await pg.query<Record<string, unknown>>('SELECT installed_rank, version, description, type, script, checksum, installed_by = current_user AS by_user, execution_time, success FROM flyway_schema_history', [], db);
    assert.deepEqual(rows, [{ installed_rank: 1, version: '3', description: '<< Flyway Baseline >>', type: 'BASELINE', script: '<< Flyway Baseline >>', checksum: null, by_user: true, execution_time: 0, success: true }]);
    assert.deepEqual(done.status!.map((s) => s.state), ['below-baseline', 'below-baseline', 'below-baseline', 'pending', 'pending']);

    // The same baseline again: Flyway skips it ("already initialized"); another one is refused.
    const same = await baseline({ ...options, version: '3' });
    assert.ok(same.ok, explain(same));
    assert.deepEqual(same.baseline, { version: '3', description: '<< Flyway Baseline >>', skipped: true });
    const other = await baseline({ ...options, version: '2' });
    assert.equal(other.ok, false);
    assert.match(other.error!.message, /^Unable to baseline schema history table "public"\."flyway_schema_history" with \(2,<< Flyway Baseline >>\) as it has already been baselined with \(3,<< Flyway Baseline >>\)/);

    const ran = await up(options);
    assert.ok(ran.ok, explain(ran));
    assert.deepEqual(ran.steps.map((s) => s.version), ['4', '5']);
    assert.deepEqual((await history(db)).map((r) => [r.r, r.version, r.type]), [[1, '3', 'BASELINE'], [2, '4', 'SQL'], [3, '5', 'SQL']]);
  });

  it('is refused, in Flyway\'s words, when the history already holds migrations; nothing is written', async () => {
    const db = await pg.createDatabase('fb_refused');
    const project = createProject(fiveMigrations(), { migrationsDir: 'db/migration' });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up({ ...options, to: '2' })).ok);
    const before = await history(db);
    const refused = await baseline(options);
    assert.equal(refused.ok, false);
    assert.equal(refused.usageError, undefined);
    assert.equal(refused.error!.message, 'Unable to baseline schema history table "public"."flyway_schema_history" as it already contains migrations');
    assert.deepEqual(await history(db), before);
    // The CLI: exit 1, Flyway's message.
    const run = await cli(project, pg.url(db), 'baseline', '--version', '5');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /as it already contains migrations/);
  });

  it('takes baselineVersion and baselineDescription from flyway.conf (--version and --description win), Flyway\'s defaults otherwise', async () => {
    const plain = await pg.createDatabase('fb_defaults');
    const project = createProject({ 'db/migration/V1__a.sql': 'CREATE TABLE a (id int);\n', 'db/migration/V2__b.sql': 'CREATE TABLE b (id int);\n' }, { migrationsDir: 'db/migration' });
    assert.ok((await baseline(optionsFor(project, pg.url(plain)))).ok);
    assert.deepEqual((await history(plain)).map((r) => [r.r, r.version, r.description, r.script]), [[1, '1', '<< Flyway Baseline >>', '<< Flyway Baseline >>']]);

    project.write('flyway.conf', 'flyway.baselineVersion=2\nflyway.baselineDescription=legacy schema\n');
    const conf = await pg.createDatabase('fb_conf');
    const run = await cli(project, pg.url(conf), 'baseline');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Successfully baselined schema with version: 2/);
    assert.deepEqual((await history(conf)).map((r) => [r.version, r.description, r.script]), [['2', 'legacy schema', 'legacy schema']]);

    const flags = await pg.createDatabase('fb_flags');
    const withFlags = await cli(project, pg.url(flags), 'baseline', '--version', '1_1', '--description', 'from flags');
    assert.equal(withFlags.code, 0, withFlags.stderr);
    // Flyway stores 1_1 as 1.1.
    assert.deepEqual((await history(flags)).map((r) => [r.version, r.description]), [['1.1', 'from flags']]);

    const bad = await cli(project, pg.url(flags), 'baseline', '--version', 'v2');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Invalid version: v2 \(from --version\)/);
    // A bad version in the settings: the message names the file it is in.
    project.write('flyway.conf', 'flyway.baselineVersion=2a\n');
    const badConf = await cli(project, pg.url(flags), 'baseline');
    assert.equal(badConf.code, 2);
    assert.match(badConf.stderr, /Invalid version: 2a \(from flyway\.baselineVersion in flyway\.conf\)/);
  });

  it('is a Flyway command: a usage error for another format; --version and --description belong to it', async () => {
    const db = await pg.createDatabase('fb_other');
    const project = createProject({ 'db/migrations/20240101000000_a.sql': dbmateFile('CREATE TABLE a (id int);', 'DROP TABLE a;') });
    const result = await baseline({ ...optionsFor(project, pg.url(db)), version: '1' });
    assert.equal(result.ok, false);
    assert.match(result.usageError ?? '', /zdm baseline is a Flyway command.*this project is dbmate.*zdm up --log-only/s);
    assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), [], 'nothing created');
    const run = await cli(project, pg.url(db), 'baseline');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /Flyway command/);
    const misplaced = await cli(project, pg.url(db), 'up', '--version', '3');
    assert.equal(misplaced.code, 2);
    assert.match(misplaced.stderr, /--version does not apply to up/);
  });

  it('asks for --yes on a database that is not on this machine, as the other runner commands do', async () => {
    const project = createProject({ 'db/migration/V1__a.sql': 'CREATE TABLE a (id int);\n' }, { migrationsDir: 'db/migration' });
    const result = await baseline(optionsFor(project, 'postgres://u:pw@db.example.com/x'));
    assert.equal(result.needsConfirmation?.reason, 'remote-database');
  });
});

describe('Flyway baselineOnMigrate', () => {
  it('up on a non-empty schema without a history table baselines first (baselineVersion), then runs what is above it; an empty schema is migrated from V1', async () => {
    const db = await pg.createDatabase('fb_on_migrate');
    await pg.query('CREATE TABLE a (id int); CREATE TABLE b (id int)', [], db);
    const project = createProject(
      { ...fiveMigrations(), 'flyway.conf': 'flyway.baselineOnMigrate=true\nflyway.baselineVersion=2\n' },
      { migrationsDir: 'db/migration' },
    );
    const options = optionsFor(project, pg.url(db));
    const ran = await up(options);
    assert.ok(ran.ok, explain(ran));
    assert.deepEqual(ran.baseline, { version: '2', description: '<< Flyway Baseline >>' });
    assert.deepEqual(ran.steps.map((s) => s.version), ['3', '4', '5']);
    assert.deepEqual((await history(db)).map((r) => [r.r, r.version, r.type]), [[1, '2', 'BASELINE'], [2, '3', 'SQL'], [3, '4', 'SQL'], [4, '5', 'SQL']]);

    // An empty schema is migrated from V1, no baseline; nor once the history table exists.
    const empty = await pg.createDatabase('fb_on_migrate_empty');
    const fresh = optionsFor(project, pg.url(empty));
    const first = await up({ ...fresh, to: '1' });
    assert.ok(first.ok, explain(first));
    assert.equal(first.baseline, undefined);
    const rest = await up(fresh);
    assert.ok(rest.ok, explain(rest));
    assert.equal(rest.baseline, undefined);
    assert.deepEqual((await history(empty)).map((r) => [r.r, r.version, r.type]), [[1, '1', 'SQL'], [2, '2', 'SQL'], [3, '3', 'SQL'], [4, '4', 'SQL'], [5, '5', 'SQL']]);
  });
});

describe('Flyway migrate on a schema made by other means', () => {
  it('without baselineOnMigrate, up on a non-empty schema with no history table is refused as Flyway refuses it, creating nothing; zdm baseline then works', async () => {
    const db = await pg.createDatabase('fb_refuse');
    await pg.query('CREATE TABLE a (id int)', [], db);
    const project = createProject(fiveMigrations(), { migrationsDir: 'db/migration' });
    const options = optionsFor(project, pg.url(db));
    const ran = await up(options);
    assert.equal(ran.ok, false);
    assert.match(ran.error?.message ?? '', /^Found non-empty schema\(s\) "public" but no schema history table\. Use baseline\(\) or set baselineOnMigrate to true/);
    assert.match(ran.error?.message ?? '', /zdm baseline --version V/);
    assert.deepEqual(ran.steps, []);
    // Nothing ran, and no history table was left behind for a later baseline to trip on.
    assert.deepEqual(await pg.query("SELECT to_regclass('flyway_schema_history') AS t", [], db), [{ t: null }]);
    const based = await baseline({ ...options, version: '1' });
    assert.ok(based.ok, explain(based));
    const rest = await up(options);
    assert.ok(rest.ok, explain(rest));
    assert.deepEqual(rest.steps.map((s) => s.version), ['2', '3', '4', '5']);
    // --log-only records without running: Flyway's skipExecutingMigrations does not refuse either.
    const other = await pg.createDatabase('fb_refuse_log_only');
    await pg.query('CREATE TABLE a (id int)', [], other);
    const logged = await up({ ...optionsFor(project, pg.url(other)), logOnly: true, to: '1' });
    assert.ok(logged.ok, explain(logged));
  });

  it('counts what Flyway counts: a schema holding only a materialized view is empty, and up runs', async () => {
    const db = await pg.createDatabase('fb_empty_enough');
    await pg.query('CREATE MATERIALIZED VIEW mv AS SELECT 1 AS x', [], db);
    const project = createProject(fiveMigrations(), { migrationsDir: 'db/migration' });
    const ran = await up({ ...optionsFor(project, pg.url(db)), to: '1' });
    assert.ok(ran.ok, explain(ran));
    assert.deepEqual(ran.steps.map((s) => s.version), ['1']);
  });

  it('looks at every schema Flyway manages (flyway.schemas, or a flyway.toml list): a populated second schema is enough', async () => {
    for (const [name, config] of [
      ['conf', { 'flyway.conf': 'flyway.schemas=app,audit\n' }],
      ['toml', { 'flyway.toml': '[flyway]\nschemas = ["app", "audit"]\n' }],
      // Flyway 10: `schemas` belongs to the environment flyway.environment names ("default" unless set).
      ['toml-env', { 'flyway.toml': '[environments.dev]\nurl = "jdbc:postgresql://localhost/app"\nschemas = ["app", "audit"]\n\n[environments.default]\nschemas = ["other"]\n\n[flyway]\nenvironment = "dev"\n' }],
      ['toml-default-env', { 'flyway.toml': '[environments.default]\nschemas = [\n  "app",\n  "audit",\n]\n' }],
      ['toml-lines', { 'flyway.toml': '[flyway]\nschemas = [\n  "app", # where the history goes\n  \'audit\',\n]\ntable = "flyway_schema_history"\n' }],
    ] as const) {
      const db = await pg.createDatabase(`fb_schemas_${name}`);
      await pg.query('CREATE SCHEMA audit; CREATE TABLE audit.log (id int)', [], db);
      const project = createProject({ ...fiveMigrations(), ...config }, { migrationsDir: 'db/migration' });
      const ran = await up(optionsFor(project, pg.url(db)));
      assert.equal(ran.ok, false, name);
      assert.match(ran.error?.message ?? '', /^Found non-empty schema\(s\) "audit" but no schema history table/, name);
      // The history table goes in the first schema, app, as Flyway puts it.
      const based = await baseline({ ...optionsFor(project, pg.url(db)), version: '5' });
      assert.ok(based.ok, `${name}: ${explain(based)}`);
      // Flyway's rank-0 row for the schema it created, then the baseline.
      assert.deepEqual(await history(db, '"app"."flyway_schema_history"').then((rows) => rows.map((r) => [r.r, r.version, r.type])), [[0, null, 'SCHEMA'], [1, '5', 'BASELINE']], name);
    }
  });

  it("honours the selected environment's [environments.NAME.flyway] overrides: baselines and migrates into its history table, not [flyway]'s", async () => {
    const db = await pg.createDatabase('fb_toml_env_override');
    await pg.query('CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TABLE c (id int)', [], db);
    const toml = [
      '[environments.dev]',
      'url = "jdbc:postgresql://localhost/app"',
      '[environments.dev.flyway]',
      'table = "dev_history"',
      'baselineOnMigrate = true',
      'baselineVersion = "3"',
      '[environments.prod.flyway]',
      'table = "prod_history"',
      '[flyway]',
      'environment = "dev"',
      'table = "flyway_schema_history"',
      '',
    ].join('\n');
    const project = createProject({ ...fiveMigrations(), 'flyway.toml': toml }, { migrationsDir: 'db/migration' });
    const ran = await up(optionsFor(project, pg.url(db)));
    assert.ok(ran.ok, explain(ran));
    assert.deepEqual(ran.steps.map((s) => s.version), ['4', '5']);
    assert.deepEqual((await history(db, 'dev_history')).map((r) => [r.r, r.version, r.type]), [[1, '3', 'BASELINE'], [2, '4', 'SQL'], [3, '5', 'SQL']]);
    const [{ tables }] = await pg.query<{ tables: string }>("SELECT string_agg(tablename, ',' ORDER BY tablename) AS tables FROM pg_tables WHERE tablename LIKE '%history'", [], db);
    assert.equal(tables, 'dev_history');
  });
});
