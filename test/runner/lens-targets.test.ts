// The runner's CodeLenses without VS Code (client/src/runner/lens-targets.ts): where each goes and what
// it runs; then, on the real PostgreSQL, that what a sqitch script's or a Liquibase changeset's lens runs
// (`zdm up --to` / `zdm rollback --through` with its target) stops where the lens stands.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runnerLenses, type RunnerLens } from '../../client/src/runner/lens-targets';
import { createDiskHost } from '../../server/src/engine/host';
import { loadProject, rollback, status, up } from '../../server/src/engine/runner/commands';
import { parseSqitchPlan } from '../../server/src/engine/runner/sqitch-plan';
import { initParser } from '../../server/src/engine/sql/parser';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, explain, optionsFor, type TestProject } from './helpers';

const pg = usePostgres({ setup: initParser, cleanup: cleanupProjects });

const planner = 'Ann Planner <ann@example.org>';
const PLAN = `%syntax-version=1.0.0
%project=flipr

users 2024-01-02T10:00:00Z ${planner} # Creates the users table.
@v1.0 2024-01-03T10:00:00Z ${planner} # Tag v1.0.
posts [users] 2024-01-04T10:00:00Z ${planner} # Adds posts.
schema/tags 2024-01-05T10:00:00Z ${planner} # A change in a subfolder.
users [users@v1.0] 2024-01-06T10:00:00Z ${planner} # Reworks users: a bio.
`;

const SQITCH: Record<string, string> = {
  'sqitch.plan': PLAN,
  'sqitch.conf': '[core]\n\tengine = pg\n',
  'deploy/users@v1.0.sql': 'CREATE TABLE users (id bigint PRIMARY KEY);\n',
  'revert/users@v1.0.sql': 'DROP TABLE users;\n',
  'deploy/posts.sql': 'CREATE TABLE posts (id bigint PRIMARY KEY);\n',
  'revert/posts.sql': 'DROP TABLE posts;\n',
  'deploy/schema/tags.sql': 'CREATE TABLE tags (id bigint PRIMARY KEY);\n',
  'revert/schema/tags.sql': 'DROP TABLE tags;\n',
  'deploy/users.sql': 'ALTER TABLE users ADD COLUMN bio text;\n',
  'revert/users.sql': 'ALTER TABLE users DROP COLUMN bio;\n',
  'verify/users.sql': 'SELECT bio FROM users WHERE false;\n',
};

const CHANGELOG = `--liquibase formatted sql

--changeset alice:1
CREATE TABLE a (id int);
--rollback DROP TABLE a;

--changeset alice:2 ignore:true
CREATE TABLE never (id int);

--changeset bob:3
CREATE TABLE b (id int);

--changeset bob:4
CREATE TABLE c (id int);
--rollback DROP TABLE c;
`;

function lensesOf(project: TestProject, file: string): RunnerLens[] {
  const full = project.file(file);
  return runnerLenses(full, fs.readFileSync(full, 'utf8'), createDiskHost({ cache: false }));
}

const short = (lenses: RunnerLens[], root: string) => lenses.map((l) => [l.line, l.command, l.target.version.replace(root + path.sep, '')]);

describe('runner CodeLenses (lens-targets.ts)', () => {
  it('a file with a version: up to it above its up section, roll back through it above its down section', () => {
    const project = createProject({ 'db/migrations/20240101000000_users.sql': '-- a comment\n-- migrate:up\nCREATE TABLE users (id int);\n\n-- migrate:down\nDROP TABLE users;\n' });
    assert.deepEqual(short(lensesOf(project, 'db/migrations/20240101000000_users.sql'), project.root), [
      [1, 'zdm.migrateUp', '20240101000000'],
      [4, 'zdm.rollback', '20240101000000'],
    ]);
  });

  it('a sqitch deploy script migrates up to its change, a revert script rolls back through it, named as the runner names them (a reworked change: name@tag, its rework name@HEAD; its revert scripts by their change ids)', async () => {
    const project = createProject(SQITCH);
    const ids = parseSqitchPlan(PLAN).changes.map((c) => c.id);
    const cases: [string, RunnerLens['command'], string][] = [
      ['deploy/users@v1.0.sql', 'zdm.migrateUp', 'users@v1.0'],
      // A rollback reads names among the deployed changes (users@HEAD: the latest DEPLOYED users): each version of a reworked change by its id.
      ['revert/users@v1.0.sql', 'zdm.rollback', ids[0]],
      ['deploy/posts.sql', 'zdm.migrateUp', 'posts'],
      ['revert/posts.sql', 'zdm.rollback', 'posts'],
      ['deploy/schema/tags.sql', 'zdm.migrateUp', 'schema/tags'],
      // sqitch refuses the bare name users as ambiguous (planned twice): the rework is users@HEAD.
      ['deploy/users.sql', 'zdm.migrateUp', 'users@HEAD'],
      ['revert/users.sql', 'zdm.rollback', ids[3]],
    ];
    for (const [file, command, change] of cases) assert.deepEqual(short(lensesOf(project, file), project.root), [[0, command, change]], file);
    // A verify script is not run; a script no change of the plan has is not a migration.
    assert.deepEqual(lensesOf(project, 'verify/users.sql'), []);
    project.write('deploy/unplanned.sql', 'SELECT 1;\n');
    assert.deepEqual(lensesOf(project, 'deploy/unplanned.sql'), []);
    // The runner's own names for the same scripts: each lens names the migration its file is the script of (the rework, by @HEAD).
    const loaded = await loadProject({ cwd: project.root });
    for (const [i, m] of loaded.loadedMigrations.migrations.entries()) {
      const name = m.key === 'users' ? 'users@HEAD' : m.key;
      assert.equal(runnerLenses(m.upPath, fs.readFileSync(m.upPath, 'utf8'), createDiskHost({ cache: false }))[0].target.version, name, m.upPath);
      assert.equal(runnerLenses(m.down!.path, fs.readFileSync(m.down!.path, 'utf8'), createDiskHost({ cache: false }))[0].target.version, m.key.startsWith('users') ? ids[i] : name, m.down!.path);
    }
  });

  it('each Liquibase changeset line gets its own pair, naming the changeset by file, id and author; no rollback lens without a rollback', () => {
    const project = createProject({ 'db/changelog/001.sql': CHANGELOG });
    assert.deepEqual(short(lensesOf(project, 'db/changelog/001.sql'), project.root), [
      [2, 'zdm.migrateUp', 'db/changelog/001.sql::1::alice'],
      [2, 'zdm.rollback', 'db/changelog/001.sql::1::alice'],
      // alice:2 is ignore:true: Liquibase leaves it out.
      [9, 'zdm.migrateUp', 'db/changelog/001.sql::3::bob'],
      [12, 'zdm.migrateUp', 'db/changelog/001.sql::4::bob'],
      [12, 'zdm.rollback', 'db/changelog/001.sql::4::bob'],
    ]);
  });
});

describe('what the lenses run', () => {
  it('sqitch: migrate up to a change and roll back through it, by the names the lenses give', async () => {
    const db = await pg.createDatabase('lens_sqitch');
    const project = createProject(SQITCH);
    const options = optionsFor(project, pg.url(db), { yes: true, env: { SQITCH_USER_CONFIG: '/nonexistent', SQITCH_FULLNAME: 'T', SQITCH_EMAIL: 't@example.org' } });
    const [toPosts] = lensesOf(project, 'deploy/posts.sql');
    const first = await up({ ...options, to: toPosts.target.version });
    assert.ok(first.ok, explain(first));
    assert.deepEqual(first.steps.map((s) => s.name), ['users@v1.0', 'posts']);
    // The rework's lenses: its bare name users would be refused as ambiguous, as sqitch refuses it.
    const [toRework] = lensesOf(project, 'deploy/users.sql');
    const second = await up({ ...options, to: toRework.target.version });
    assert.ok(second.ok, explain(second));
    assert.deepEqual(second.steps.map((s) => s.name), ['schema/tags', 'users']);
    const [backRework] = lensesOf(project, 'revert/users.sql');
    const reworkBack = await rollback({ ...options, through: backRework.target.version });
    assert.ok(reworkBack.ok, explain(reworkBack));
    assert.deepEqual(reworkBack.steps.map((s) => [s.name, s.direction]), [['users', 'down']]);
    assert.ok((await up({ ...options, to: toRework.target.version })).ok);
    const [back] = lensesOf(project, 'revert/posts.sql');
    const third = await rollback({ ...options, through: back.target.version });
    assert.ok(third.ok, explain(third));
    assert.deepEqual(third.steps.map((s) => [s.name, s.direction]), [['users', 'down'], ['schema/tags', 'down'], ['posts', 'down']]);
    const st = await status(options);
    assert.deepEqual(st.status!.map((s) => [s.name, s.state]), [['users@v1.0', 'applied'], ['posts', 'pending'], ['schema/tags', 'pending'], ['users', 'pending']]);
  });

  it('Liquibase: --to and --through take the lens target, a position, an id, id::author or path::id::author; an ambiguous one is refused with the matches', async () => {
    const db = await pg.createDatabase('lens_lb');
    const project = createProject({
      'db/changelog/001.sql': CHANGELOG,
      'db/changelog/002.sql': '--liquibase formatted sql\n--changeset carol:1\nCREATE TABLE d (id int);\n--rollback DROP TABLE d;\n--changeset carol:last\nCREATE TABLE e (id int);\n--rollback DROP TABLE e;\n',
    });
    const options = optionsFor(project, pg.url(db), { yes: true });
    const lenses = lensesOf(project, 'db/changelog/001.sql');
    const first = await up({ ...options, to: lenses[2].target.version }); // bob:3's "Migrate up to here"
    assert.ok(first.ok, explain(first));
    assert.deepEqual(first.steps.map((s) => s.name), ['db/changelog/001.sql::1::alice', 'db/changelog/001.sql::3::bob']);
    // id::author ("1" alone is a position: changeset ids are often numbers).
    const byId = await up({ ...options, to: '1::carol' });
    assert.ok(byId.ok, explain(byId));
    assert.deepEqual(byId.steps.map((s) => s.name), ['db/changelog/001.sql::4::bob', 'db/changelog/002.sql::1::carol']);
    const byName = await up({ ...options, to: 'last' });
    assert.deepEqual(byName.steps.map((s) => s.name), ['db/changelog/002.sql::last::carol']);
    // Rolling back through bob:4 by its path relative to the root (as zdm status prints it).
    const back = await rollback({ ...options, through: 'db/changelog/001.sql::4::bob' });
    assert.ok(back.ok, explain(back));
    assert.deepEqual(back.steps.map((s) => s.name), ['db/changelog/002.sql::last::carol', 'db/changelog/002.sql::1::carol', 'db/changelog/001.sql::4::bob']);
    // The lens's "Roll back to here" on alice:1: bob:3 has no rollback, so it is refused, as Liquibase refuses it.
    const refused = await rollback({ ...options, through: lenses[1].target.version });
    assert.match(refused.error?.message ?? '', /Cannot roll back db\/changelog\/001\.sql::3::bob: the changeset has no --rollback/);
    // An id two changesets have: refused, listing both.
    project.write('db/changelog/003.sql', '--liquibase formatted sql\n--changeset dave:x1\nCREATE TABLE f (id int);\n--changeset erin:x1\nCREATE TABLE g (id int);\n');
    const twice = await up({ ...options, to: 'x1' });
    assert.equal(twice.ok, false);
    assert.equal(twice.usageError, 'Ambiguous changeset x1: 2 changesets answer to it: db/changelog/003.sql::x1::dave (6), db/changelog/003.sql::x1::erin (7). Name one as id::author, path::id::author or by its position.');
    assert.deepEqual(twice.steps, []);
    const unknown = await up({ ...options, to: 'nope::alice' });
    assert.equal(unknown.usageError, 'No migration has version nope::alice.');
    const position = await up({ ...options, to: '6' });
    assert.deepEqual(position.steps.map((s) => s.name), ['db/changelog/001.sql::4::bob', 'db/changelog/002.sql::1::carol', 'db/changelog/002.sql::last::carol', 'db/changelog/003.sql::x1::dave']);
  });
});
