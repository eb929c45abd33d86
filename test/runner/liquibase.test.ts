// Liquibase formatted-SQL changelogs under zdm's runner (without the real Liquibase; the comparison
// with it is liquibase-compat.test.ts): each changeset a migration, in the order Liquibase runs them;
// databasechangelog and databasechangeloglock kept as Liquibase keeps them; what zdm cannot do as
// Liquibase does is refused at the changeset's line; a failing changeset is not recorded.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rollback, status, up } from '../../server/src/engine/runner/commands';
import { liquibaseChecksum, readLiquibaseChangelog } from '../../server/src/engine/runner/liquibase-changelog';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, explain, FAIL_ON_ERROR_CHANGELOG, formattedSql, optionsFor, rowsOf, schemaOf } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

const USERS = `--liquibase formatted sql

--changeset alice:1
CREATE TABLE users (id bigint PRIMARY KEY, email text);
--rollback DROP TABLE users;

--changeset alice:2 runInTransaction:false
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
--rollback DROP INDEX CONCURRENTLY users_email_idx;

--changeset bob:3
CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));
ALTER TABLE posts ADD COLUMN title text;
/* liquibase rollback
DROP TABLE posts;
*/
`;

async function changelogRows(db: string): Promise<{ id: string; author: string; filename: string; orderexecuted: number; exectype: string; md5sum: string }[]> {
  return pg.query('SELECT id, author, filename, orderexecuted, exectype, md5sum FROM databasechangelog ORDER BY orderexecuted', [], db);
}

describe('Liquibase checksums', () => {
  it('are the ones Liquibase 4.28 recorded for these changesets (version 9: whitespace left out)', () => {
    const changelog = readLiquibaseChangelog(USERS);
    assert.deepEqual(
      changelog.changesets.map((c) => [c.author, c.id, c.line, c.runInTransaction, c.hasRollback, c.checksum]),
      [
        ['alice', '1', 3, true, true, '9:e93dd7d4d2ba27e10bddc06201f248fc'],
        ['alice', '2', 7, false, true, '9:4d1eced5f5bba2ef803cc52f32879eda'],
        ['bob', '3', 11, true, true, '9:bbf7effecf0342a399079ea4a5d09e88'],
      ],
    );
    // The rollback block and --rollback lines are not the changeset's SQL; spacing and line endings do not count.
    assert.equal(changelog.changesets[2].sql, 'CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\nALTER TABLE posts ADD COLUMN title text;');
    assert.equal(liquibaseChecksum('CREATE TABLE users\r\n\t(id bigint PRIMARY KEY,email text);'), '9:e93dd7d4d2ba27e10bddc06201f248fc');
  });

  it('leave out --comment and --validCheckSum lines, and keep ordinary comments', () => {
    const [a, b] = readLiquibaseChangelog('--liquibase formatted sql\n--changeset x:1\n--comment: why\n--validCheckSum: ANY\nSELECT 1;\n--changeset x:2\n-- why\nSELECT 1;\n').changesets;
    assert.equal(a.sql, 'SELECT 1;');
    assert.equal(a.comments, 'why');
    assert.deepEqual(a.validCheckSums, ['ANY']);
    assert.equal(b.sql, '-- why\nSELECT 1;');
    assert.notEqual(a.checksum, b.checksum);
  });
});

describe('zdm runs Liquibase changelogs', () => {
  it('applies the changesets in the order Liquibase runs them, with its tables as Liquibase creates them', async () => {
    const db = await pg.createDatabase('lb_order');
    const project = createProject({
      'db/changelog/changelog.yaml': 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/changes/\n',
      'db/changelog/changes/b.sql': '--liquibase formatted sql\n--changeset a:b1\nCREATE TABLE b1 (id int);\n--rollback DROP TABLE b1;\n',
      'db/changelog/changes/a_x.sql': '--liquibase formatted sql\n--changeset a:ax\nCREATE TABLE ax (id int);\n--rollback DROP TABLE ax;\n',
      'db/changelog/changes/sub/c.sql': '--liquibase formatted sql\n--changeset a:c\nCREATE TABLE c (id int);\n--rollback DROP TABLE c;\n',
      'db/changelog/changes/a.sql':
        '--liquibase formatted sql\n--changeset a:a2 context:"dev, test" labels:"x, y"\n--comment: the second first\nCREATE TABLE a2 (id int);\n--rollback DROP TABLE a2;\n' +
        '--changeset a:oracle-only dbms:oracle\nCREATE TABLE never1 (id int);\n--changeset a:ignored ignore:true\nCREATE TABLE never2 (id int);\n--changeset a:a1\nCREATE TABLE a1 (id int);\n--rollback DROP TABLE a1;\n',
    });
    const options = optionsFor(project, pg.url(db), { yes: true });
    const result = await up(options);
    assert.ok(result.ok, explain(result));
    // Paths compared as strings (a.sql < a_x.sql < b.sql < sub/c.sql), changesets in file order; dbms:oracle and ignore:true left out.
    assert.deepEqual(
      (await changelogRows(db)).map((r) => [r.filename, r.id, r.orderexecuted, r.exectype]),
      [
        ['db/changelog/changes/a.sql', 'a2', 1, 'EXECUTED'],
        ['db/changelog/changes/a.sql', 'a1', 2, 'EXECUTED'],
        ['db/changelog/changes/a_x.sql', 'ax', 3, 'EXECUTED'],
        ['db/changelog/changes/b.sql', 'b1', 4, 'EXECUTED'],
        ['db/changelog/changes/sub/c.sql', 'c', 5, 'EXECUTED'],
      ],
    );
    const [first] = await pg.query("SELECT description, comments, contexts, labels, tag, liquibase, deployment_id FROM databasechangelog WHERE id = 'a2'", [], db);
    assert.deepEqual({ ...first, deployment_id: undefined }, { description: 'sql', comments: 'the second first', contexts: '(dev, test)', labels: 'x,y', tag: null, liquibase: 'zdm', deployment_id: undefined });
    assert.match(first.deployment_id, /^\d{10}$/);
    assert.deepEqual(await pg.query('SELECT DISTINCT deployment_id FROM databasechangelog', [], db), [{ deployment_id: first.deployment_id }]);
    assert.deepEqual(await schemaOf(pg, db, { userOnly: true }).then((s) => s.filter((x) => /^table (a|b|c|never)/.test(x))), [
      'table a1(id integer)',
      'table a2(id integer)',
      'table ax(id integer)',
      'table b1(id integer)',
      'table c(id integer)',
    ]);
    // The tables' shapes as Liquibase 4.28 creates them on PostgreSQL (read from a database it created).
    const columns = await pg.query<{ t: string; c: string; type: string; nullable: string }>(
      `SELECT table_name AS t, column_name AS c, format_type(a.atttypid, a.atttypmod) AS type, is_nullable AS nullable
         FROM information_schema.columns i JOIN pg_attribute a ON a.attrelid = to_regclass(i.table_name) AND a.attname = i.column_name
        WHERE table_name IN ('databasechangelog', 'databasechangeloglock') ORDER BY table_name, ordinal_position`,
      [],
      db,
    );
    assert.deepEqual(
      columns.map((r) => `${r.t}.${r.c} ${r.type}${r.nullable === 'NO' ? ' not null' : ''}`),
      [
        'databasechangelog.id character varying(255) not null',
        'databasechangelog.author character varying(255) not null',
        'databasechangelog.filename character varying(255) not null',
        'databasechangelog.dateexecuted timestamp without time zone not null',
        'databasechangelog.orderexecuted integer not null',
        'databasechangelog.exectype character varying(10) not null',
        'databasechangelog.md5sum character varying(35)',
        'databasechangelog.description character varying(255)',
        'databasechangelog.comments character varying(255)',
        'databasechangelog.tag character varying(255)',
        'databasechangelog.liquibase character varying(20)',
        'databasechangelog.contexts character varying(255)',
        'databasechangelog.labels character varying(255)',
        'databasechangelog.deployment_id character varying(10)',
        'databasechangeloglock.id integer not null',
        'databasechangeloglock.locked boolean not null',
        'databasechangeloglock.lockgranted timestamp without time zone',
        'databasechangeloglock.lockedby character varying(255)',
      ],
    );
    assert.deepEqual(await rowsOf(pg, db, 'databasechangeloglock'), ['{"id":1,"locked":false,"lockgranted":null,"lockedby":null}']);
    const st = await status(options);
    assert.deepEqual(st.status!.map((s) => [s.version, s.name, s.state]), [
      ['1', 'db/changelog/changes/a.sql::a2::a', 'applied'],
      ['2', 'db/changelog/changes/a.sql::a1::a', 'applied'],
      ['3', 'db/changelog/changes/a_x.sql::ax::a', 'applied'],
      ['4', 'db/changelog/changes/b.sql::b1::a', 'applied'],
      ['5', 'db/changelog/changes/sub/c.sql::c::a', 'applied'],
    ]);
  });

  it('rolls back with the --rollback SQL and deletes the row; a changeset without one is refused as Liquibase refuses it', async () => {
    const db = await pg.createDatabase('lb_rollback');
    const project = createProject({ 'db/changelog/001_users.sql': USERS + '\n--changeset carol:4\nCREATE TABLE audit (id int);\n\n--changeset carol:5\nCOMMENT ON TABLE users IS \'people\';\n--rollback empty\n' });
    const options = optionsFor(project, pg.url(db), { yes: true });
    assert.ok((await up(options)).ok);
    let result = await rollback(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => [s.name, s.statements.length]), [['db/changelog/001_users.sql::5::carol', 0]]);
    result = await rollback(options);
    assert.equal(result.ok, false);
    assert.match(result.error!.message, /Cannot roll back db\/changelog\/001_users\.sql::4::carol: the changeset has no --rollback, and Liquibase has no automatic rollback for SQL changes either/);
    // Roll back through changeset 3: nothing is done when one of them cannot be.
    assert.deepEqual((await changelogRows(db)).map((r) => r.id), ['1', '2', '3', '4']);
    // Changeset 4 removed from the file: it shows as applied but missing, and what is in the changelog rolls back.
    project.write('db/changelog/001_users.sql', USERS);
    const st = await status(options);
    assert.deepEqual(st.status!.filter((s) => s.state === 'missing').map((s) => s.version), ['db/changelog/001_users.sql::4::carol']);
    result = await rollback({ ...options, through: '2' });
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.name), ['db/changelog/001_users.sql::3::bob', 'db/changelog/001_users.sql::2::alice']);
    assert.deepEqual((await changelogRows(db)).map((r) => r.id), ['1', '4']);
    assert.deepEqual(await pg.query("SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY 1", [], db), [{ indexname: 'users_pkey' }]);
    assert.deepEqual(await pg.query("SELECT to_regclass('posts') AS t", [], db), [{ t: null }]);
  });

  it('rolls back in the reverse of the order changesets ran, as Liquibase does, not in changelog order', async () => {
    const db = await pg.createDatabase('lb_ran_order');
    const project = createProject({ 'db/changelog/002_users.sql': USERS });
    const options = optionsFor(project, pg.url(db), { yes: true });
    assert.ok((await up(options)).ok);
    // A changelog added later that sorts before the applied one: it runs last, so it is the first to roll back.
    project.write('db/changelog/001_tags.sql', '--liquibase formatted sql\n\n--changeset dan:1\nCREATE TABLE tags (id int);\n--rollback DROP TABLE tags;\n');
    let result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.name), ['db/changelog/001_tags.sql::1::dan']);
    result = await rollback(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.name), ['db/changelog/001_tags.sql::1::dan']);
    result = await rollback(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.name), ['db/changelog/002_users.sql::3::bob']);
    assert.deepEqual((await changelogRows(db)).map((r) => `${r.filename}::${r.id}`), ['db/changelog/002_users.sql::1', 'db/changelog/002_users.sql::2']);
  });

  it('a failing changeset is not recorded: in a transaction nothing of it stays; outside one, zdm records how far it got', async () => {
    const db = await pg.createDatabase('lb_fail');
    const project = createProject({
      'db/changelog/001.sql': USERS + '\n--changeset carol:4\nCREATE TABLE audit (id int);\nINSERT INTO no_such_table VALUES (1);\n--rollback DROP TABLE audit;\n',
    });
    const options = optionsFor(project, pg.url(db), { yes: true });
    let result = await up(options);
    assert.equal(result.ok, false);
    assert.match(result.error!.message, /no_such_table/);
    assert.equal(result.error!.line, 20);
    assert.deepEqual((await changelogRows(db)).map((r) => r.id), ['1', '2', '3']);
    assert.deepEqual(await pg.query("SELECT to_regclass('audit') AS t", [], db), [{ t: null }]);

    project.write('db/changelog/001.sql', USERS + '\n--changeset carol:4 runInTransaction:false\nCREATE TABLE audit (id int);\nINSERT INTO no_such_table VALUES (1);\n--rollback DROP TABLE audit;\n');
    result = await up(options);
    assert.equal(result.ok, false);
    assert.deepEqual((await changelogRows(db)).map((r) => r.id), ['1', '2', '3']);
    const st = await status(options);
    assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'applied', 'applied', 'failed']);
    assert.match(st.status![3].note!, /failed at statement 2 of 2; the statement before it was committed/);
    // The lock is released after a failure too.
    assert.deepEqual(await pg.query('SELECT locked FROM databasechangeloglock', [], db), [{ locked: false }]);
  });

  it('goes on past a failing failOnError:false changeset, as Liquibase does: rolled back, no row, a warning, pending and run again next time', async () => {
    const db = await pg.createDatabase('lb_fail_on_error');
    const changelog = FAIL_ON_ERROR_CHANGELOG;
    const project = createProject({ 'db/changelog/001.sql': changelog });
    const options = optionsFor(project, pg.url(db), { yes: true });
    let result = await up(options);
    const warnings = options.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => [s.name.replace(/.*::(\w+)::.*/, '$1'), s.ok, s.continued ?? false]), [['1', true, false], ['2', false, true], ['3', false, true], ['4', true, false]]);
    assert.match(result.steps[1].error!.message, /no_such_table/);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /001\.sql::2::carol failed and is not recorded; the run goes on.*failOnError:false.*no_such_table/);
    // Rows only for what ran, numbered without a gap, as Liquibase writes them (none for a FAILED changeset).
    assert.deepEqual((await changelogRows(db)).map((r) => [r.id, r.orderexecuted, r.exectype]), [['1', 1, 'EXECUTED'], ['4', 2, 'EXECUTED']]);
    // In its transaction nothing of changeset 2 stays; outside one (autocommit), its first statement does.
    assert.deepEqual(await pg.query("SELECT to_regclass('half_done')::text AS a, to_regclass('outside')::text AS b, to_regclass('after_it')::text AS c", [], db), [{ a: null, b: 'outside', c: 'after_it' }]);
    const st = await status(options);
    assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'pending', 'pending', 'applied']);
    assert.match(st.status![1].note!, /failOnError:false/);
    // The next run tries both again (Liquibase sees them as not ran).
    project.write('db/changelog/001.sql', changelog.replace('INSERT INTO no_such_table VALUES (1);', 'SELECT 1;'));
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => [s.name.replace(/.*::(\w+)::.*/, '$1'), s.ok]), [['2', true], ['3', false]]);
    assert.match(result.steps[1].error!.message, /"outside" already exists/);
    assert.deepEqual((await changelogRows(db)).map((r) => [r.id, r.orderexecuted]), [['1', 1], ['4', 2], ['2', 3]]);
    // Without failOnError:false the same failure stops the run, as before.
    project.write('db/changelog/001.sql', changelog.replace('INSERT INTO no_such_table VALUES (1);', 'SELECT 1;').replace('runInTransaction:false failOnError:false', 'runInTransaction:false'));
    result = await up(options);
    assert.equal(result.ok, false);
    assert.equal((await status(options)).status![2].state, 'failed');
  });

  it('refuses, at its line, a changeset whose precondition, executor or parameters Liquibase would use; left-out changesets stay out', async () => {
    const db = await pg.createDatabase('lb_refuse');
    const project = createProject({
      'db/changelog/001.sql':
        '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE one (id int);\n--rollback DROP TABLE one;\n' +
        '--changeset a:2\n--preconditions onFail:MARK_RAN\n--precondition-sql-check expectedResult:0 SELECT count(*) FROM one\nCREATE TABLE two (id int);\n',
    });
    const options = optionsFor(project, pg.url(db), { yes: true });
    let result = await up(options);
    assert.equal(result.ok, false);
    assert.deepEqual(result.steps.map((s) => [s.name, s.ok]), [['db/changelog/001.sql::1::a', true], ['db/changelog/001.sql::2::a', false]]);
    assert.match(result.error!.message, /Changeset a:2 says what to do when its precondition fails \(line 6: `--preconditions onFail:MARK_RAN`\): zdm checks preconditions only the way Liquibase does by default, stopping the run/);
    assert.equal(result.error!.line, 6);
    assert.deepEqual((await changelogRows(db)).map((r) => r.id), ['1']);
    assert.deepEqual(await pg.query("SELECT to_regclass('two') AS t", [], db), [{ t: null }]);
    const st = await status(options);
    assert.deepEqual(st.status!.map((s) => [s.state, s.note]), [['applied', undefined], ['pending', `zdm up stops here. ${result.error!.message.replace(/ Nothing of it was run\.$/, '')}`]]);

    project.write('db/changelog/001.sql', '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE one (id int);\n--rollback DROP TABLE one;\n--changeset a:3\nCREATE TABLE ${prefix}_three (id int);\n');
    result = await up(options);
    assert.equal(result.ok, false);
    assert.match(result.error!.message, /Changeset a:3 uses a changelog parameter: Liquibase replaces `\$\{name\}`/);
    assert.deepEqual([result.error!.line, result.error!.column], [6, 14]);

    project.write('db/changelog/001.sql', '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE one (id int);\n--rollback DROP TABLE one;\n--changeset a:4 runWith:psql\nCREATE TABLE four (id int);\n');
    result = await up(options);
    assert.equal(result.ok, false);
    assert.match(result.error!.message, /Changeset a:4 says runWith:psql: Liquibase runs it with another executor/);
    assert.deepEqual((await changelogRows(db)).map((r) => r.id), ['1']);

    project.write('db/changelog/001.sql', '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE one (id int);\n--changeset nobody\nSELECT 1;\n');
    result = await up(options);
    assert.match(result.usageError ?? '', /db\/changelog\/001\.sql:4: Liquibase cannot read this line as a changeset/);
  });

  it('selects changesets by the contexts and label filter liquibase.properties gives, as Liquibase does', async () => {
    const db = await pg.createDatabase('lb_contexts');
    const cs = (id: string, attributes = '') => `--changeset a:${id}${attributes}\nCREATE TABLE t${id} (id int);\n`;
    const project = createProject({
      'liquibase.properties': 'contexts: dev\nlabel-filter: core or (web and !legacy)\n',
      'db/changelog/001.sql': `--liquibase formatted sql\n${cs('1')}${cs('2', ' context:test')}${cs('3', ' context:"dev and !prod"')}${cs('4', ' labels:extra')}${cs('5', ' labels:"extra, core"')}${cs('6', ' context:DEV,test')}${cs('7', ' labels:web,legacy')}${cs('8', ' context:!dev')}`,
    });
    const options = optionsFor(project, pg.url(db), { yes: true });
    const result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual((await changelogRows(db)).map((r) => r.id), ['1', '3', '5', '6']);
    const [row] = await pg.query("SELECT contexts, labels FROM databasechangelog WHERE id = '6'", [], db);
    assert.deepEqual(row, { contexts: '(DEV,test)', labels: null });
    // A changeset the run leaves out (as the editor's CodeLens on its line names it) is refused with the
    // reason, not as a version no migration has.
    const skipped = await up({ ...options, to: project.file('db/changelog/001.sql') + '::2::a' });
    assert.equal(skipped.usageError, "Nothing to run to at changeset db/changelog/001.sql::2::a: this project's runs leave it out, as Liquibase does: its context `test` does not hold under the contexts the project's Liquibase settings give (`dev`).");
    const unlabelled = await rollback({ ...options, through: '7::a' });
    assert.match(unlabelled.usageError ?? '', /changeset db\/changelog\/001\.sql::7::a: .*its labels \(`web, legacy`\) do not pass the label filter .*\(`core or \(web and !legacy\)`\)/);
    assert.deepEqual((await changelogRows(db)).map((r) => r.id), ['1', '3', '5', '6']);
    // Without the settings, every changeset runs (Liquibase given no --contexts or --label-filter).
    project.remove('liquibase.properties');
    const st = await status(options);
    assert.deepEqual(st.status!.map((s) => [s.name!.replace(/.*::(\w+)::a$/, '$1'), s.state]), [['1', 'applied'], ['2', 'pending'], ['3', 'applied'], ['4', 'pending'], ['5', 'applied'], ['6', 'applied'], ['7', 'pending'], ['8', 'pending']]);
  });

  it('checks sql-check, table-exists and view-exists preconditions first: one that fails stops the run at its line, and nothing of the changeset stays', async () => {
    const db = await pg.createDatabase('lb_precondition');
    const changelog = (expected: string) =>
      '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE one (id int);\nINSERT INTO one VALUES (1), (2);\n--rollback DROP TABLE one;\n' +
      `--changeset a:2\n--preconditions onFail:HALT\n--precondition-table-exists table:ONE\n--precondition-sql-check expectedResult:${expected} SELECT count(*) FROM one;\nCREATE TABLE two (id int);\n--rollback DROP TABLE two;\n` +
      '--changeset a:3 runInTransaction:false\n--precondition-view-exists view:v schema:public\nCREATE INDEX CONCURRENTLY one_id_idx ON one (id);\n--rollback DROP INDEX one_id_idx;\n';
    const project = createProject({ 'db/changelog/001.sql': changelog('3') });
    const options = optionsFor(project, pg.url(db), { yes: true });
    let result = await up(options);
    assert.equal(result.ok, false);
    assert.deepEqual(result.steps.map((s) => [s.name, s.ok]), [['db/changelog/001.sql::1::a', true], ['db/changelog/001.sql::2::a', false]]);
    assert.equal(result.error!.message, "Liquibase precondition failed (line 9: --precondition-sql-check expectedResult:3 SELECT count(*) FROM one;): expected 3, got 2; Liquibase stops here too (onFail:HALT)");
    assert.equal(result.error!.line, 9);
    assert.deepEqual((await changelogRows(db)).map((r) => r.id), ['1']);
    assert.deepEqual(await pg.query("SELECT to_regclass('two') AS t", [], db), [{ t: null }]);

    // The checksum Liquibase keeps leaves precondition lines out: fixing one is not an edit.
    project.write('db/changelog/001.sql', changelog('2'));
    result = await up(options);
    assert.equal(result.ok, false);
    assert.deepEqual(result.steps.map((s) => [s.name, s.ok]), [['db/changelog/001.sql::2::a', true], ['db/changelog/001.sql::3::a', false]]);
    assert.equal(result.error!.message, 'Liquibase precondition failed (line 13: --precondition-view-exists view:v schema:public): there is no view public.v; Liquibase stops here too (onFail:HALT)');
    assert.deepEqual((await changelogRows(db)).map((r) => r.id), ['1', '2']);
    assert.deepEqual(await pg.query("SELECT to_regclass('one_id_idx') AS t", [], db), [{ t: null }]);

    await pg.query('CREATE VIEW v AS SELECT 1 AS x', [], db);
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual((await changelogRows(db)).map((r) => r.id), ['1', '2', '3']);
    assert.deepEqual(await pg.query("SELECT to_regclass('one_id_idx')::text AS t", [], db), [{ t: 'one_id_idx' }]);
    assert.equal(readLiquibaseChangelog(changelog('2')).changesets[1].checksum, readLiquibaseChangelog(changelog('3')).changesets[1].checksum);
  });

  it('refuses clearly while another process holds Liquibase\'s lock, and leaves its lock alone; takes over one a dead zdm left', async () => {
    const db = await pg.createDatabase('lb_lock');
    const project = createProject({ 'db/changelog/001.sql': USERS });
    const options = optionsFor(project, pg.url(db), { yes: true });
    assert.ok((await status(options)).ok);
    await pg.query('CREATE TABLE databasechangeloglock (id INTEGER NOT NULL PRIMARY KEY, locked BOOLEAN NOT NULL, lockgranted TIMESTAMP, lockedby VARCHAR(255))', [], db);
    await pg.query("INSERT INTO databasechangeloglock VALUES (1, TRUE, '2024-05-01 10:00:00', 'build-agent-7 (10.0.0.7)')", [], db);
    const result = await up(options);
    assert.equal(result.ok, false);
    assert.match(result.error!.message, /Liquibase's lock \("public"\."databasechangeloglock"\) is held by build-agent-7 \(10\.0\.0\.7\) since 2024-05-01 10:00:00.*liquibase release-locks/);
    assert.deepEqual(await pg.query("SELECT to_regclass('users') AS t", [], db), [{ t: null }]);
    assert.deepEqual(await pg.query('SELECT locked, lockedby FROM databasechangeloglock', [], db), [{ locked: true, lockedby: 'build-agent-7 (10.0.0.7)' }]);
    // status only reads: it works while the lock is held.
    const st = await status(options);
    assert.ok(st.ok, explain(st));
    assert.deepEqual(st.status!.map((s) => s.state), ['pending', 'pending', 'pending']);
    // A lock left by a zdm run that died (killed, or cancelled in the editor) is taken over: a living
    // zdm run would hold zdm's own advisory lock, which this run got.
    await pg.query("UPDATE databasechangeloglock SET lockedby = 'ci-host (zdm, pid 4242)'", [], db);
    const result2 = await up(options);
    assert.ok(result2.ok, explain(result2));
    assert.deepEqual(await pg.query('SELECT locked, lockedby FROM databasechangeloglock', [], db), [{ locked: false, lockedby: null }]);
  });

  it("shows a changeset edited after it ran by Liquibase's checksum (not by spacing), and runs a runOnChange one again", async () => {
    const db = await pg.createDatabase('lb_edit');
    const view = (body: string) => `--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (id int, n int);\n--rollback DROP TABLE t;\n--changeset a:2 runOnChange:true\nCREATE OR REPLACE VIEW v AS SELECT ${body} FROM t;\n--rollback DROP VIEW v;\n`;
    const project = createProject({ 'db/changelog/001.sql': view('id') });
    const options = optionsFor(project, pg.url(db), { yes: true });
    assert.ok((await up(options)).ok);
    project.write('db/changelog/001.sql', view('id').replace('(id int, n int)', '(id int,\n  n int)'));
    let st = await status(options);
    assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'applied']);
    project.write('db/changelog/001.sql', view('id, n').replace('(id int, n int)', '(id bigint, n int)'));
    st = await status(options);
    assert.deepEqual(st.status!.map((s) => s.state), ['edited', 'pending']);
    assert.match(st.status![0].note!, /Liquibase's checksum is now 9:[0-9a-f]{32}, it ran as 9:[0-9a-f]{32}, so liquibase update and validate stop on it/);
    assert.match(st.status![1].note!, /runOnChange: it changed since it ran/);
    // Listing the checksum it ran with as valid (as Liquibase allows) accepts the edit.
    const ran = (await changelogRows(db))[0].md5sum;
    project.write('db/changelog/001.sql', view('id, n').replace('(id int, n int)', '(id bigint, n int)').replace('--changeset a:1\n', `--changeset a:1\n--validCheckSum: ${ran}\n`));
    st = await status(options);
    assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'pending']);
    const result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.name), ['db/changelog/001.sql::2::a']);
    const rows = await changelogRows(db);
    assert.deepEqual(rows.map((r) => [r.id, r.orderexecuted, r.exectype]), [['1', 1, 'EXECUTED'], ['2', 3, 'RERAN']]);
    assert.equal(rows[1].md5sum, readLiquibaseChangelog(view('id, n')).changesets[1].checksum);
    assert.deepEqual(await pg.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'v' ORDER BY ordinal_position", [], db), [{ column_name: 'id' }, { column_name: 'n' }]);
  });

  it('runs a runAlways changeset on every up: pending after each run, its one row updated (RERAN)', async () => {
    const db = await pg.createDatabase('lb_always');
    const project = createProject({
      'db/changelog/001.sql': '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE hits (n int);\n--rollback DROP TABLE hits;\n--changeset a:2 runAlways:true\nINSERT INTO hits VALUES (1);\n--rollback empty\n',
    });
    const options = optionsFor(project, pg.url(db), { yes: true });
    assert.ok((await up(options)).ok);
    let st = await status(options);
    assert.deepEqual(st.status!.map((s) => [s.state, s.note]), [['applied', undefined], ['pending', 'runAlways: Liquibase runs it again on every update']]);
    const result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.name), ['db/changelog/001.sql::2::a']);
    assert.deepEqual(await pg.query('SELECT count(*)::int AS n FROM hits', [], db), [{ n: 2 }]);
    assert.deepEqual((await changelogRows(db)).map((r) => [r.id, r.orderexecuted, r.exectype]), [['1', 1, 'EXECUTED'], ['2', 3, 'RERAN']]);
    st = await status(options);
    assert.equal(st.status![1].state, 'pending');
  });

  it('follows the changelog liquibase.properties names: includes in their order, FILENAME relative to the search path; a missing include stops the run', async () => {
    const db = await pg.createDatabase('lb_master');
    const project = createProject(
      {
        'liquibase.properties': '# the changelog and where Liquibase looks for it\nchangelog-file=db/changelog/master.yaml\nsearch-path=res\n',
        'res/db/changelog/master.yaml':
          'databaseChangeLog:\n  - include:\n      file: db/changelog/z/last_first.sql\n  - includeAll:\n      path: all/\n      relativeToChangelogFile: true\n  - include: {file: db/changelog/z/flow.sql}\n',
        'res/db/changelog/z/last_first.sql': formattedSql('a'),
        'res/db/changelog/all/2.sql': formattedSql('c'),
        'res/db/changelog/all/10.sql': formattedSql('b'),
        'res/db/changelog/z/flow.sql': formattedSql('d'),
        'res/db/changelog/z/not_included.sql': formattedSql('never'),
      },
      { migrationsDir: 'res/db/changelog' },
    );
    const options = optionsFor(project, pg.url(db), { yes: true });
    let result = await up(options);
    assert.ok(result.ok, explain(result));
    // includeAll sorts paths as strings: 10.sql before 2.sql.
    assert.deepEqual((await changelogRows(db)).map((r) => [r.filename, r.id]), [
      ['db/changelog/z/last_first.sql', 'a'],
      ['db/changelog/all/10.sql', 'b'],
      ['db/changelog/all/2.sql', 'c'],
      ['db/changelog/z/flow.sql', 'd'],
    ]);
    project.write('res/db/changelog/master.yaml', 'databaseChangeLog:\n  - include:\n      file: db/changelog/z/gone.sql\n');
    result = await status(options);
    assert.match(result.usageError ?? '', /master\.yaml includes db\/changelog\/z\/gone\.sql, which does not exist/);
  });

  it("applies an include's context, contextFilter, labels and ignore to the changesets below it, as Liquibase does; errorIfMissing=\"false\" passes over a missing file", async () => {
    const db = await pg.createDatabase('lb_include_attrs');
    const master = (missing: string) =>
      '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" context="dev or ci">\n' +
      '  <include file="db/changelog/a.sql" context="test"/>\n' +
      '  <include file="db/changelog/b.sql" contextFilter="dev" context="test"/>\n' +
      '  <include file="db/changelog/c.sql" labels="legacy"/>\n' +
      '  <include file="db/changelog/d.sql" ignore="true"/>\n' +
      '  <include file="db/changelog/mid.yaml" ignore="true" context="dev" labels="Core"/>\n' +
      `  <include file="db/changelog/missing.sql"${missing}/>\n` +
      '  <includeAll path="db/changelog/none/" errorIfMissingOrEmpty="false"/>\n' +
      '</databaseChangeLog>\n';
    const project = createProject(
      {
        'liquibase.properties': 'changelog-file=db/changelog/master.xml\ncontexts=dev\nlabel-filter=core\n',
        'db/changelog/master.xml': master(' errorIfMissing="false"'),
        'db/changelog/a.sql': formattedSql('a1'),
        'db/changelog/b.sql': formattedSql('b1', 'b2 context:prod'),
        // Its own label passes the filter; the include's does not, and each must pass on its own.
        'db/changelog/c.sql': formattedSql('c1 labels:core'),
        'db/changelog/d.sql': formattedSql('d1'),
        // The ignore of the include naming mid.yaml does not reach the changelogs mid.yaml includes.
        'db/changelog/mid.yaml': 'databaseChangeLog:\n  - include: {file: db/changelog/e.sql, context: dev or test, labels: core}\n  - include:\n      file: db/changelog/f.sql\n      context: test # only under test\n',
        'db/changelog/e.sql': formattedSql('e1'),
        'db/changelog/f.sql': formattedSql('f1'),
      },
      { migrationsDir: 'db/changelog' },
    );
    const options = optionsFor(project, pg.url(db), { yes: true });
    let result = await up(options);
    assert.ok(result.ok, explain(result));
    // Recorded as Liquibase records them: the includes' contexts (innermost first, the master's own last) and labels before the changeset's own.
    assert.deepEqual(await pg.query('SELECT filename, id, contexts, labels FROM databasechangelog ORDER BY orderexecuted', [], db), [
      { filename: 'db/changelog/b.sql', id: 'b1', contexts: 'dev AND (dev or ci)', labels: null },
      { filename: 'db/changelog/e.sql', id: 'e1', contexts: '(dev or test) AND dev AND (dev or ci)', labels: 'core,core' },
    ]);
    const why = async (name: string) => (await up({ ...options, to: project.file(`db/changelog/${name}`) })).usageError;
    assert.equal(await why('a.sql::a1::m'), "Nothing to run to at changeset db/changelog/a.sql::a1::m: this project's runs leave it out, as Liquibase does: the context `test` of the include of db/changelog/a.sql in db/changelog/master.xml does not hold under the contexts the project's Liquibase settings give (`dev`).");
    assert.match((await why('b.sql::b2::m')) ?? '', /its context `prod` does not hold/);
    assert.match((await why('c.sql::c1::m')) ?? '', /the labels \(`legacy`\) of the include of db\/changelog\/c\.sql in db\/changelog\/master\.xml do not pass the label filter .*\(`core`\)/);
    assert.match((await why('d.sql::d1::m')) ?? '', /leave it out, as Liquibase does: the include of db\/changelog\/d\.sql in db\/changelog\/master\.xml says ignore="true"/);
    assert.match((await why('f.sql::f1::m')) ?? '', /the context `test` of the include of db\/changelog\/f\.sql in db\/changelog\/mid\.yaml does not hold/);
    // Without contexts or a label filter, only the ignored ones stay out.
    project.write('liquibase.properties', 'changelog-file=db/changelog/master.xml\n');
    const st = await status(options);
    assert.ok(st.ok, explain(st));
    assert.deepEqual(st.status!.map((s) => [s.name!.replace(/.*::(\w+)::m$/, '$1'), s.state]), [['a1', 'pending'], ['b1', 'applied'], ['b2', 'pending'], ['c1', 'pending'], ['e1', 'applied'], ['f1', 'pending']]);
    // A missing include stops the run unless the include says errorIfMissing="false"; so does a missing includeAll folder.
    project.write('db/changelog/master.xml', master(''));
    result = await status(options);
    assert.match(result.usageError ?? '', /master\.xml includes db\/changelog\/missing\.sql, which does not exist/);
    project.write('db/changelog/master.xml', master(' errorIfMissing="false"').replace(' errorIfMissingOrEmpty="false"', ''));
    result = await status(options);
    assert.match(result.usageError ?? '', /includeAll path db\/changelog\/none\/ is not a folder/);
  });

  it("chooses an includeAll's files by its endsWithFilter, minDepth and maxDepth as Liquibase does, hidden ones too; refuses filter, resourceFilter and resourceComparator at their line", async () => {
    const db = await pg.createDatabase('lb_include_all_attrs');
    const master = (attributes: string) =>
      '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n' + `  <includeAll path="db/changelog/all/"\n      ${attributes}/>\n` + '</databaseChangeLog>\n';
    const project = createProject(
      {
        'liquibase.properties': 'changelog-file=db/changelog/master.xml\n',
        'db/changelog/master.xml': master(''),
        'db/changelog/all/a.sql': formattedSql('a'),
        'db/changelog/all/B.SQL': formattedSql('b'),
        'db/changelog/all/x_up.sql': formattedSql('x'),
        'db/changelog/all/readme.txt': 'not a changelog: Liquibase passes over it\n',
        'db/changelog/all/sub/c.sql': formattedSql('c'),
        'db/changelog/all/sub/c_up.sql': formattedSql('cu'),
        'db/changelog/all/sub/.h.sql': formattedSql('h'),
        'db/changelog/all/sub/deep/d_UP.SQL': formattedSql('du'),
        'db/changelog/all/.hidden/e.sql': formattedSql('e'),
      },
      { migrationsDir: 'db/changelog' },
    );
    const options = optionsFor(project, pg.url(db), { yes: true });
    const ids = async (attributes: string) => {
      project.write('db/changelog/master.xml', master(attributes));
      const st = await status(options);
      assert.ok(st.ok, explain(st));
      return st.status!.map((s) => s.name!.replace(/.*::(\w+)::m$/, '$1'));
    };
    // What Liquibase 4.28 runs for each (liquibase status --verbose on these folders): a file directly in
    // the folder is at depth 1; hidden files and folders are taken; paths sort as strings (B.SQL first).
    assert.deepEqual(await ids(''), ['e', 'b', 'a', 'h', 'c', 'cu', 'du', 'x']);
    assert.deepEqual(await ids('maxDepth="1"'), ['b', 'a', 'x']);
    assert.deepEqual(await ids('maxDepth="2"'), ['e', 'b', 'a', 'h', 'c', 'cu', 'x']);
    assert.deepEqual(await ids('minDepth="2"'), ['e', 'h', 'c', 'cu', 'du']);
    assert.deepEqual(await ids('minDepth="2" maxDepth="2"'), ['e', 'h', 'c', 'cu']);
    // The filter is trimmed and ignores case; it is matched against the whole path.
    assert.deepEqual(await ids('endsWithFilter=" _UP.sql "'), ['cu', 'du', 'x']);
    assert.deepEqual(await ids('endsWithFilter="sub/c.sql" minDepth="0"'), ['c']);
    const refused = async (attributes: string) => {
      project.write('db/changelog/master.xml', master(attributes));
      return (await status(options)).usageError ?? '';
    };
    // Nothing left stops the run, as an empty folder does, unless errorIfMissingOrEmpty="false".
    assert.match(await refused('endsWithFilter=".none"'), /master\.xml:3: includeAll path db\/changelog\/all\/ holds no file its endsWithFilter="\.none" keeps; Liquibase stops/);
    assert.match(await refused('maxDepth="0"'), /holds no file its maxDepth="0" keeps/);
    assert.deepEqual(await ids('endsWithFilter=".none" errorIfMissingOrEmpty="false"'), []);
    assert.match(await refused('minDepth="3" maxDepth="2"'), /master\.xml:3: the includeAll of db\/changelog\/all\/ says minDepth="3" and maxDepth="2"; Liquibase stops \("maxDepth argument must be greater than minDepth"\)/);
    assert.match(await refused('minDepth="-1"'), /minDepth must be non-negative/);
    // Java classes Liquibase would load and run: refused, naming the attribute, its file and line.
    assert.match(await refused('endsWithFilter=".sql"\n      resourceFilter="com.example.OnlyNew"'), /master\.xml:5: the includeAll of db\/changelog\/all\/ says resourceFilter="com\.example\.OnlyNew", a Java IncludeAllFilter class that chooses its files: Liquibase loads and runs that code, and zdm cannot follow it/);
    assert.match(await refused('filter="com.example.OnlyNew"'), /master\.xml:4: .* says filter="com\.example\.OnlyNew"/);
    assert.match(await refused('resourceComparator="com.example.ByDate"'), /master\.xml:4: .* says resourceComparator="com\.example\.ByDate", a Java Comparator class that orders its files: .*zdm cannot follow it/);
    // YAML says the same, at the attribute's line.
    project.write('liquibase.properties', 'changelog-file=db/changelog/master.yaml\n');
    project.write('db/changelog/master.yaml', 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/all/\n      maxDepth: 1\n      endsWithFilter: .SQL\n');
    let st = await status(options);
    assert.ok(st.ok, explain(st));
    assert.deepEqual(st.status!.map((s) => s.name!.replace(/.*::(\w+)::m$/, '$1')), ['b', 'a', 'x']);
    // A quoted YAML number is taken as written, spaces too (XML's schema trims them): Liquibase stops.
    project.write('db/changelog/master.yaml', 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/all/\n      maxDepth: " 1 "\n');
    assert.match((await status(options)).usageError ?? '', /master\.yaml:2: the includeAll of db\/changelog\/all\/ says maxDepth=" 1 ", which is not a whole number; Liquibase stops/);
    project.write('db/changelog/master.yaml', 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/all/\n\n      resourceComparator: com.example.ByDate # newest first\n');
    assert.match((await status(options)).usageError ?? '', /master\.yaml:5: the includeAll of db\/changelog\/all\/ says resourceComparator="com\.example\.ByDate"/);
    // A JSON changelog in the folder is one Liquibase runs: zdm follows it, and refuses the changesets it holds itself.
    project.write('db/changelog/master.yaml', 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/all/\n');
    project.write('db/changelog/all/z.json', '{"databaseChangeLog": [\n  {"changeSet": {"id": "j", "author": "m", "changes": [{"sql": {"sql": "SELECT 1"}}]}}\n]}\n');
    st = await status(options);
    assert.match(st.usageError ?? '', /z\.json:2: the changelog holds changesets of its own \(changeSet entries\): zdm runs formatted SQL changesets only/);
  });

  it('follows a JSON master changelog as Liquibase does (its YAML parser): include and includeAll with their attributes as strings, numbers or booleans, # comments, a nested JSON changelog; errors name the file and line', async () => {
    const db = await pg.createDatabase('lb_json_master');
    const master = (entries: string) => `{\n  # the project's changelogs (a YAML comment: Liquibase takes it)\n  "databaseChangeLog": [\n${entries}\n  ]\n}\n`;
    const project = createProject(
      {
        'liquibase.properties': 'changeLogFile=db/changelog/db.changelog-master.json\n',
        'db/changelog/db.changelog-master.json': master(
          [
            '    {"include": {"file": "db/changelog/a.sql", "context": "dev", "labels": "core"}},',
            '    {"include": {"file": "b.sql", "relativeToChangelogFile": true}},',
            '    {"include": {"file": "db/changelog/old.sql", "ignore": "true"}},',
            '    {"include": {"file": "db/changelog/gone.sql", "errorIfMissing": false}},',
            '    {"includeAll": {"path": "db/changelog/none/", "errorIfMissingOrEmpty": "false"}},',
            '    {"includeAll": {"path": "db/changelog/all/", "maxDepth": 1, "minDepth": "1", "endsWithFilter": ".sql", "labels": "bulk"}},',
            '    {"includeAll": {"path": "db/changelog/more/", "maxDepth": "1"}},', // a trailing comma, as Liquibase takes it
          ].join('\n'),
        ),
        'db/changelog/a.sql': formattedSql('a'),
        'db/changelog/b.sql': formattedSql('b'),
        'db/changelog/old.sql': formattedSql('old'),
        'db/changelog/all/c.sql': formattedSql('c'),
        'db/changelog/all/readme.json.txt': 'not a changelog\n',
        'db/changelog/all/sub/never.sql': formattedSql('never'),
        // A JSON changelog found by an includeAll is followed, its includes relative to it.
        'db/changelog/more/m.json': '{"databaseChangeLog": [{"include": {"file": "sql/d.sql", "relativeToChangelogFile": "true", "context": "test"}}]}',
        'db/changelog/more/sql/d.sql': formattedSql('d'),
      },
      { migrationsDir: 'db/changelog' },
    );
    const options = optionsFor(project, pg.url(db), { yes: true });
    const result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await pg.query('SELECT filename, id, contexts, labels FROM databasechangelog ORDER BY orderexecuted', [], db), [
      { filename: 'db/changelog/a.sql', id: 'a', contexts: 'dev', labels: 'core' },
      { filename: 'db/changelog/b.sql', id: 'b', contexts: null, labels: null },
      { filename: 'db/changelog/all/c.sql', id: 'c', contexts: null, labels: 'bulk' },
      { filename: 'db/changelog/more/sql/d.sql', id: 'd', contexts: 'test', labels: null },
    ]);
    const refused = async (entries: string) => {
      project.write('db/changelog/db.changelog-master.json', master(entries));
      return (await status(options)).usageError ?? '';
    };
    // What Liquibase stops on, zdm stops on too, naming the file and the line (and column for a syntax error).
    assert.match(await refused('    // a JavaScript comment\n    {"include": {"file": "db/changelog/a.sql"}}'), /db\.changelog-master\.json:4:5: not valid JSON \(unexpected `\/`\)\. Liquibase reads a \.json changelog with its YAML parser, and stops on this too/);
    assert.match(await refused('    {"include": {"file": "db/changelog/a.sql"}\n'), /db\.changelog-master\.json:6:3: not valid JSON \(unexpected `\]`\)/);
    assert.match(await refused('    {"include": {"file": "db/changelog/a.sql"}},\n    {"includeAll": {"path": "db/changelog/all/",\n      "maxDepth": 1.0}}'), /db\.changelog-master\.json:5: the includeAll of db\/changelog\/all\/ says maxDepth="1\.0", which is not a whole number; Liquibase stops/);
    // Liquibase takes the text as written (XML's schema trims it, YAML and JSON do not): " 1 " stops it.
    assert.match(await refused('    {"includeAll": {"path": "db/changelog/all/", "maxDepth": " 1 "}}'), /db\.changelog-master\.json:4: the includeAll of db\/changelog\/all\/ says maxDepth=" 1 ", which is not a whole number; Liquibase stops/);
    assert.match(await refused('    {"includeAll": {"path": "db/changelog/all/",\n      "resourceComparator": "com.example.ByDate"}}'), /db\.changelog-master\.json:5: the includeAll of db\/changelog\/all\/ says resourceComparator="com\.example\.ByDate"/);
    assert.match(await refused('    {"include": {"file": "db/changelog/a.sql",\n      "labels": ["core", "extra"]}}'), /db\.changelog-master\.json:5: the include's labels is a JSON list; .*write it as a string/);
    assert.match(await refused('    {"include": {"relativeToChangelogFile": true}}'), /db\.changelog-master\.json:4: the include gives no file; Liquibase stops \("No 'file' attribute on 'include'"\)/);
    assert.match(await refused('    {"include": {"file": "db/changelog/a.sql"}},\n    {"changeSet": {"id": "j", "author": "m", "changes": []}}'), /db\.changelog-master\.json:5: the changelog holds changesets of its own/);
    project.write('db/changelog/db.changelog-master.json', '{"databaseChangeLog": {"include": {"file": "db/changelog/a.sql"}}}');
    assert.match((await status(options)).usageError ?? '', /db\.changelog-master\.json:1: databaseChangeLog is not a list of entries/);
    project.write('db/changelog/db.changelog-master.json', '{}');
    assert.match((await status(options)).usageError ?? '', /db\.changelog-master\.json: the changelog is empty; Liquibase stops \("Empty file"\)/);
  });

  it('stops on an XML or YAML include without file, or includeAll without path, as Liquibase 4.28 does, at its line', async () => {
    const db = await pg.createDatabase('lb_include_no_target');
    const xml = (entries: string) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n  <include file="db/changelog/a.sql"/>\n${entries}\n</databaseChangeLog>\n`;
    const project = createProject(
      {
        'liquibase.properties': 'changelog-file=db/changelog/master.xml\n',
        'db/changelog/master.xml': xml('  <include relativeToChangelogFile="true"/>'),
        'db/changelog/a.sql': '--liquibase formatted sql\n--changeset m:a\nCREATE TABLE t_a (id int);\n',
      },
      { migrationsDir: 'db/changelog' },
    );
    const options = optionsFor(project, pg.url(db), { yes: true });
    const refused = async () => (await status(options)).usageError ?? '';
    // Liquibase: "cvc-complex-type.4: Attribute 'file' must appear on element 'include'." (its XML schema).
    assert.match(await refused(), /master\.xml:4: the include gives no file; Liquibase stops \("Attribute 'file' must appear on element 'include'"\)/);
    project.write('db/changelog/master.xml', xml('  <!-- <include file="x.sql"/> -->\n  <includeAll\n    relativeToChangelogFile="true"/>'));
    assert.match(await refused(), /master\.xml:5: the includeAll gives no path; Liquibase stops \("Attribute 'path' must appear on element 'includeAll'"\)/);
    // YAML: "No 'file' attribute on 'include'", "No path attribute for includeAll" (its parser).
    project.write('liquibase.properties', 'changelog-file=db/changelog/master.yaml\n');
    const yaml = (entries: string) => `databaseChangeLog:\n  - include:\n      file: db/changelog/a.sql\n${entries}\n`;
    for (const [entries, line] of [['  - include: {}', 4], ['  - include:', 4], ['  - include:\n      relativeToChangelogFile: true', 4]] as const) {
      project.write('db/changelog/master.yaml', yaml(entries));
      assert.match(await refused(), new RegExp(`master\\.yaml:${line}: the include gives no file; Liquibase stops \\("No 'file' attribute on 'include'"\\)`), entries);
    }
    project.write('db/changelog/master.yaml', yaml('  - includeAll:\n      relativeToChangelogFile: true'));
    assert.match(await refused(), /master\.yaml:4: the includeAll gives no path; Liquibase stops \("No path attribute for includeAll"\)/);
    // Nothing ran.
    assert.equal((await pg.query("SELECT to_regclass('public.databasechangelog') AS t", [], db))[0].t, null);
  });

  it('stops on a formatted-SQL changelog included twice, naming both includes, as Liquibase 4.28 does; a copy its filters leave out does not count', async () => {
    const db = await pg.createDatabase('lb_included_twice');
    const project = createProject(
      {
        'liquibase.properties': 'changelog-file=db/changelog/master.yaml\ncontexts=dev\n',
        'db/changelog/master.yaml': 'databaseChangeLog:\n  - include:\n      file: db/changelog/sql/a.sql\n  - include:\n      file: db/changelog/sql/a.sql\n',
        'db/changelog/sql/a.sql': '--liquibase formatted sql\n--changeset m:a\nCREATE TABLE t_a (id int);\n',
        'db/changelog/sql/b.sql': '--liquibase formatted sql\n--changeset m:b\nCREATE TABLE t_b (id int);\n',
      },
      { migrationsDir: 'db/changelog' },
    );
    const options = optionsFor(project, pg.url(db), { yes: true });
    // Liquibase: "Validation Failed: 1 changesets had duplicate identifiers  db/changelog/sql/a.sql::a::m".
    let result = await up(options);
    assert.ok(!result.ok);
    assert.match(explain(result), /db\/changelog\/sql\/a\.sql:2, included by db\/changelog\/master\.yaml:4 \(its include of db\/changelog\/sql\/a\.sql\): changeset a by m is already defined at db\/changelog\/sql\/a\.sql:2, included by db\/changelog\/master\.yaml:2 \(its include of db\/changelog\/sql\/a\.sql\); Liquibase refuses duplicate changeset identifiers/);
    assert.equal((await pg.query("SELECT to_regclass('public.t_a') AS t", [], db))[0].t, null);
    // An include and an includeAll that covers the file: the same.
    project.write('db/changelog/master.yaml', 'databaseChangeLog:\n  - include:\n      file: db/changelog/sql/a.sql\n  - includeAll:\n      path: db/changelog/sql/\n');
    result = await up(options);
    assert.ok(!result.ok);
    assert.match(explain(result), /a\.sql:2, included by db\/changelog\/master\.yaml:4 \(its includeAll of db\/changelog\/sql\/\): changeset a by m is already defined at .*master\.yaml:2 \(its include of/);
    // An include's ignore="true" does not take a copy out of Liquibase's check.
    project.write('db/changelog/master.yaml', 'databaseChangeLog:\n  - include: {file: db/changelog/sql/a.sql}\n  - include: {file: db/changelog/sql/a.sql, ignore: true}\n');
    assert.match(explain(await up(options)), /already defined at/);
    // A copy the contexts leave out is not checked (Liquibase runs the other once, and so does zdm).
    project.write('db/changelog/master.yaml', 'databaseChangeLog:\n  - include: {file: db/changelog/sql/a.sql, context: prod}\n  - include: {file: db/changelog/sql/a.sql}\n  - include: {file: db/changelog/sql/b.sql}\n');
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await pg.query('SELECT id FROM databasechangelog ORDER BY orderexecuted', [], db), [{ id: 'a' }, { id: 'b' }]);
  });

  it('passes over a missing include when the onMissingIncludeChangelog setting says WARN, as Liquibase does', async () => {
    const db = await pg.createDatabase('lb_on_missing_include');
    const project = createProject(
      {
        'liquibase.properties': 'changelog-file=db/changelog/master.yaml\nliquibase.onMissingIncludeChangelog=warn\n',
        'db/changelog/master.yaml': 'databaseChangeLog:\n  - include:\n      file: db/changelog/gone.sql\n  - include:\n      file: db/changelog/a.sql\n',
        'db/changelog/a.sql': '--liquibase formatted sql\n--changeset m:a\nCREATE TABLE t_a (id int);\n',
      },
      { migrationsDir: 'db/changelog' },
    );
    const options = optionsFor(project, pg.url(db), { yes: true });
    let st = await status(options);
    assert.ok(st.ok, explain(st));
    assert.deepEqual(st.status!.map((s) => s.name), ['db/changelog/a.sql::a::m']);
    // The environment wins; FAIL (the default) stops at the missing file, and Liquibase refuses other values.
    st = await status({ ...options, env: { LIQUIBASE_ON_MISSING_INCLUDE_CHANGELOG: 'FAIL' } });
    assert.match(st.usageError ?? '', /master\.yaml includes db\/changelog\/gone\.sql, which does not exist/);
    project.write('liquibase.properties', 'changelog-file=db/changelog/master.yaml\non-missing-include-changelog: maybe\n');
    st = await status(options);
    assert.match(st.usageError ?? '', /the onMissingIncludeChangelog setting says `maybe`: Liquibase accepts FAIL or WARN only/);
  });

  it('reads a .json master written as YAML (flow or block style) as Liquibase\'s YAML parser does, and stops on a real syntax error at its line and column', async () => {
    const db = await pg.createDatabase('lb_json_yaml');
    const project = createProject(
      {
        'liquibase.properties': 'changeLogFile=db/changelog/master.json\n',
        'db/changelog/master.json': [
          '{databaseChangeLog: [  # unquoted keys and values, single quotes',
          "  {include: {file: 'db/changelog/it''s.sql', labels: 'core, extra'}},",
          '  {include: {file: classpath:db/changelog/b.sql, context: dev or test}},',
          "  {'includeAll': {path: db/changelog/all/, maxDepth: 1, ignore: true}},",
          '  {include: {file: c.sql, relativeToChangelogFile: true}},',
          ']}',
        ].join('\n'),
        "db/changelog/it's.sql": formattedSql('a'),
        'db/changelog/b.sql': formattedSql('b'),
        'db/changelog/c.sql': formattedSql('c'),
        'db/changelog/all/x.sql': formattedSql('x'),
        'db/changelog/all/sub/never.sql': formattedSql('never'),
      },
      { migrationsDir: 'db/changelog' },
    );
    const options = optionsFor(project, pg.url(db), { yes: true });
    const result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await pg.query('SELECT filename, id, contexts, labels FROM databasechangelog ORDER BY orderexecuted', [], db), [
      { filename: "db/changelog/it's.sql", id: 'a', contexts: null, labels: 'core,extra' },
      { filename: 'db/changelog/b.sql', id: 'b', contexts: '(dev or test)', labels: null },
      { filename: 'db/changelog/c.sql', id: 'c', contexts: null, labels: null },
    ]);
    const refused = async (text: string) => {
      project.write('db/changelog/master.json', text);
      return (await status(options)).usageError ?? '';
    };
    // Lines are the file's: an entry's problem names its line, a syntax error its line and column.
    assert.match(await refused("{databaseChangeLog: [\n  {include: {file: b.sql}},\n  {includeAll: {errorIfMissingOrEmpty: 'false'}}\n]}"), /master\.json:3: the includeAll gives no path; Liquibase stops \("No path attribute for includeAll"\)/);
    assert.match(await refused('{databaseChangeLog: [\n  {include: {file: db/changelog/b.sql}}\n  {include: {file: db/changelog/c.sql}}\n]}'), /master\.json:3:3: not valid JSON \(unexpected `\{`\)\. Liquibase reads a \.json changelog with its YAML parser, and stops on this too \("Syntax error in file"\): it is not YAML either/);
    assert.match(await refused("{databaseChangeLog: [\n  {include: {file: 'db/changelog/b.sql}}\n]}\n"), /master\.json:4:1: not valid JSON \(the file ends too early\)/);
    // Block style: the YAML master's reading.
    assert.equal(await refused('databaseChangeLog:\n  - include:\n      file: db/changelog/c.sql\n'), '');
    assert.deepEqual((await status(options)).status!.filter((s) => s.name).map((s) => [s.name, s.state]), [['db/changelog/c.sql::c::m', 'applied']]);
    // A YAML document marker (after comments and blank lines) before the JSON: the JSON is the document (Liquibase runs its include).
    for (const text of ['---\n{"databaseChangeLog":[{"include":{"file":"db/changelog/b.sql"}}]}\n', '# note\n\n--- # start\n{"databaseChangeLog":[\n  {"include":{"file":"db/changelog/b.sql"}},\n  {"include":{}}\n]}\n']) {
      const error = await refused(text);
      if (text.startsWith('---')) {
        assert.equal(error, '');
        assert.deepEqual((await status(options)).status!.filter((s) => s.name).map((s) => [s.name, s.state]), [['db/changelog/b.sql::b::m', 'applied']]);
      } else assert.match(error, /master\.json:6: the include gives no file/);
    }
    // Not a changelog: Liquibase stops ("Syntax error in file", or "Could not find databaseChangeLog node"), and so does zdm.
    assert.match(await refused('// note\n{"databaseChangeLog":[{"include":{"file":"db/changelog/b.sql"}}]}\n'), /master\.json:1:1: not valid JSON \(unexpected `\/`\)\. Liquibase reads a \.json changelog with its YAML parser, and stops on this too \("Syntax error in file"\)/);
    assert.match(await refused('---\n  // note\n{"databaseChangeLog":[]}\n'), /master\.json:2:3: not valid JSON \(unexpected `\/`\)/);
    assert.match(await refused('\nhello there garbage\n'), /master\.json:2:1: not a changelog: the file holds a text, not an object with databaseChangeLog; Liquibase stops \("Syntax error in file": class java\.lang\.String cannot be cast to class java\.util\.Map\)/);
    assert.match(await refused('[{"include":{"file":"db/changelog/b.sql"}}]'), /master\.json:1:1: not a changelog: the file holds a list, .*java\.util\.ArrayList/);
    assert.match(await refused('# c\nfoo:\n  - include:\n      file: db/changelog/b.sql\n'), /master\.json:2: the changelog has no databaseChangeLog node \(its top-level keys: foo\); Liquibase stops \("Could not find databaseChangeLog node"\)/);
  });

  it('refuses a YAML master without a databaseChangeLog node or that is not a mapping, as Liquibase 4.28 does; reads one in flow style or after `---`', async () => {
    const db = await pg.createDatabase('lb_yaml_node');
    const project = createProject(
      {
        'liquibase.properties': 'changeLogFile=db/changelog/master.yaml\n',
        'db/changelog/master.yaml': '# the master\n---\n{databaseChangeLog: [{include: {file: db/changelog/a.sql}}]}\n',
        'db/changelog/a.sql': formattedSql('a'),
        'db/changelog/b.sql': formattedSql('b'),
      },
      { migrationsDir: 'db/changelog' },
    );
    const options = optionsFor(project, pg.url(db), { yes: true });
    const result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(await pg.query('SELECT filename, id FROM databasechangelog ORDER BY orderexecuted', [], db), [{ filename: 'db/changelog/a.sql', id: 'a' }]);
    const refused = async (text: string) => {
      project.write('db/changelog/master.yaml', text);
      return (await status(options)).usageError ?? '';
    };
    assert.match(await refused('---\nfoo: 1\nbar:\n  - include:\n      file: db/changelog/b.sql\n'), /master\.yaml:2: the changelog has no databaseChangeLog node \(its top-level keys: foo, bar\); Liquibase stops \("Could not find databaseChangeLog node"\)/);
    assert.match(await refused('hello garbage\n'), /master\.yaml:1:1: not a changelog: the file holds a text, .*java\.lang\.String/);
    assert.match(await refused('- include:\n    file: db/changelog/b.sql\n'), /master\.yaml:1:1: not a changelog: the file holds a list, .*java\.util\.ArrayList/);
    assert.match(await refused('{databaseChangeLog: [}\n'), /master\.yaml:1:22: not valid YAML \(unexpected `\}`\); Liquibase stops on this too/);
    assert.match(await refused(''), /master\.yaml: the changelog is empty; Liquibase stops \("Empty file"\)/);
    // databaseChangeLog need not be the first key.
    assert.equal(await refused('---\nfoo: 1\ndatabaseChangeLog:\n  - include:\n      file: db/changelog/b.sql\n'), '');
    assert.deepEqual((await status(options)).status!.filter((s) => s.name).map((s) => [s.name, s.state]), [['db/changelog/b.sql::b::m', 'pending']]);
  });

  it('stops on circular includes as Liquibase 4.28 does ("Circular reference detected", StackOverflowError), never looping; errorOnCircularIncludeAll=false', async () => {
    const db = await pg.createDatabase('lb_circular');
    const project = createProject(
      {
        'liquibase.properties': 'changelog-file=db/changelog/master.yaml\n',
        // An includeAll of the folder that holds the master: Liquibase reads the master three times, then stops.
        'db/changelog/master.yaml': 'databaseChangeLog:\n  - include:\n      file: db/changelog/a.sql\n  - includeAll:\n      path: db/changelog/\n',
        'db/changelog/a.sql': formattedSql('a'),
      },
      { migrationsDir: 'db/changelog' },
    );
    const options = optionsFor(project, pg.url(db), { yes: true });
    let st = await status(options);
    assert.equal(st.usageError, `${project.file('db/changelog/master.yaml')}:4: the includeAll of db/changelog/ names a folder an includeAll already named below the same top includeAll; Liquibase stops ("Circular reference detected in 'db/changelog/'. Set liquibase.errorOnCircularIncludeAll if you'd like to ignore this error.").`);
    // With the check off Liquibase reads on until Java's stack runs out; zdm names the loop, and does not
    // follow it (two changelogs in the folder would make it branch without end).
    project.write('db/changelog/other.yaml', 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/\n');
    st = await status({ ...options, env: { LIQUIBASE_ERROR_ON_CIRCULAR_INCLUDE_ALL: 'false' } });
    assert.match(st.usageError ?? '', /^\S*master\.yaml: the changelog includes itself \(db\/changelog\/master\.yaml -> db\/changelog\/master\.yaml\): Liquibase reads it again and again until it stops with java\.lang\.StackOverflowError/);
    assert.doesNotMatch(st.usageError ?? '', /duplicate/);
    // An include of itself, through another changelog: the same.
    project.remove('db/changelog/other.yaml');
    project.write('db/changelog/master.yaml', 'databaseChangeLog:\n  - include:\n      file: db/changelog/a.sql\n  - include:\n      file: db/changelog/mid.yaml\n');
    project.write('db/changelog/mid.yaml', 'databaseChangeLog:\n  - include:\n      file: master.yaml\n      relativeToChangelogFile: true\n');
    st = await status(options);
    assert.match(st.usageError ?? '', /the changelog includes itself \(db\/changelog\/master\.yaml -> db\/changelog\/mid\.yaml -> db\/changelog\/master\.yaml\)/);
    // Two includeAll of one folder side by side, at the top: each top includeAll starts afresh; not circular.
    project.write('db/changelog/master.yaml', 'databaseChangeLog:\n  - includeAll:\n      path: db/changelog/sub/\n  - includeAll:\n      path: db/changelog/sub/\n');
    project.write('db/changelog/sub/n.yaml', 'databaseChangeLog:\n  - include:\n      file: db/changelog/a.sql\n      errorIfMissing: false\n');
    project.write('db/changelog/sub/README.txt', 'the folder is not empty\n');
    project.remove('db/changelog/a.sql');
    st = await status(options);
    assert.ok(st.ok, explain(st));
  });

  it('passes over an include of `.svn` or `cvs` (any case) without looking, as Liquibase does', async () => {
    const db = await pg.createDatabase('lb_include_svn');
    const project = createProject(
      {
        'liquibase.properties': 'changelog-file=db/changelog/master.xml\n',
        'db/changelog/master.xml':
          '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n  <include file="CVS"/>\n  <include file=".svn"/>\n  <include file="db/changelog/a.sql"/>\n</databaseChangeLog>\n',
        'db/changelog/a.sql': formattedSql('a'),
        // There or not: Liquibase does not read it.
        CVS: 'not a changelog\n',
      },
      { migrationsDir: 'db/changelog' },
    );
    const st = await status(optionsFor(project, pg.url(db), { yes: true }));
    assert.ok(st.ok, explain(st));
    assert.deepEqual(st.status!.map((s) => s.name), ['db/changelog/a.sql::a::m']);
  });
});
