// How the CLI names sqitch changes and Liquibase changesets in its text lines (zdm up, zdm status), and
// what its help says --to and --through take; JSON output keeps its fields (only `format` was added).

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RUNNER_HELP, runRunnerCommand } from '../../server/src/cli/runner-commands';
import { initParser } from '../../server/src/engine/sql/parser';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, type TestProject } from './helpers';

const pg = usePostgres({ setup: initParser, cleanup: cleanupProjects });

async function zdm(project: TestProject, url: string, command: 'up' | 'status' | 'rollback', ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const env = { DATABASE_URL: url, SQITCH_USER_CONFIG: '/nonexistent', SQITCH_FULLNAME: 'T', SQITCH_EMAIL: 't@example.org' };
  const io = { cwd: project.root, stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s), isTTY: false, env };
  const code = await runRunnerCommand(command, [...args, '--no-color'], io);
  return { code, stdout, stderr };
}

/** Status lines without their applied time. */
const lines = (stdout: string) => stdout.split('\n').filter((l) => /^(applied|pending|edited|missing|failed) /.test(l)).map((l) => l.replace(/\s+\d{4}-\d\d-\d\d \S+/, '').trimEnd());

const planner = 'Ann Planner <ann@example.org>';

describe("the CLI's lines", () => {
  it('name a sqitch change by its name (name@tag for a reworked one), not by its deploy script', async () => {
    const db = await pg.createDatabase('cli_sqitch');
    const project = createProject({
      'sqitch.plan': `%syntax-version=1.0.0\n%project=p\n\nusers 2024-01-02T10:00:00Z ${planner} # u\n@v1.0 2024-01-03T10:00:00Z ${planner} # t\nposts 2024-01-04T10:00:00Z ${planner} # p\nusers [users@v1.0] 2024-01-06T10:00:00Z ${planner} # rework\n`,
      'sqitch.conf': '[core]\n\tengine = pg\n',
      'deploy/users@v1.0.sql': 'CREATE TABLE users (id bigint);\n',
      'revert/users@v1.0.sql': 'DROP TABLE users;\n',
      'deploy/posts.sql': 'CREATE TABLE posts (id bigint);\n',
      'revert/posts.sql': 'DROP TABLE posts;\n',
      'deploy/users.sql': 'ALTER TABLE users ADD COLUMN bio text;\n',
      'revert/users.sql': 'ALTER TABLE users DROP COLUMN bio;\n',
    });
    const run = await zdm(project, pg.url(db), 'up', '--to', 'posts');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.split('\n').filter((l) => l.startsWith('↑')).map((l) => l.replace(/ \(.*$/, '')), ['↑ users@v1.0', '↑ posts']);
    const st = await zdm(project, pg.url(db), 'status');
    assert.deepEqual(lines(st.stdout), ['applied  1        users@v1.0', 'applied  2        posts', 'pending  3        users']);
    const json = JSON.parse((await zdm(project, pg.url(db), 'status', '--format', 'json')).stdout);
    assert.deepEqual(
      json.status.map((e: Record<string, unknown>) => [e.version, e.name, (e.file as string).slice(project.root.length + 1), e.format, e.state]),
      [
        ['1', 'users@v1.0', 'deploy/users@v1.0.sql', 'sqitch', 'applied'],
        ['2', 'posts', 'deploy/posts.sql', 'sqitch', 'applied'],
        ['3', 'users', 'deploy/users.sql', 'sqitch', 'pending'],
      ],
    );
  });

  it('name a Liquibase changeset by its file, id and author', async () => {
    const db = await pg.createDatabase('cli_lb');
    const project = createProject({ 'db/changelog/001.sql': '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE a (id int);\n--rollback DROP TABLE a;\n--changeset bob:2\nCREATE TABLE b (id int);\n' });
    const run = await zdm(project, pg.url(db), 'up', '--to', '1::alice');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.split('\n').filter((l) => l.startsWith('↑')).map((l) => l.replace(/ \(.*$/, '')), ['↑ db/changelog/001.sql::1::alice']);
    const st = await zdm(project, pg.url(db), 'status');
    assert.deepEqual(lines(st.stdout), ['applied  1        db/changelog/001.sql::1::alice', 'pending  2        db/changelog/001.sql::2::bob']);
  });

  it("help says --to and --through take sqitch's change names and @tags and a Liquibase changeset's identity", () => {
    for (const command of ['up', 'rollback']) {
      assert.match(RUNNER_HELP[command], /sqitch change is named as sqitch names it \(not by\nits position\): its name, name@tag or @tag/, command);
      assert.match(RUNNER_HELP[command], /Liquibase changeset by its position, its id,\nid::author or path::id::author/, command);
    }
  });
});
