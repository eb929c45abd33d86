// Compatibility with the real dbmate binary (a peer installed at test time from npm, never a
// dependency): on one database, migrations applied by either tool are seen as applied by the other.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { rollback, status, up } from '../../server/src/engine/runner/commands';
import { REPO_ROOT } from '../helpers/paths';
import { stopTestPostgres, testPostgres, type TestPostgres } from '../helpers/postgres';
import { defaultConfig } from '../../server/src/engine/config/config';
import { createDiskHost } from '../../server/src/engine/host';
import { lintText } from '../../server/src/engine/lint';
import { initParser } from '../../server/src/engine/sql/parser';
import { cleanupProjects, createProject, dbmateFile, explain, optionsFor, rowsOf } from './helpers';

let pg: TestPostgres;
let dbmate: string | undefined;
let skipReason: string | undefined;

before(async () => {
  pg = await testPostgres();
  await initParser();
  try {
    const peers = (await import(pathToFileURL(path.join(REPO_ROOT, 'scripts', 'peers.mjs')).href)) as { ensurePeers(specs: string[]): string };
    dbmate = path.join(peers.ensurePeers(['dbmate']), 'dbmate');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Only an unreachable registry is a reason to skip; anything else is a failure.
    if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network|registry/i.test(message)) skipReason = `npm registry unreachable, dbmate not installed: ${message.split('\n')[0]}`;
    else throw error;
  }
});
after(async () => {
  cleanupProjects();
  await stopTestPostgres();
});

function runDbmate(url: string, dir: string, ...args: string[]): { out: string; code: number | null } {
  const result = spawnSync(dbmate!, ['--url', url, '--migrations-dir', dir, '--no-dump-schema', ...args], { encoding: 'utf8' });
  return { out: result.stdout + result.stderr, code: result.status };
}

/** dbmate's own view: the [X]/[ ] lines of `dbmate status`. */
function dbmateStatus(url: string, dir: string): string[] {
  const { out } = runDbmate(url, dir, 'status');
  return out
    .split('\n')
    .filter((l) => /^\[[X ]\]/.test(l))
    .map((l) => l.trim());
}

const files = {
  'db/migrations/20240101000000_users.sql': dbmateFile('CREATE TABLE users (id bigint PRIMARY KEY, email text);', 'DROP TABLE users;'),
  'db/migrations/20240102000000_users_email_idx.sql': dbmateFile('CREATE INDEX CONCURRENTLY users_email_idx ON users (email);', 'DROP INDEX CONCURRENTLY users_email_idx;', { upTransaction: false, downTransaction: false }),
  'db/migrations/20240103000000_posts.sql': dbmateFile('CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));', 'DROP TABLE posts;'),
};

describe('compatibility with the dbmate binary', () => {
  it('dbmate applies, zdm sees it applied and continues; zdm rolls back, dbmate sees it pending and re-applies', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const db = await pg.createDatabase('dbmate_first');
    const url = `${pg.url(db)}?sslmode=disable`;
    const project = createProject(files);
    const dir = project.file('db/migrations');
    const options = optionsFor(project, url, { yes: true });

    let run = runDbmate(url, dir, 'up');
    assert.equal(run.code, 0, run.out);
    assert.ok(runDbmate(url, dir, 'rollback').code === 0);
    let st = await status(options);
    assert.ok(st.ok, explain(st));
    assert.deepEqual(st.status!.map((s) => [s.version, s.state]), [['20240101000000', 'applied'], ['20240102000000', 'applied'], ['20240103000000', 'pending']]);
    assert.match(st.status![0].note ?? '', /applied without zdm/);

    let result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.steps.map((s) => s.version), ['20240103000000']);
    assert.deepEqual(dbmateStatus(url, dir), ['[X] 20240101000000_users.sql', '[X] 20240102000000_users_email_idx.sql', '[X] 20240103000000_posts.sql']);
    run = runDbmate(url, dir, 'up');
    assert.equal(run.code, 0, run.out);
    assert.doesNotMatch(run.out, /Applying/, 'dbmate finds nothing to apply');

    result = await rollback(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(dbmateStatus(url, dir), ['[X] 20240101000000_users.sql', '[X] 20240102000000_users_email_idx.sql', '[ ] 20240103000000_posts.sql']);
    run = runDbmate(url, dir, 'up');
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /Applying: 20240103000000_posts\.sql/);
    st = await status(options);
    assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'applied', 'applied']);
  });

  it('zdm applies, dbmate sees it applied, rolls back and re-applies; zdm follows', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const db = await pg.createDatabase('zdm_first');
    const url = `${pg.url(db)}?sslmode=disable`;
    const project = createProject(files);
    const dir = project.file('db/migrations');
    const options = optionsFor(project, url, { yes: true });

    const result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(dbmateStatus(url, dir), ['[X] 20240101000000_users.sql', '[X] 20240102000000_users_email_idx.sql', '[X] 20240103000000_posts.sql']);
    let run = runDbmate(url, dir, 'rollback');
    assert.equal(run.code, 0, run.out);
    run = runDbmate(url, dir, 'rollback');
    assert.equal(run.code, 0, run.out);
    let st = await status(options);
    assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'pending', 'pending']);
    // zdm's checksum row of a migration dbmate rolled back is stale; it is replaced when zdm applies it again.
    const again = await up(options);
    assert.ok(again.ok, explain(again));
    assert.deepEqual(again.steps.map((s) => s.version), ['20240102000000', '20240103000000']);
    assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), ['20240101000000', '20240102000000', '20240103000000'].map((version) => JSON.stringify({ version })));
    st = await status(options);
    assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'applied', 'applied']);
    run = runDbmate(url, dir, 'up');
    assert.equal(run.code, 0, run.out);
    assert.doesNotMatch(run.out, /Applying/);
  });

  it('a transaction:false block is one query string: alone, CREATE INDEX CONCURRENTLY runs; beside SET lock_timeout it fails, with dbmate and with zdm, and zdm lint says so', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const together = dbmateFile("SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);", 'DROP INDEX CONCURRENTLY users_email_idx;', { upTransaction: false, downTransaction: false });
    const twoFiles = { 'db/migrations/20240101000000_users.sql': files['db/migrations/20240101000000_users.sql'], 'db/migrations/20240102000000_users_email_idx.sql': together };
    for (const who of ['dbmate', 'zdm'] as const) {
      const db = await pg.createDatabase(`one_string_${who}`);
      const url = `${pg.url(db)}?sslmode=disable`;
      const project = createProject(twoFiles);
      if (who === 'dbmate') {
        const run = runDbmate(url, project.file('db/migrations'), 'up');
        assert.notEqual(run.code, 0, run.out);
        assert.match(run.out, /CREATE INDEX CONCURRENTLY cannot run inside a transaction block/);
      } else {
        const result = await up(optionsFor(project, url));
        assert.equal(result.ok, false);
        assert.equal(result.error!.code, '25001');
        const lint = lintText(project.file('db/migrations/20240102000000_users_email_idx.sql'), together, { config: defaultConfig(), host: createDiskHost() });
        assert.ok(lint.findings.some((f) => f.rule === 'ban-concurrent-index-creation-in-transaction' && /one query string/.test(f.message)));
      }
      assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), [JSON.stringify({ version: '20240101000000' })]);
    }
  });
});
