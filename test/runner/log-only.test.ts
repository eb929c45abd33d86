// `zdm up --log-only` and `zdm rollback --log-only`: the planned migrations are recorded in the tool's
// tracking table (and zdm_migrations) exactly as a run records them, and none of their statements runs
// (as `sqitch deploy --log-only`, Liquibase `changelog-sync`, `migrate force`). Compared, per tool, with
// the rows a normal run writes on another database.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rollback, up } from '../../server/src/engine/runner/commands';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, explain, gooseFile, optionsFor, rowsOf, schemaOf, zdm } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

const A = { up: 'CREATE TABLE authors (id int PRIMARY KEY);', down: 'DROP TABLE authors;' };
const B = { up: 'CREATE TABLE books (id int PRIMARY KEY, author_id int REFERENCES authors(id));', down: 'DROP TABLE books;' };
const C = { up: 'CREATE INDEX books_author ON books (author_id);', down: 'DROP INDEX books_author;' };

interface Case {
  format: string;
  files: Record<string, string>;
  versions: string[];
  /** The tool's tracking table, without what depends on when it ran. */
  tracking: string;
  columns: string;
}

const CASES: Case[] = [
  {
    format: 'dbmate',
    files: {
      'db/migrations/20240101000000_authors.sql': dbmateFile(A.up, A.down),
      'db/migrations/20240102000000_books.sql': dbmateFile(B.up, B.down),
      'db/migrations/20240103000000_books_index.sql': dbmateFile(C.up, C.down),
    },
    versions: ['20240101000000', '20240102000000', '20240103000000'],
    tracking: 'schema_migrations',
    columns: 'version',
  },
  {
    format: 'goose',
    files: {
      'db/migrations/00001_authors.sql': gooseFile(A.up, A.down),
      'db/migrations/00002_books.sql': gooseFile(B.up, B.down),
      'db/migrations/00003_books_index.sql': gooseFile(C.up, C.down, { noTransaction: true }),
    },
    versions: ['00001', '00002', '00003'],
    tracking: 'goose_db_version',
    columns: 'id, version_id, is_applied',
  },
  {
    format: 'golang-migrate',
    files: {
      'db/migrations/000001_authors.up.sql': A.up,
      'db/migrations/000001_authors.down.sql': A.down,
      'db/migrations/000002_books.up.sql': B.up,
      'db/migrations/000002_books.down.sql': B.down,
      'db/migrations/000003_books_index.up.sql': C.up,
      'db/migrations/000003_books_index.down.sql': C.down,
    },
    versions: ['000001', '000002', '000003'],
    tracking: 'schema_migrations',
    columns: 'version, dirty',
  },
];

/** zdm_migrations without its times. */
const ZDM_COLUMNS = 'version, file, format, checksum, statements, state, direction, statements_total, statements_done, failed_statement, error';

async function records(db: string, c: Case): Promise<{ tool: string[]; zdm: string[] }> {
  return { tool: await rowsOf(pg, db, c.tracking, c.columns), zdm: await rowsOf(pg, db, 'zdm_migrations', ZDM_COLUMNS) };
}

describe('zdm up --log-only', () => {
  for (const c of CASES) {
    it(`${c.format}: records the rows a run records, and runs no statement`, async () => {
      const project = createProject(c.files, { format: c.format });
      const [ran, logged] = [await pg.createDatabase(`lo_ran_${c.format.replace('-', '_')}`), await pg.createDatabase(`lo_log_${c.format.replace('-', '_')}`)];

      const normal = await up(optionsFor(project, pg.url(ran)));
      assert.ok(normal.ok, explain(normal));
      const options = optionsFor(project, pg.url(logged));
      const result = await up({ ...options, logOnly: true });
      assert.ok(result.ok, explain(result));
      assert.equal(result.logOnly, true);
      assert.deepEqual(result.steps.map((s) => [s.version, s.direction, s.ok, s.logOnly, s.statements.length]), c.versions.map((v) => [v, 'up', true, true, 0]));
      assert.ok(options.events.every((e) => e.type !== 'statement'), 'no statement event');

      assert.deepEqual(await schemaOf(pg, logged, { userOnly: true }), [], 'no table or index of the migrations was created');
      assert.deepEqual(await records(logged, c), await records(ran, c));
      assert.ok(result.status!.every((s) => s.state === 'applied'));

      // Nothing left to apply: a plain up runs nothing.
      const again = await up(options);
      assert.ok(again.ok, explain(again));
      assert.deepEqual(again.steps, []);
    });

    it(`${c.format}: a plain up after --log-only --to runs only what was not recorded; rollback --log-only removes records without running the down`, async () => {
      const project = createProject(c.files, { format: c.format });
      const db = await pg.createDatabase(`lo_to_${c.format.replace('-', '_')}`);
      // The first two made by hand (a restored dump).
      await pg.query(`${A.up} ${B.up}`, [], db);
      const options = optionsFor(project, pg.url(db));
      const logged = await up({ ...options, to: c.versions[1], logOnly: true });
      assert.ok(logged.ok, explain(logged));
      assert.deepEqual(logged.steps.map((s) => s.version), c.versions.slice(0, 2));

      const rest = await up(options);
      assert.ok(rest.ok, explain(rest));
      assert.deepEqual(rest.steps.map((s) => [s.version, s.logOnly]), [[c.versions[2], undefined]]);
      assert.ok(rest.steps[0].statements.length > 0, 'the third ran');
      const schema = await schemaOf(pg, db, { userOnly: true });
      assert.ok(schema.some((item) => item.startsWith('index books_author')), schema.join('\n'));

      const back = await rollback({ ...options, logOnly: true });
      assert.ok(back.ok, explain(back));
      assert.deepEqual(back.steps.map((s) => [s.version, s.direction, s.logOnly, s.statements.length]), [[c.versions[2], 'down', true, 0]]);
      assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), schema, 'the down did not run: the index is still there');
      assert.deepEqual(back.status!.map((s) => s.state), ['applied', 'applied', 'pending']);

      // The same records as a real rollback of the third leaves on a database where all three ran.
      const reference = await pg.createDatabase(`lo_ref_${c.format.replace('-', '_')}`);
      const refOptions = optionsFor(project, pg.url(reference));
      assert.ok((await up(refOptions)).ok);
      assert.ok((await rollback(refOptions)).ok);
      const ours = await records(db, c);
      const theirs = await records(reference, c);
      assert.deepEqual(ours.tool, theirs.tool);
      assert.deepEqual(ours.zdm, theirs.zdm);

      // Through the first: every record gone, every table still there.
      const all = await rollback({ ...options, through: c.versions[0], logOnly: true });
      assert.ok(all.ok, explain(all));
      assert.deepEqual(all.steps.map((s) => s.version), [c.versions[1], c.versions[0]]);
      assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), schema);
      assert.ok(all.status!.every((s) => s.state === 'pending'));
    });
  }

  it('Liquibase: the databasechangelog rows of an update (EXECTYPE EXECUTED), as changelog-sync writes them; the lock is released', async () => {
    const changelog = `--liquibase formatted sql\n\n--changeset alice:1\n${A.up}\n--rollback ${A.down}\n\n--changeset alice:2\n${B.up}\n--rollback ${B.down}\n`;
    const project = createProject({ 'db/changelog/001_library.sql': changelog });
    const [ran, logged] = [await pg.createDatabase('lo_lb_ran'), await pg.createDatabase('lo_lb_log')];
    assert.ok((await up(optionsFor(project, pg.url(ran)))).ok);
    const result = await up({ ...optionsFor(project, pg.url(logged)), logOnly: true });
    assert.ok(result.ok, explain(result));
    assert.deepEqual((await schemaOf(pg, logged, { userOnly: true })).filter((item) => !item.includes('databasechangelog')), []);
    const columns = 'id, author, filename, orderexecuted, exectype, md5sum, description, comments, tag, liquibase, contexts, labels';
    assert.deepEqual(await rowsOf(pg, logged, 'databasechangelog', columns), await rowsOf(pg, ran, 'databasechangelog', columns));
    assert.deepEqual((await rowsOf(pg, logged, 'databasechangelog', 'exectype')).map((r) => JSON.parse(r).exectype), ['EXECUTED', 'EXECUTED']);
    assert.deepEqual(await rowsOf(pg, logged, 'databasechangeloglock', 'locked'), ['{"locked":false}']);
  });

  it('Prisma: the row prisma migrate resolve --applied writes (logs empty, no steps counted, started_at = finished_at)', async () => {
    const project = createProject({ 'prisma/migrations/20240101000000_authors/migration.sql': A.up, 'prisma/migrations/20240102000000_books/migration.sql': B.up }, { format: 'prisma', migrationsDir: 'prisma/migrations' });
    const db = await pg.createDatabase('lo_prisma');
    const result = await up({ ...optionsFor(project, pg.url(db)), logOnly: true });
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), []);
    assert.deepEqual(await rowsOf(pg, db, '_prisma_migrations', "migration_name, logs, applied_steps_count, started_at = finished_at AS same, rolled_back_at IS NULL AS live, length(checksum) AS sha"), [
      '{"migration_name":"20240101000000_authors","logs":"","applied_steps_count":0,"same":true,"live":true,"sha":64}',
      '{"migration_name":"20240102000000_books","logs":"","applied_steps_count":0,"same":true,"live":true,"sha":64}',
    ]);
    assert.ok(result.status!.every((s) => s.state === 'applied'));
  });

  it('a goose migration older than the newest applied one is refused with --log-only too, as without it', async () => {
    const c = CASES[1];
    const project = createProject({ 'db/migrations/00001_authors.sql': c.files['db/migrations/00001_authors.sql'], 'db/migrations/00003_books_index.sql': gooseFile('SELECT 1;', 'SELECT 1;') }, { format: 'goose' });
    const db = await pg.createDatabase('lo_goose_late');
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up({ ...options, logOnly: true })).ok);
    project.write('db/migrations/00002_books.sql', c.files['db/migrations/00002_books.sql']);
    const refused = await up({ ...options, logOnly: true });
    assert.equal(refused.ok, false);
    assert.match(refused.error!.message, /--allow-missing/);
    assert.deepEqual(refused.steps, []);
  });

  it('needs --yes for a database that is not on this machine, as up does', async () => {
    const project = createProject(CASES[0].files, { format: 'dbmate' });
    const result = await up({ ...optionsFor(project, 'postgres://u:p@db.example.com:5432/app'), logOnly: true });
    assert.equal(result.needsConfirmation?.reason, 'remote-database');
    assert.deepEqual(result.steps, []);
  });

  it('the CLI: --log-only says each migration was recorded, not run; redo and status refuse it; help lists it', async () => {
    const project = createProject(CASES[0].files, { format: 'dbmate' });
    const db = await pg.createDatabase('lo_cli');
    const run = zdm(project, 'up', '--log-only', '--url', pg.url(db), '--no-color');
    assert.equal(run.code, 0, run.out + run.err);
    assert.match(run.out, /recording 3 migrations as applied, running none of their statements/);
    assert.equal(run.out.match(/✓ recorded as applied, not run/g)?.length, 3, run.out);
    assert.match(run.out, /Done: 3 migrations recorded as applied \(not run\)/);
    assert.doesNotMatch(run.out, /CREATE TABLE/);
    const back = zdm(project, 'rollback', '--log-only', '--url', pg.url(db), '--no-color');
    assert.equal(back.code, 0, back.out + back.err);
    assert.match(back.out, /✓ recorded as rolled back, not run/);
    assert.match(back.out, /1 migration recorded as rolled back \(not run\)/);
    assert.deepEqual(await rowsOf(pg, db, 'schema_migrations', 'version'), ['{"version":"20240101000000"}', '{"version":"20240102000000"}']);
    for (const command of ['redo', 'status']) {
      const refused = zdm(project, command, '--log-only', '--url', pg.url(db));
      assert.equal(refused.code, 2);
      assert.match(refused.err, /--log-only does not apply/);
    }
    assert.match(zdm(project, 'up', '--help').out, /--log-only/);
    assert.match(zdm(project, 'rollback', '--help').out, /--log-only/);
  });
});
