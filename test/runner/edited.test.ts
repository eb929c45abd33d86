// An applied migration edited afterwards: status says "edited", and the linter's
// edited-applied-migration rule flags the changed statement from the runner's local record, without
// touching the database.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { defaultConfig } from '../../server/src/engine/config/config';
import { createDiskHost } from '../../server/src/engine/host';
import { lintText } from '../../server/src/engine/lint';
import { redo, rollback, status, up } from '../../server/src/engine/runner/commands';
import { initParser } from '../helpers/lint';
import { CLI } from '../helpers/paths';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, explain, optionsFor } from './helpers';

const pg = usePostgres({ setup: initParser, cleanup: cleanupProjects });

function lintFile(file: string, format: 'dbmate' | 'liquibase' | 'sqitch' = 'dbmate') {
  const text = fs.readFileSync(file, 'utf8');
  return lintText(file, text, { config: { ...defaultConfig(), format }, host: createDiskHost({ cache: false }) }).findings.filter((f) => f.rule === 'edited-applied-migration');
}

/** The text a finding points at. */
function at(file: string, finding: { span: { start: number; end: number } }): string {
  return fs.readFileSync(file, 'utf8').slice(finding.span.start, finding.span.end);
}

describe('an applied migration edited afterwards', () => {
  it('shows as edited in status, is flagged by the linter at the changed statement, and redo clears it', async () => {
    const db = await pg.createDatabase('edited');
    const original = dbmateFile('-- Users.\nCREATE TABLE users (id bigint PRIMARY KEY);\nCREATE INDEX users_id_idx ON users (id);', 'DROP TABLE users;');
    const project = createProject({ 'db/migrations/20240101000000_users.sql': original, 'db/migrations/20240102000000_posts.sql': dbmateFile('CREATE TABLE posts (id int);', 'DROP TABLE posts;') });
    const file = project.file('db/migrations/20240101000000_users.sql');
    const options = optionsFor(project, pg.url(db), { yes: true });
    let result = await up({ ...options, to: '20240101000000' });
    assert.ok(result.ok, explain(result));

    const record = JSON.parse(fs.readFileSync(path.join(project.root, '.zdm', 'applied.json'), 'utf8'));
    assert.deepEqual(Object.keys(record.migrations), ['db/migrations/20240101000000_users.sql']);
    assert.match(record.database, /:\*\*\*\*@/, 'the record holds the URL with its password masked');
    assert.equal(fs.readFileSync(path.join(project.root, '.zdm', '.gitignore'), 'utf8').trim().split('\n').pop(), '*');
    assert.deepEqual(lintFile(file), [], 'unchanged: no finding');

    // A comment edit is not an edit of what ran.
    fs.writeFileSync(file, original.replace('-- Users.', '-- The users of the app.'));
    assert.deepEqual(lintFile(file), []);
    result = await status(options);
    assert.equal(result.status![0].state, 'applied');

    const edited = original.replace('CREATE INDEX users_id_idx ON users (id);', 'CREATE INDEX users_id_idx ON users (id DESC);');
    fs.writeFileSync(file, edited);
    const findings = lintFile(file);
    assert.equal(findings.length, 1);
    assert.equal(edited.slice(findings[0].span.start, findings[0].span.end), 'CREATE INDEX users_id_idx ON users (id DESC);');
    assert.match(findings[0].message, /applied to the dev database .* and this statement changed since/);

    result = await status(options);
    assert.deepEqual(result.status!.map((s) => s.state), ['edited', 'pending']);
    assert.match(result.status![0].note ?? '', /changed after it was applied/);
    // Applying the others does not touch the edited one.
    result = await up(options);
    assert.deepEqual(result.steps.map((s) => s.version), ['20240102000000']);

    // Roll both back through the edited one, and apply them again: the new text is what ran.
    result = await redo(options);
    assert.ok(result.ok, explain(result));
    result = await rollback({ ...options, to: '0' });
    assert.ok(result.ok, explain(result));
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.status!.map((s) => s.state), ['applied', 'applied']);
    assert.deepEqual(lintFile(file), [], 'the record now holds the new text');
    const [{ indexdef }] = await pg.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = 'users_id_idx'", [], db);
    assert.match(indexdef, /DESC/);
  });
});

const CHANGELOG = `--liquibase formatted sql

--changeset alice:1
CREATE TABLE users (id bigint PRIMARY KEY);
CREATE INDEX users_id_idx ON users (id);
--rollback DROP TABLE users;

--changeset bob:views runOnChange:true
CREATE OR REPLACE VIEW user_ids AS SELECT id FROM users;
--rollback DROP VIEW user_ids;

--changeset carol:3
--precondition-sql-check expectedResult:0 SELECT count(*) FROM users
CREATE TABLE posts (id bigint PRIMARY KEY);
ALTER TABLE posts ADD COLUMN title text;
--rollback DROP TABLE posts;
`;

describe('an applied Liquibase changeset edited afterwards', () => {
  it("is flagged at its first changed statement, by Liquibase's checksum (not spacing); never a runOnChange one", async () => {
    const db = await pg.createDatabase('edited_lb');
    const project = createProject({ 'db/changelog/001.sql': CHANGELOG });
    const file = project.file('db/changelog/001.sql');
    const options = optionsFor(project, pg.url(db), { yes: true });
    let result = await up(options);
    assert.ok(result.ok, explain(result));
    const record = JSON.parse(fs.readFileSync(path.join(project.root, '.zdm', 'applied.json'), 'utf8'));
    assert.deepEqual(record.migrations, {}, 'a changelog is not one migration');
    assert.deepEqual(
      record.changesets['db/changelog/001.sql'].map((c: { id: string; author: string; checksum: string; statements: string[] }) => [c.author, c.id, c.checksum.slice(0, 2), c.statements.length]),
      // The runOnChange changeset is meant to change: not recorded. carol:3's precondition is not one of its statements.
      [['alice', '1', '9:', 2], ['carol', '3', '9:', 2]],
    );
    assert.deepEqual(lintFile(file, 'liquibase'), []);

    // Spacing: not an edit for Liquibase, nor for the rule.
    fs.writeFileSync(file, CHANGELOG.replace('CREATE INDEX users_id_idx ON users (id);', 'CREATE INDEX users_id_idx\n  ON users (id);'));
    assert.deepEqual(lintFile(file, 'liquibase'), []);

    const edited = CHANGELOG.replace('CREATE INDEX users_id_idx ON users (id);', 'CREATE INDEX users_id_idx ON users (id DESC);')
      .replace('SELECT id FROM users;', 'SELECT id, 1 AS one FROM users;')
      .replace('ADD COLUMN title text;', 'ADD COLUMN title varchar(200);');
    fs.writeFileSync(file, edited);
    let findings = lintFile(file, 'liquibase');
    assert.deepEqual(findings.map((f) => at(file, f)), ['CREATE INDEX users_id_idx ON users (id DESC);', 'ALTER TABLE posts ADD COLUMN title varchar(200);']);
    assert.match(findings[0].message, /^Changeset alice:1 was applied to the dev database \(postgres:\/\/.*\) on \d{4}-\d\d-\d\d, and this statement changed since: Liquibase's checksum no longer matches/);

    // zdm status agrees (alice:1 and carol:3 edited, bob's view pending again), and rewrites the record
    // keeping the statements as they ran: the rule still points at the same statements.
    result = await status(options);
    assert.deepEqual(result.status!.map((s) => s.state), ['edited', 'pending', 'edited']);
    findings = lintFile(file, 'liquibase');
    assert.deepEqual(findings.map((f) => at(file, f)), ['CREATE INDEX users_id_idx ON users (id DESC);', 'ALTER TABLE posts ADD COLUMN title varchar(200);']);

    // zdm lint reports them too.
    const lint = spawnSync(process.execPath, [CLI, 'lint', '--format', 'json', file], { cwd: project.root, encoding: 'utf8' });
    const lines = JSON.parse(lint.stdout).filter((x: { rule: string }) => x.rule === 'edited-applied-migration').map((x: { line: number }) => x.line);
    assert.deepEqual(lines, [5, 15], lint.stdout + lint.stderr);

    // Listing the stored checksum in --validCheckSum accepts the edit, as Liquibase accepts it.
    const stored = JSON.parse(fs.readFileSync(path.join(project.root, '.zdm', 'applied.json'), 'utf8')).changesets['db/changelog/001.sql'][0].checksum;
    fs.writeFileSync(file, edited.replace('--changeset alice:1\n', `--changeset alice:1\n--validCheckSum: ${stored}\n`));
    assert.deepEqual(lintFile(file, 'liquibase').map((f) => at(file, f)), ['ALTER TABLE posts ADD COLUMN title varchar(200);']);
  });

  it('applied by Liquibase itself (no statements recorded by zdm): flagged at the statement the earlier record knew, else at the changeset line', async () => {
    const db = await pg.createDatabase('edited_lb_tool');
    const project = createProject({ 'db/changelog/001.sql': CHANGELOG });
    const file = project.file('db/changelog/001.sql');
    const options = optionsFor(project, pg.url(db), { yes: true });
    assert.ok((await up(options)).ok);
    // As if Liquibase had run them: its table only.
    await pg.query('DELETE FROM zdm_migrations', [], db);
    let result = await status(options);
    assert.deepEqual(result.status!.map((s) => s.state), ['applied', 'applied', 'applied']);
    const edited = CHANGELOG.replace('CREATE INDEX users_id_idx ON users (id);', 'CREATE INDEX users_id_idx ON users (id DESC);');
    fs.writeFileSync(file, edited);
    result = await status(options);
    assert.equal(result.status![0].state, 'edited');
    assert.deepEqual(lintFile(file, 'liquibase').map((f) => at(file, f)), ['CREATE INDEX users_id_idx ON users (id DESC);']);
    // With no record of its statements (a fresh checkout): the changeset's line.
    fs.rmSync(path.join(project.root, '.zdm', 'applied.json'));
    await status(options);
    assert.deepEqual(lintFile(file, 'liquibase').map((f) => at(file, f)), ['--changeset alice:1']);
  });
});

describe('an applied sqitch change edited afterwards', () => {
  it('is flagged in its deploy script at the changed statement', async () => {
    const db = await pg.createDatabase('edited_sqitch');
    const planner = 'Ann Planner <ann@example.org>';
    const deploy = '-- Deploy p:users to pg\nBEGIN;\nCREATE TABLE users (id bigint PRIMARY KEY);\nCREATE INDEX users_id_idx ON users (id);\nCOMMIT;\n';
    const project = createProject({
      'sqitch.plan': `%syntax-version=1.0.0\n%project=p\n\nusers 2024-01-02T10:00:00Z ${planner} # u\n`,
      'sqitch.conf': '[core]\n\tengine = pg\n',
      'deploy/users.sql': deploy,
      'revert/users.sql': 'DROP TABLE users;\n',
    });
    const file = project.file('deploy/users.sql');
    const options = optionsFor(project, pg.url(db), { yes: true, env: { SQITCH_USER_CONFIG: '/nonexistent', SQITCH_FULLNAME: 'T', SQITCH_EMAIL: 't@example.org' } });
    assert.ok((await up(options)).ok);
    assert.deepEqual(lintFile(file, 'sqitch'), []);
    fs.writeFileSync(file, deploy.replace('ON users (id);', 'ON users (id DESC);'));
    const findings = lintFile(file, 'sqitch');
    assert.deepEqual(findings.map((f) => at(file, f)), ['CREATE INDEX users_id_idx ON users (id DESC);']);
    assert.deepEqual(lintFile(project.file('revert/users.sql'), 'sqitch'), [], 'a revert script is not what ran');
  });
});
