// Failures: a migration failing in the middle leaves the schema and the bookkeeping exactly as before
// it; database errors are placed at the file's line and column; sections that cannot run in a
// transaction (CREATE INDEX CONCURRENTLY) are sent statement by statement and leave a clear record.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyStep } from '../../server/src/engine/runner/apply';
import { loadProject, rollback, status, up } from '../../server/src/engine/runner/commands';
import { withClient } from '../../server/src/engine/runner/db';
import { trackerFor, zdmTable } from '../../server/src/engine/runner/tracking/index';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, explain, gooseFile, optionsFor, rowsOf, schemaOf } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

/** The versions goose's table records as applied (its first row, version 0, left out). */
async function gooseVersions(db: string): Promise<string[]> {
  const rows = await pg.query<{ version_id: string }>('SELECT version_id FROM goose_db_version WHERE version_id <> 0 AND is_applied ORDER BY id', [], db);
  return rows.map((r) => String(r.version_id));
}

async function bookkeeping(db: string, tables: string[]): Promise<string[][]> {
  return Promise.all(tables.map((t) => rowsOf(pg, db, t)));
}

describe('a migration failing in the middle', () => {
  it('dbmate: leaves schema and bookkeeping exactly as before it, and maps the error to the file', async () => {
    const db = await pg.createDatabase('fail_mid');
    const project = createProject({
      'db/migrations/20240101000000_users.sql': dbmateFile('CREATE TABLE users (id bigint PRIMARY KEY);', 'DROP TABLE users;'),
      'db/migrations/20240102000000_broken.sql': dbmateFile(
        'CREATE TABLE profiles (id bigint PRIMARY KEY);\nCREATE INDEX profiles_id_idx ON profiles (id);\nINSERT INTO  no_such_table (id) VALUES (1);\nCREATE TABLE never (id int);',
        'DROP TABLE profiles;',
      ),
      'db/migrations/20240103000000_later.sql': dbmateFile('CREATE TABLE later (id int);', 'DROP TABLE later;'),
    });
    const options = optionsFor(project, pg.url(db));
    await up({ ...options, to: '20240101000000' });
    const schemaBefore = await schemaOf(pg, db);
    const rowsBefore = await bookkeeping(db, ['schema_migrations', 'zdm_migrations']);

    const result = await up(options);
    assert.equal(result.ok, false);
    assert.deepEqual(result.steps.map((s) => [s.version, s.ok]), [['20240102000000', false]], 'the later migration never runs');
    const error = result.error!;
    assert.equal(error.code, '42P01');
    assert.match(error.message, /no_such_table/);
    assert.equal(error.file, project.file('db/migrations/20240102000000_broken.sql'));
    assert.deepEqual([error.line, error.column, error.endLine, error.endColumn], [4, 14, 4, 27], 'the position of no_such_table on line 4');
    assert.equal(error.statement, 3);
    assert.equal(error.section, 'up');
    assert.equal(error.exact, true);
    assert.equal(error.committed, undefined, 'one transaction: nothing was committed');
    assert.deepEqual(result.steps[0].statements.map((s) => [s.line, s.ok]), [[2, true], [3, true], [4, false]]);

    assert.deepEqual(await schemaOf(pg, db), schemaBefore, 'schema as before the failing migration');
    assert.deepEqual(await bookkeeping(db, ['schema_migrations', 'zdm_migrations']), rowsBefore, 'bookkeeping as before');
    const after = await status(options);
    assert.deepEqual(after.status!.map((s) => s.state), ['applied', 'pending', 'pending']);
  });

  it('golang-migrate: the version stays where it was and is not dirty', async () => {
    const db = await pg.createDatabase('fail_golang');
    const project = createProject(
      {
        'migrations/000001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY);\n',
        'migrations/000001_users.down.sql': 'DROP TABLE users;\n',
        'migrations/000002_broken.up.sql': 'CREATE TABLE profiles (id bigint);\nINSERT INTO profiles VALUES (1), (1);\nCREATE UNIQUE INDEX profiles_id ON profiles (id);\n',
        'migrations/000002_broken.down.sql': 'DROP TABLE profiles;\n',
      },
      { migrationsDir: 'migrations' },
    );
    const options = optionsFor(project, pg.url(db));
    await up({ ...options, to: '1' });
    const schemaBefore = await schemaOf(pg, db);
    const result = await up(options);
    assert.equal(result.ok, false);
    assert.equal(result.error!.code, '23505');
    assert.equal(result.error!.line, 3);
    assert.deepEqual(await schemaOf(pg, db), schemaBefore);
    assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), [JSON.stringify({ version: '1', dirty: false })]);
  });

  it('maps positions past multi-byte characters to UTF-16 columns, and errors inside function bodies', async () => {
    const db = await pg.createDatabase('fail_positions');
    const project = createProject({
      'db/migrations/20240101000000_emoji.sql': dbmateFile("CREATE VIEW greeting AS\n  SELECT 'héllo 😀' || no_such_column AS text;", 'DROP VIEW greeting;'),
      'db/migrations/20240102000000_block.sql': dbmateFile('DO $$\nBEGIN\n  PERFORM   missing_column;\nEND\n$$;', 'SELECT 1;'),
    });
    const options = optionsFor(project, pg.url(db));
    let result = await up(options);
    assert.equal(result.ok, false);
    // 'héllo 😀' holds a surrogate pair: PostgreSQL counts it as one character, an editor as two.
    const line = "  SELECT 'héllo 😀' || no_such_column AS text;";
    assert.deepEqual([result.error!.line, result.error!.column], [3, line.indexOf('no_such_column') + 1]);
    assert.equal(result.error!.endColumn, line.indexOf('no_such_column') + 1 + 'no_such_column'.length);

    project.remove('db/migrations/20240101000000_emoji.sql');
    result = await up(options);
    assert.equal(result.ok, false);
    assert.match(result.error!.message, /missing_column/);
    assert.deepEqual([result.error!.line, result.error!.column], [4, 13], 'the PERFORM inside the DO block');
    assert.match(result.error!.where ?? '', /PL\/pgSQL/);
  });

  it('points at the statement when PostgreSQL gives no position', async () => {
    const db = await pg.createDatabase('fail_noposition');
    const project = createProject({ 'db/migrations/20240101000000_div.sql': dbmateFile('CREATE TABLE t (n int);\n\nINSERT INTO t\n  SELECT 1 / 0;', 'DROP TABLE t;') });
    const result = await up(optionsFor(project, pg.url(db)));
    assert.equal(result.error!.code, '22012');
    assert.deepEqual([result.error!.line, result.error!.column, result.error!.endLine, result.error!.exact], [4, 1, 5, false]);
  });
});

describe('one round trip per transactional section', () => {
  it('a syntax error in a later statement: nothing ran, and the error is at its position', async () => {
    const db = await pg.createDatabase('fail_syntax');
    const project = createProject({ 'db/migrations/20240101000000_a.sql': dbmateFile('CREATE TABLE a (id int);\nCREATE TABLE b (id int;\nCREATE TABLE c (id int);', 'SELECT 1;') });
    const result = await up(optionsFor(project, pg.url(db)));
    assert.equal(result.error!.code, '42601');
    assert.deepEqual([result.error!.line, result.error!.column, result.error!.statement], [3, 23, 2]);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), []);
  });

  it('sent together or one statement at a time, a failure is reported the same way', async () => {
    const db = await pg.createDatabase('fail_modes');
    const project = createProject({
      'db/migrations/20240101000000_a.sql': dbmateFile("CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES ('x');\nCREATE TABLE never (id int);", 'DROP TABLE a;'),
    });
    const { loadedMigrations } = await loadProject({ cwd: project.root });
    const migration = loadedMigrations.migrations[0];
    const outcomes = await withClient(pg.url(db), async (session) => {
      const tracker = trackerFor('dbmate', undefined);
      const zdm = zdmTable(undefined);
      await tracker.ensure(session);
      await zdm.ensure(session);
      const results = [];
      for (const batch of [true, false]) {
        const ctx = { session, tracker, zdm, timeouts: {}, emit: () => undefined, redact: (t: string) => t, batch };
        results.push(await applyStep(ctx, { direction: 'up', migration }));
      }
      return results;
    });
    const [together, oneByOne] = outcomes;
    assert.equal(together.ok, false);
    assert.deepEqual(together.error, oneByOne.error);
    assert.deepEqual([together.error!.line, together.error!.column, together.error!.statement], [4, 23, 3]);
    assert.deepEqual(together.statements.map((s) => [s.number, s.ok]), oneByOne.statements.map((s) => [s.number, s.ok]));
    assert.ok(oneByOne.statements.every((s) => s.durationMs >= 0));
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), []);
  });
});

describe('sections that cannot run in a transaction', () => {
  it('sends CREATE INDEX CONCURRENTLY alone (dbmate transaction:false, goose NO TRANSACTION, a golang-migrate single statement)', async () => {
    const db = await pg.createDatabase('concurrently');
    const project = createProject({
      'db/migrations/20240101000000_events.sql': dbmateFile('CREATE TABLE events (id bigint PRIMARY KEY, kind text);', 'DROP TABLE events;'),
      'db/migrations/20240102000000_events_kind.sql': dbmateFile('CREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);', 'DROP INDEX CONCURRENTLY events_kind_idx;', { upTransaction: false, downTransaction: false }),
    });
    const options = optionsFor(project, pg.url(db), { yes: true });
    let result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.mode), ['transaction', 'statements']);
    assert.match(result.steps[1].modeReason, /transaction:false/);
    const indexes = await pg.query<{ indexname: string; valid: boolean }>(
      "SELECT indexname, i.indisvalid AS valid FROM pg_indexes JOIN pg_index i ON i.indexrelid = (schemaname || '.' || indexname)::regclass WHERE tablename = 'events' ORDER BY 1",
      [],
      db,
    );
    assert.deepEqual(indexes.map((i) => [i.indexname, i.valid]), [['events_kind_idx', true], ['events_pkey', true]]);
    result = await rollback(options);
    assert.ok(result.ok, explain(result));

    // dbmate sends a transaction:false block as one query string: with another statement in it, the
    // CREATE INDEX CONCURRENTLY fails as it does with dbmate, and nothing of the block is applied.
    const togetherDb = await pg.createDatabase('concurrently_together');
    const together = createProject({
      'db/migrations/20240101000000_events.sql': dbmateFile('CREATE TABLE events (id bigint PRIMARY KEY, kind text);', 'DROP TABLE events;'),
      'db/migrations/20240102000000_events_kind.sql': dbmateFile("SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);", 'DROP INDEX CONCURRENTLY events_kind_idx;', { upTransaction: false, downTransaction: false }),
    });
    result = await up(optionsFor(together, pg.url(togetherDb)));
    assert.equal(result.ok, false);
    assert.equal(result.error!.code, '25001');
    assert.deepEqual(await rowsOf(pg, togetherDb, 'schema_migrations'), [JSON.stringify({ version: '20240101000000' })]);

    const gooseDb = await pg.createDatabase('concurrently_goose');
    const goose = createProject(
      { 'migrations/00001_events.sql': '-- +goose NO TRANSACTION\n-- +goose Up\nCREATE TABLE events (id bigint, kind text);\nCREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);\n\n-- +goose Down\nDROP TABLE events;\n' },
      { migrationsDir: 'migrations' },
    );
    result = await up(optionsFor(goose, pg.url(gooseDb)));
    assert.ok(result.ok, explain(result));
    assert.equal(result.steps[0].mode, 'statements');

    const golangDb = await pg.createDatabase('concurrently_golang');
    const golang = createProject(
      {
        'migrations/000001_events.up.sql': 'CREATE TABLE events (id bigint, kind text);\n',
        'migrations/000001_events.down.sql': 'DROP TABLE events;\n',
        'migrations/000002_events_kind.up.sql': 'CREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);\n',
        'migrations/000002_events_kind.down.sql': 'DROP INDEX CONCURRENTLY events_kind_idx;\n',
      },
      { migrationsDir: 'migrations' },
    );
    result = await up(optionsFor(golang, pg.url(golangDb)));
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.mode), ['transaction', 'statements']);
    assert.deepEqual(await rowsOf(pg, golangDb, 'schema_migrations'), [JSON.stringify({ version: '2', dirty: false })]);
  });

  it('CONCURRENTLY inside a transactional section fails as PostgreSQL says, with a hint and nothing applied', async () => {
    const db = await pg.createDatabase('concurrently_in_tx');
    const project = createProject({ 'db/migrations/20240101000000_events.sql': dbmateFile('CREATE TABLE events (id bigint);\nCREATE INDEX CONCURRENTLY events_id_idx ON events (id);', 'DROP TABLE events;') });
    const result = await up(optionsFor(project, pg.url(db)));
    assert.equal(result.error!.code, '25001');
    assert.equal(result.error!.line, 3);
    assert.match(result.error!.hint ?? '', /add transaction:false to its "-- migrate:up" line/);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), []);
    // The hint speaks the migration's own format.
    const gooseDb = await pg.createDatabase('concurrently_in_tx_goose');
    const goose = createProject({ 'db/migrations/00001_events.sql': '-- +goose Up\nCREATE TABLE events (id bigint);\nCREATE INDEX CONCURRENTLY events_id_idx ON events (id);\n\n-- +goose Down\nDROP TABLE events;\n' });
    const gooseResult = await up(optionsFor(goose, pg.url(gooseDb)));
    assert.equal(gooseResult.error!.code, '25001');
    assert.match(gooseResult.error!.hint ?? '', /add "-- \+goose NO TRANSACTION" to the file/);
  });

  it('records which statement failed, keeps what was committed, and resumes there once fixed', async () => {
    const db = await pg.createDatabase('nontx_fail');
    // goose sends the statements of a NO TRANSACTION migration one at a time.
    const broken = gooseFile(
      'CREATE TABLE events (id bigint PRIMARY KEY, kind text);\nCREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);\nCREATE INDEX CONCURRENTLY events_bad_idx ON events (no_such_column);\nCREATE INDEX CONCURRENTLY events_id_kind_idx ON events (id, kind);',
      'DROP TABLE events;',
      { noTransaction: true },
    );
    const project = createProject({ 'db/migrations/20240101000000_events.sql': broken });
    const options = optionsFor(project, pg.url(db));
    let result = await up(options);
    assert.equal(result.ok, false);
    assert.equal(result.error!.statement, 3);
    assert.equal(result.error!.committed, 2);
    assert.equal(result.error!.line, 5);
    // Statements before the failure were committed: the table and its first index exist.
    assert.ok((await schemaOf(pg, db)).some((s) => s.startsWith('index events_kind_idx')));
    assert.deepEqual(await gooseVersions(db), [], 'goose records the version only when the migration completes');
    const [row] = await pg.query<{ state: string; failed_statement: number; statements_done: number; statements_total: number; error: string }>('SELECT * FROM zdm_migrations', [], db);
    assert.deepEqual([row.state, row.failed_statement, row.statements_done, row.statements_total], ['failed', 3, 2, 4]);
    assert.match(row.error, /no_such_column/);

    let st = await status(options);
    assert.equal(st.status![0].state, 'failed');
    assert.match(st.status![0].note ?? '', /failed at statement 3 of 4/);
    // zdm status --format json carries the same record, for tools.
    const { error: recorded, ...failure } = st.status![0].failure!;
    assert.deepEqual(failure, { direction: 'up', statement: 3, committed: 2, total: 4, interrupted: false });
    assert.match(recorded ?? '', /no_such_column/);

    project.write('db/migrations/20240101000000_events.sql', broken.replace('events_bad_idx ON events (no_such_column)', 'events_kind_desc_idx ON events (kind DESC)'));
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.equal(result.steps[0].resumedAt, 3);
    assert.deepEqual(result.steps[0].statements.map((s) => s.number), [3, 4]);
    assert.deepEqual(await gooseVersions(db), ['20240101000000']);
    st = await status(options);
    assert.equal(st.status![0].state, 'applied');
  });

  it('fixed, resumed, failing again further on and fixed again: resumes again, the statements the resumed run committed recorded as they ran', async () => {
    const db = await pg.createDatabase('nontx_fail_twice');
    const file = 'db/migrations/20240101000000_events.sql';
    const version = (second: string, third: string, more = '') => gooseFile(`CREATE TABLE events (id int);\n${second}\n${third}${more}`, 'DROP TABLE events;', { noTransaction: true });
    const project = createProject({ [file]: version('INSERT INTO no_such_table VALUES (1);', 'INSERT INTO other_missing_table VALUES (1);') });
    const options = optionsFor(project, pg.url(db));
    let result = await up(options);
    assert.equal(result.error?.statement, 2, explain(result));

    // The second statement fixed: the run resumes there, commits it, and fails at the third.
    project.write(file, version('INSERT INTO events VALUES (1);', 'INSERT INTO other_missing_table VALUES (1);'));
    result = await up(options);
    assert.equal(result.steps[0].resumedAt, 2, explain(result));
    assert.equal(result.error?.statement, 3, explain(result));
    assert.equal(result.error?.committed, 2);
    let st = await status(options);
    assert.match(st.status![0].note ?? '', /failed at statement 3 of 3; the statements before it were committed/);

    // The third fixed, and a fourth added: it resumes at the third (statement 2 ran as it is now,
    // not as it was written at the first attempt), and counts the fourth.
    project.write(file, version('INSERT INTO events VALUES (1);', 'INSERT INTO events VALUES (2);', '\nINSERT INTO events VALUES (3);'));
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.equal(result.steps[0].resumedAt, 3);
    assert.deepEqual(await rowsOf(pg, db, 'events'), ['{"id":1}', '{"id":2}', '{"id":3}'], 'each insert ran once');
    assert.deepEqual(await gooseVersions(db), ['20240101000000']);
    st = await status(options);
    assert.equal(st.status![0].state, 'applied');
  });

  it('a rollback that fails part way resumes at the failed statement once fixed, instead of running again the statements it committed', async () => {
    const db = await pg.createDatabase('nontx_down_fail');
    const file = 'db/migrations/20240101000000_events.sql';
    const down = (second: string) => `DROP INDEX CONCURRENTLY events_id_idx;\n${second}\nDROP TABLE events;`;
    const project = createProject({ [file]: gooseFile('CREATE TABLE events (id int);\nCREATE INDEX CONCURRENTLY events_id_idx ON events (id);', down('DROP TABLE no_such_table;'), { noTransaction: true }) });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    let result = await rollback({ ...options, yes: true });
    assert.equal(result.error?.statement, 2, explain(result));
    assert.equal(result.error?.section, 'down');
    assert.equal(result.error?.committed, 1);
    let st = await status(options);
    assert.equal(st.status![0].state, 'applied');
    assert.match(st.status![0].note ?? '', /a rollback failed at statement 2 of 3/);

    // Fixed: the rollback starts at statement 2 (DROP INDEX would fail: the index is gone), and completes.
    project.write(file, gooseFile('CREATE TABLE events (id int);\nCREATE INDEX CONCURRENTLY events_id_idx ON events (id);', down('DROP TABLE IF EXISTS no_such_table;'), { noTransaction: true }));
    result = await rollback({ ...options, yes: true });
    assert.ok(result.ok, explain(result));
    assert.equal(result.steps[0].resumedAt, 2);
    assert.deepEqual(result.steps[0].statements.map((s) => s.number), [2, 3]);
    assert.deepEqual(await gooseVersions(db), []);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), []);
    st = await status(options);
    assert.equal(st.status![0].state, 'pending');
  });

  it('a rollback that failed part way is not resumed once its down section has another number of statements: zdm cannot tell which ran', async () => {
    const db = await pg.createDatabase('nontx_down_changed');
    const file = 'db/migrations/20240101000000_events.sql';
    const upText = 'CREATE TABLE events (id int);\nCREATE INDEX CONCURRENTLY events_id_idx ON events (id);';
    const project = createProject({ [file]: gooseFile(upText, 'DROP INDEX CONCURRENTLY events_id_idx;\nDROP TABLE no_such_table;\nDROP TABLE events;', { noTransaction: true }) });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    assert.equal((await rollback({ ...options, yes: true })).error?.committed, 1);
    // The committed DROP INDEX taken out: resuming at statement 2 would skip DROP TABLE events.
    project.write(file, gooseFile(upText, 'DROP TABLE IF EXISTS no_such_table;\nDROP TABLE events;', { noTransaction: true }));
    const refused = await rollback({ ...options, yes: true });
    assert.equal(refused.ok, false);
    assert.deepEqual(refused.steps, []);
    assert.match(refused.error!.message, /statement 1 was committed \(of 3\); the down section has 2 statements now/);
    assert.deepEqual(await gooseVersions(db), ['20240101000000']);
  });

  it('a rollback that failed part way is not resumed once a statement it committed has changed (same count): resuming would skip the new text', async () => {
    const db = await pg.createDatabase('nontx_down_edited');
    const file = 'db/migrations/20240101000000_events.sql';
    const upText = 'CREATE TABLE events (id int);\nCREATE TABLE archive (id int);\nCREATE INDEX CONCURRENTLY events_id_idx ON events (id);';
    const project = createProject({ [file]: gooseFile(upText, 'DROP INDEX CONCURRENTLY events_id_idx;\nDROP TABLE no_such_table;\nDROP TABLE events;', { noTransaction: true }) });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    assert.equal((await rollback({ ...options, yes: true })).error?.committed, 1);
    // Statement 1 now drops another table: resuming at statement 2 would never run it.
    project.write(file, gooseFile(upText, 'DROP TABLE archive;\nDROP TABLE IF EXISTS no_such_table;\nDROP TABLE events;', { noTransaction: true }));
    const refused = await rollback({ ...options, yes: true });
    assert.equal(refused.ok, false);
    assert.deepEqual(refused.steps, []);
    assert.match(refused.error!.message, /an earlier rollback failed part way, and statement 1 was committed \(of 3\); statement 1 of the down section has changed since\. Resuming would skip the new text/);
    assert.deepEqual(await gooseVersions(db), ['20240101000000']);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), ['table archive(id integer)', 'table events(id integer)']);

    // Put back as it ran (only the failing statement fixed): resumed at statement 2.
    project.write(file, gooseFile(upText, 'DROP INDEX CONCURRENTLY events_id_idx;\nDROP TABLE IF EXISTS no_such_table;\nDROP TABLE events;', { noTransaction: true }));
    const resumed = await rollback({ ...options, yes: true });
    assert.ok(resumed.ok, explain(resumed));
    assert.equal(resumed.steps[0].resumedAt, 2);
  });

  it("a section that ends inside its own BEGIN fails, rolled back, instead of being reported applied and lost with the session", async () => {
    const db = await pg.createDatabase('open_begin');
    const open = dbmateFile("SET lock_timeout = '5s';\nBEGIN;\nCREATE TABLE nicknames (id bigint PRIMARY KEY);", 'DROP TABLE nicknames;', { upTransaction: false });
    const project = createProject({ 'db/migrations/20240101000000_nicknames.sql': open });
    const options = optionsFor(project, pg.url(db));
    let result = await up(options);
    assert.equal(result.ok, false, 'not reported applied');
    assert.match(result.error!.message, /ends inside the transaction that this BEGIN opens: no COMMIT follows it/);
    assert.equal(result.error!.statement, 2);
    assert.equal(result.error!.line, 3);
    assert.equal(result.error!.committed, 1, 'the SET before the BEGIN ran on its own');
    assert.ok(!(await schemaOf(pg, db)).some((s) => s.includes('nicknames')), 'what followed the BEGIN is rolled back');
    assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), [], "dbmate's table does not say it ran");
    const [row] = await pg.query<{ state: string; failed_statement: number }>('SELECT * FROM zdm_migrations', [], db);
    assert.deepEqual([row.state, row.failed_statement], ['failed', 2]);

    // With the COMMIT, the next run resumes at the BEGIN and the migration is applied.
    project.write('db/migrations/20240101000000_nicknames.sql', open.replace('(id bigint PRIMARY KEY);', '(id bigint PRIMARY KEY);\nCOMMIT;'));
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.equal(result.steps[0].resumedAt, 2);
    assert.ok((await schemaOf(pg, db)).some((s) => s.includes('nicknames')));
    assert.equal((await rowsOf(pg, db, 'schema_migrations')).length, 1);
  });

  it('goose NO TRANSACTION: a StatementBegin/End block is sent whole, as goose sends it, so it commits or fails as one', async () => {
    const db = await pg.createDatabase('goose_block');
    // The block's three statements travel as one query string: PostgreSQL runs them as one implicit
    // transaction, where CREATE INDEX CONCURRENTLY fails (25001) and takes the table with it.
    const broken = gooseFile(
      'CREATE TABLE audit (id bigint PRIMARY KEY);\n-- +goose StatementBegin\nCREATE TABLE events (id bigint PRIMARY KEY, kind text);\nINSERT INTO events VALUES (1, \'a\');\nCREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);\n-- +goose StatementEnd\nCREATE TABLE later (id int);',
      'DROP TABLE IF EXISTS later;\nDROP TABLE IF EXISTS events;\nDROP TABLE audit;',
      { noTransaction: true },
    );
    const project = createProject({ 'db/migrations/20240101000000_events.sql': broken });
    const options = optionsFor(project, pg.url(db));
    let result = await up(options);
    assert.equal(result.ok, false);
    assert.equal(result.error!.code, '25001');
    assert.equal(result.error!.statement, 4, 'the CONCURRENTLY statement');
    assert.equal(result.error!.committed, 1, 'only the statement before the block');
    assert.match(result.error!.hint ?? '', /goose sends a StatementBegin\/StatementEnd block as one query string \(statements 2-4\).*none of them was committed.*move it out of its StatementBegin\/StatementEnd block/);
    const tables = await pg.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname IN ('audit', 'events', 'later') ORDER BY 1", [], db);
    assert.deepEqual(tables.map((t) => t.relname), ['audit'], 'the block was rolled back whole');
    const [row] = await pg.query<{ failed_statement: number; statements_done: number }>('SELECT * FROM zdm_migrations', [], db);
    assert.deepEqual([row.failed_statement, row.statements_done], [2, 1], 'a resumed run starts at the block');

    // Fixed as the hint says: the index out of the block. The run resumes at the block, which now commits.
    project.write('db/migrations/20240101000000_events.sql', broken.replace("CREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);\n-- +goose StatementEnd", '-- +goose StatementEnd\nCREATE INDEX CONCURRENTLY events_kind_idx ON events (kind);'));
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.equal(result.steps[0].resumedAt, 2);
    assert.deepEqual(result.steps[0].statements.map((s) => [s.number, s.ok]), [[2, true], [3, true], [4, true], [5, true]]);
    assert.deepEqual(await gooseVersions(db), ['20240101000000']);
    assert.ok((await schemaOf(pg, db)).some((s) => s.startsWith('index events_kind_idx')));
  });

  it('goose: a function body outside a StatementBegin/End block, which goose would cut at its lines ending in `;`, is not run, and the error says where and what to do', async () => {
    const db = await pg.createDatabase('goose_cut_body');
    const fn = 'CREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;';
    const project = createProject({ 'db/migrations/20240101000000_touch.sql': gooseFile(`CREATE TABLE audit (id bigint PRIMARY KEY);\n${fn}`, 'DROP FUNCTION touch();\nDROP TABLE audit;') });
    const options = optionsFor(project, pg.url(db));
    let result = await up(options);
    assert.equal(result.ok, false);
    assert.match(result.error!.message, /^goose cuts this statement at the `;` that ends this line.*Nothing of it was run\.$/s);
    assert.equal(result.error!.line, 5, 'the line of `NEW.updated_at := now();`, where goose cuts');
    assert.equal(result.error!.statement, 2);
    const tables = await pg.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relname = 'audit'", [], db);
    assert.deepEqual(tables, [], 'not even the statement before it ran');
    assert.deepEqual(await gooseVersions(db), []);

    // Wrapped as goose asks, it runs.
    project.write('db/migrations/20240101000000_touch.sql', gooseFile(`CREATE TABLE audit (id bigint PRIMARY KEY);\n-- +goose StatementBegin\n${fn}\n-- +goose StatementEnd`, 'DROP FUNCTION touch();\nDROP TABLE audit;'));
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await gooseVersions(db), ['20240101000000']);
  });

  it('refuses to resume a partly applied migration whose committed statements were edited, and counts only what was committed', async () => {
    const db = await pg.createDatabase('nontx_edited_committed');
    const text = (second: string) => gooseFile(`CREATE TABLE tf1 (id int);\n${second}\nCREATE INDEX CONCURRENTLY tf_bad_idx ON tf1 (no_such_column);`, 'DROP TABLE tf2;\nDROP TABLE tf1;', { noTransaction: true });
    const project = createProject({ 'db/migrations/20240101000000_tf.sql': text('CREATE TABLE tf2 (id int);') });
    const options = optionsFor(project, pg.url(db));
    let result = await up(options);
    assert.equal(result.error!.committed, 2);
    project.write('db/migrations/20240101000000_tf.sql', text('CREATE TABLE tf2 (id bigint);').replace('(no_such_column)', '(id)'));
    result = await up(options);
    assert.equal(result.ok, false);
    assert.deepEqual(result.steps, [], 'nothing ran');
    assert.match(result.error!.message, /statements 1-2 were committed by an earlier attempt, and statement 2 has changed since/);
    // Put back as it ran, it resumes at statement 3.
    project.write('db/migrations/20240101000000_tf.sql', text('CREATE TABLE tf2 (id int);').replace('(no_such_column)', '(id)'));
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.equal(result.steps[0].resumedAt, 3);

    // Inside the file's own BEGIN ... COMMIT nothing is committed before the COMMIT.
    const own = await pg.createDatabase('nontx_own_begin');
    const begin = createProject({ 'db/migrations/20240101000000_own.sql': gooseFile('BEGIN;\nCREATE TABLE own1 (id int);\nALTER TABLE ownx ADD COLUMN y int;\nCOMMIT;', 'DROP TABLE own1;', { noTransaction: true }) });
    const failed = await up(optionsFor(begin, pg.url(own)));
    assert.equal(failed.error!.statement, 3);
    assert.equal(failed.error!.committed, 0);
    const [{ found }] = await pg.query<{ found: boolean }>("SELECT to_regclass('own1') IS NOT NULL AS found", [], own);
    assert.equal(found, false);
  });

  it('refuses to roll back what lies under a partly applied migration', async () => {
    const db = await pg.createDatabase('rollback_under_partial');
    const project = createProject({
      'db/migrations/20240101000000_users.sql': gooseFile('CREATE TABLE users (id bigint PRIMARY KEY);', 'DROP TABLE users;'),
      'db/migrations/20240102000000_events.sql': gooseFile('CREATE TABLE events (id bigint PRIMARY KEY);\nCREATE INDEX CONCURRENTLY events_bad_idx ON events (no_such_column);', 'DROP TABLE events;', { noTransaction: true }),
    });
    const options = optionsFor(project, pg.url(db));
    assert.equal((await up(options)).ok, false);
    const result = await rollback(options);
    assert.equal(result.ok, false);
    assert.deepEqual(result.steps, [], 'nothing ran');
    assert.match(result.error!.message, /Cannot roll back while db\/migrations\/20240102000000_events\.sql is partly applied \(failed at statement 2 of 2/);
    assert.deepEqual(await gooseVersions(db), ['20240101000000'], 'users stays applied');
    assert.ok((await schemaOf(pg, db)).some((s) => s.startsWith('table users')));
  });
});

describe('a migration that changes search_path', () => {
  // The bookkeeping after the migration's statements runs in the same session: it must still find the
  // tracking tables in the schema they were in, not in the one the migration switched to.
  for (const upTransaction of [true, false]) {
    it(`is applied and rolled back, its tables in the new schema and the bookkeeping where it was (${upTransaction ? 'one transaction' : 'transaction:false'})`, async () => {
      const db = await pg.createDatabase(`search_path_${upTransaction ? 'tx' : 'notx'}`);
      const project = createProject({
        'db/migrations/20240101000000_users.sql': dbmateFile('CREATE TABLE users (id bigint PRIMARY KEY);', 'DROP TABLE users;'),
        'db/migrations/20240102000000_app.sql': dbmateFile("CREATE SCHEMA app;\nSET search_path = app;\nCREATE TABLE in_app (id int);\nSELECT set_config('search_path', 'app', false);", 'DROP SCHEMA app CASCADE;', { upTransaction }),
      });
      const options = optionsFor(project, pg.url(db));
      const result = await up(options);
      assert.ok(result.ok, explain(result));
      assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), [JSON.stringify({ version: '20240101000000' }), JSON.stringify({ version: '20240102000000' })]);
      const [{ n }] = await pg.query<{ n: string }>('SELECT count(*) AS n FROM public.zdm_migrations', [], db);
      assert.equal(Number(n), 2);
      const [{ found }] = await pg.query<{ found: boolean }>("SELECT to_regclass('app.in_app') IS NOT NULL AS found", [], db);
      assert.equal(found, true, 'the migration made its table in its own schema');
      assert.deepEqual((await status(options)).status!.map((s) => s.state), ['applied', 'applied']);
      const back = await rollback({ ...options, yes: true });
      assert.ok(back.ok, explain(back));
      assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), [JSON.stringify({ version: '20240101000000' })]);
    });
  }
});

describe('procedures and DO blocks that COMMIT', () => {
  // A batched backfill: each batch commits, which PostgreSQL allows only outside a transaction block.
  const backfill = "DO $$\nDECLARE n bigint;\nBEGIN\n  LOOP\n    UPDATE items SET label = 'x' || id WHERE id IN (SELECT id FROM items WHERE label IS NULL LIMIT 2);\n    GET DIAGNOSTICS n = ROW_COUNT;\n    EXIT WHEN n = 0;\n    COMMIT;\n  END LOOP;\nEND $$;\n";
  const procedure =
    "CREATE TABLE items (id int PRIMARY KEY, label text);\nINSERT INTO items SELECT g, NULL FROM generate_series(1, 5) g;\nCREATE PROCEDURE label_items() LANGUAGE plpgsql AS $$\nBEGIN\n  UPDATE items SET label = 'p' || id WHERE id <= 2;\n  COMMIT;\n  UPDATE items SET label = 'p' || id WHERE label IS NULL;\n  COMMIT;\nEND $$;\n";

  it('golang-migrate: a file whose only statement is such a DO block or CALL is sent alone, as golang-migrate sends it', async () => {
    const db = await pg.createDatabase('commit_golang');
    const project = createProject(
      {
        'migrations/000001_items.up.sql': procedure,
        'migrations/000001_items.down.sql': 'DROP PROCEDURE label_items;\nDROP TABLE items;\n',
        'migrations/000002_backfill.up.sql': backfill,
        'migrations/000002_backfill.down.sql': 'UPDATE items SET label = NULL;\n',
        'migrations/000003_reset.up.sql': 'UPDATE items SET label = NULL;\n',
        'migrations/000003_reset.down.sql': 'SELECT 1;\n',
        'migrations/000004_call.up.sql': 'CALL label_items();\n',
        'migrations/000004_call.down.sql': 'UPDATE items SET label = NULL;\n',
      },
      { migrationsDir: 'migrations' },
    );
    const result = await up(optionsFor(project, pg.url(db)));
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.mode), ['transaction', 'statements', 'transaction', 'statements']);
    assert.match(result.steps[1].modeReason, /DO block that COMMITs/);
    assert.match(result.steps[3].modeReason, /CALL/);
    assert.deepEqual(await rowsOf(pg, db, 'items', 'label'), ['p1', 'p2', 'p3', 'p4', 'p5'].map((label) => JSON.stringify({ label })));
    assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), [JSON.stringify({ version: '4', dirty: false })]);
    const rows = await pg.query<{ version: string; state: string }>('SELECT version, state FROM zdm_migrations ORDER BY version', [], db);
    assert.deepEqual(rows.map((r) => [r.version, r.state]), [['1', 'applied'], ['2', 'applied'], ['3', 'applied'], ['4', 'applied']]);
  });

  it('with other statements in the file, or in a section the tool wraps in a transaction, it fails as it does with the tool, and nothing is applied', async () => {
    // golang-migrate sends two statements as one query string: one implicit transaction block.
    const golangDb = await pg.createDatabase('commit_golang_two');
    const golang = createProject(
      {
        'migrations/000001_items.up.sql': procedure,
        'migrations/000001_items.down.sql': 'DROP PROCEDURE label_items;\nDROP TABLE items;\n',
        'migrations/000002_backfill.up.sql': `SET lock_timeout = '5s';\n${backfill}`,
        'migrations/000002_backfill.down.sql': 'UPDATE items SET label = NULL;\n',
      },
      { migrationsDir: 'migrations' },
    );
    let result = await up(optionsFor(golang, pg.url(golangDb)));
    assert.equal(result.ok, false);
    assert.equal(result.steps[1].mode, 'transaction');
    assert.equal(result.error!.code, '2D000');
    assert.match(result.error!.hint ?? '', /outside a transaction block: make it the only statement of its file/);
    assert.deepEqual(await rowsOf(pg, golangDb, 'items', 'label'), Array(5).fill(JSON.stringify({ label: null })));
    assert.deepEqual(await rowsOf(pg, golangDb, 'schema_migrations'), [JSON.stringify({ version: '1', dirty: false })]);

    // dbmate wraps the block in a transaction; `transaction:false` is the way out.
    const dbmateDb = await pg.createDatabase('commit_dbmate');
    const dbmate = createProject({
      'db/migrations/20240101000000_items.sql': dbmateFile(procedure, 'DROP PROCEDURE label_items;\nDROP TABLE items;'),
      'db/migrations/20240102000000_call.sql': dbmateFile('CALL label_items();', 'UPDATE items SET label = NULL;'),
    });
    result = await up(optionsFor(dbmate, pg.url(dbmateDb)));
    assert.equal(result.ok, false);
    assert.equal(result.error!.code, '2D000');
    assert.match(result.error!.hint ?? '', /transaction:false/);
    assert.deepEqual(await rowsOf(pg, dbmateDb, 'schema_migrations'), [JSON.stringify({ version: '20240101000000' })]);
    dbmate.write('db/migrations/20240102000000_call.sql', dbmateFile('CALL label_items();', 'UPDATE items SET label = NULL;', { upTransaction: false }));
    result = await up(optionsFor(dbmate, pg.url(dbmateDb)));
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await rowsOf(pg, dbmateDb, 'items', 'label'), ['p1', 'p2', 'p3', 'p4', 'p5'].map((label) => JSON.stringify({ label })));
  });
});

describe('a down section with no statement', () => {
  it('rolls back as the tool does (nothing runs, the row goes) and warns that what the up did stays', async () => {
    const db = await pg.createDatabase('empty_down');
    const project = createProject({ 'db/migrations/20240101000000_c.sql': '-- migrate:up\nCREATE TABLE c (id int);\n\n-- migrate:down\n-- nothing to undo\n' });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    const result = await rollback(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), []);
    assert.equal(result.warnings.length, 1, result.warnings.join('\n'));
    assert.match(result.warnings[0], /20240101000000_c\.sql's down section has no statement: rolling it back runs nothing .* What its up did stays in the database, and the next zdm up runs it again/);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), ['table c(id integer)']);
  });
});

describe('a CREATE INDEX CONCURRENTLY that fails', () => {
  it('names the INVALID index it left behind, in the error the user sees first (not only when the retry fails with "already exists")', async () => {
    const db = await pg.createDatabase('cic_invalid');
    const project = createProject({
      'db/migrations/20240101000000_a.sql': dbmateFile('CREATE TABLE a (id int);\nINSERT INTO a VALUES (1), (1);', 'DROP TABLE a;'),
      'db/migrations/20240102000000_a_uq.sql': dbmateFile('CREATE UNIQUE INDEX CONCURRENTLY a_uq ON a (id);', 'DROP INDEX CONCURRENTLY a_uq;', { upTransaction: false, downTransaction: false }),
      'db/migrations/20240103000000_a_col.sql': dbmateFile('CREATE INDEX CONCURRENTLY a_bad ON a (no_such_column);', 'DROP INDEX CONCURRENTLY a_bad;', { upTransaction: false, downTransaction: false }),
    });
    const options = optionsFor(project, pg.url(db));
    const result = await up(options);
    assert.equal(result.error?.code, '23505', explain(result));
    assert.match(result.error?.hint ?? '', /left the index a_uq behind, INVALID: .* Drop it \(DROP INDEX CONCURRENTLY a_uq;\) before running the migration again/);
    const [index] = await pg.query<{ valid: boolean }>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'a_uq'::regclass", [], db);
    assert.equal(index.valid, false);

    // Done as the hint says, with the data fixed: the next up runs it; a failure that leaves no index says nothing of one.
    await pg.query('DROP INDEX CONCURRENTLY a_uq', [], db);
    await pg.query('DELETE FROM a WHERE ctid <> (SELECT min(ctid) FROM a)', [], db);
    const next = await up(options);
    assert.deepEqual(next.steps.map((s) => [s.version, s.ok]), [['20240102000000', true], ['20240103000000', false]], explain(next));
    assert.equal(next.error?.code, '42703');
    assert.doesNotMatch(next.error?.hint ?? '', /INVALID/);
  });
});

describe('a goose statement without its `;`', () => {
  it('is not run (goose stops at it: "unexpected unfinished SQL query"), and the error says where; with the `;` the migration runs', async () => {
    const db = await pg.createDatabase('goose_unfinished');
    const file = 'db/migrations/20240101000000_a.sql';
    const project = createProject({ [file]: gooseFile('CREATE TABLE a (id int);\nCREATE TABLE b (id int)', 'DROP TABLE b;\nDROP TABLE a;') });
    const options = optionsFor(project, pg.url(db));
    const result = await up(options);
    assert.equal(result.ok, false, explain(result));
    assert.match(result.error!.message, /goose never sends this statement: .* and this one has no `;`.* missing semicolon\?.* Nothing of it was run\./);
    assert.equal(result.error!.file, project.file(file));
    assert.deepEqual([result.error!.line, result.error!.statement], [3, 2]);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), [], 'not even the first statement ran');
    assert.deepEqual(await gooseVersions(db), []);

    project.write(file, gooseFile('CREATE TABLE a (id int);\nCREATE TABLE b (id int);', 'DROP TABLE b;\nDROP TABLE a;'));
    assert.ok((await up(options)).ok);
    assert.deepEqual(await gooseVersions(db), ['20240101000000']);
  });
});

describe("a section sent statement by statement that ran to its end but could not be recorded (the tool's table altered by hand)", () => {
  it('is recorded as failed after its last statement: once the table is repaired, the next run records it without running any statement again', async () => {
    const db = await pg.createDatabase('unrecorded');
    const first = 'db/migrations/20240101000000_a.sql';
    const project = createProject({ [first]: gooseFile('CREATE TABLE a (id int);', 'DROP TABLE a;') });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    // A column added by hand to goose's table, which its inserts (and zdm's) leave empty.
    await pg.query("ALTER TABLE goose_db_version ADD COLUMN note text NOT NULL DEFAULT 'x'", [], db);
    await pg.query('ALTER TABLE goose_db_version ALTER COLUMN note DROP DEFAULT', [], db);
    project.write('db/migrations/20240102000000_b.sql', gooseFile('CREATE TABLE b (id int);\nCREATE TABLE c (id int);', 'DROP TABLE c;\nDROP TABLE b;', { noTransaction: true }));
    const failed = await up(options);
    assert.equal(failed.ok, false);
    assert.match(failed.error!.message, /null value in column "note"/);
    assert.deepEqual(failed.steps[0].statements.map((s) => [s.number, s.ok]), [[1, true], [2, true]]);
    const st = await status(options);
    assert.equal(st.status![1].state, 'failed');
    assert.match(st.status![1].note ?? '', /all 2 of its statements were committed, but recording it failed/);

    await pg.query('ALTER TABLE goose_db_version DROP COLUMN note', [], db);
    const again = await up(options);
    assert.ok(again.ok, explain(again));
    assert.deepEqual(again.steps[0].statements, [], 'no statement ran again');
    assert.deepEqual(await gooseVersions(db), ['20240101000000', '20240102000000']);
    assert.equal((await status(options)).status![1].state, 'applied');
  });
});

describe('a section sent statement by statement, interrupted between statements (Ctrl-C)', () => {
  it('sends no further statement; recorded as failed where it stopped, or not at all when nothing of it ran (no Flyway failure row then)', async () => {
    const db = await pg.createDatabase('interrupted_between');
    const project = createProject(
      { 'db/migration/V1__a.sql': 'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n', 'db/migration/V1__a.sql.conf': 'executeInTransaction=false\n' },
      { migrationsDir: 'db/migration' },
    );
    const { loadedMigrations } = await loadProject({ cwd: project.root });
    const migration = loadedMigrations.migrations[0];
    const tracker = trackerFor('flyway', undefined);
    const zdm = zdmTable(undefined);
    const history = () => rowsOf(pg, db, 'flyway_schema_history', 'version, success');
    await withClient(pg.url(db), async (session) => {
      await tracker.ensure(session);
      await zdm.ensure(session);
      let stopAfter = 0;
      let sent = 0;
      const ctx = { session, tracker, zdm, timeouts: {}, emit: (e: { type: string }) => void (e.type === 'statement' && sent++), redact: (t: string) => t, interrupted: () => sent >= stopAfter };
      // Asked to stop before its first statement: nothing ran, nothing is recorded.
      let result = await applyStep(ctx, { direction: 'up', migration });
      assert.equal(result.ok, false);
      assert.equal(result.error?.interrupted, true);
      assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), []);
      assert.deepEqual(await rowsOf(pg, db, 'zdm_migrations'), []);
      assert.deepEqual(await history(), []);
      // Asked to stop after the first: the second is not sent; failed at statement 2, as Flyway records a failure.
      stopAfter = 1;
      result = await applyStep(ctx, { direction: 'up', migration });
      assert.match(result.error?.message ?? '', /Interrupted before statement 2 of 2 ran/);
      assert.equal(result.error?.committed, 1);
      assert.deepEqual(await schemaOf(pg, db, { userOnly: true }), ['table a(id integer)']);
      assert.deepEqual(await rowsOf(pg, db, 'zdm_migrations', 'state, statements_done, failed_statement'), ['{"state":"failed","statements_done":1,"failed_statement":2}']);
      assert.deepEqual(await history(), ['{"version":"1","success":false}']);
    });
  });
});

describe('a role that may not create the tracking tables', () => {
  it('is told which step failed (creating the tracking tables), not only "permission denied for schema public"', async () => {
    const db = await pg.createDatabase('no_create');
    const role = `zdm_reader_${db.replace(/\W/g, '_')}`.slice(0, 60);
    await pg.query(`CREATE ROLE ${role} LOGIN PASSWORD 'reader_pw'`, [], db);
    await pg.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`, [], db);
    const url = new URL(pg.url(db));
    url.username = role;
    url.password = 'reader_pw';
    const project = createProject({ 'db/migrations/20240101000000_a.sql': dbmateFile('CREATE TABLE a (id int);', 'DROP TABLE a;') });
    const result = await up(optionsFor(project, url.toString()));
    assert.equal(result.ok, false, explain(result));
    assert.equal(result.error?.code, '42501');
    assert.match(result.error!.message, /^Cannot create the tracking tables \("public"\."schema_migrations" and "public"\."zdm_migrations"\) that record what is applied: permission denied for schema public\. Nothing was run\.$/);
    assert.deepEqual(result.steps, []);
    await pg.query(`DROP OWNED BY ${role}`, [], db);
    await pg.query(`DROP ROLE ${role}`, [], db);
  });
});
