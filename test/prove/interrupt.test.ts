// Throwaway databases never outlive a run: the CLI interrupted with SIGINT (Ctrl-C) drops its database
// before it exits; a CLI killed outright (SIGKILL, nothing runs) leaves one, and the next run drops it
// by its name (zdm_<purpose>_<pid>_...: the pid is gone and nobody is connected).

import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, it } from 'node:test';
import { roundTrip } from '../../server/src/engine/prove/roundtrip';
import { usePostgres } from '../helpers/postgres';
import { CLI } from '../helpers/paths';
import { cleanupProjects, createProject, dbmateFile } from '../runner/helpers';
import { proveOptions, throwawaysOn, until } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

const SLOW = dbmateFile('CREATE TABLE slow (id int);\nSELECT pg_sleep(60);', 'DROP TABLE slow;');

function start(args: string[], cwd: string, url: string): { child: ChildProcess; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, DATABASE_URL: url, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.resume();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, exit, stderr: () => stderr };
}

/** Waits until the CLI's migration is sleeping inside its throwaway database, and returns that database. */
async function sleepingIn(prefix: string): Promise<string> {
  return until(`a statement sleeping in a ${prefix} database`, async () => {
    const rows = await pg.query<{ datname: string }>(`SELECT datname FROM pg_stat_activity WHERE datname LIKE $1 AND state = 'active' AND query LIKE '%pg_sleep%'`, [`${prefix}%`]);
    return rows[0]?.datname;
  });
}

describe('interrupted runs', () => {
  it('SIGINT during zdm roundtrip: the throwaway database is dropped before the CLI exits (130)', async () => {
    const db = await pg.createDatabase('int_rt');
    const project = createProject({ 'db/migrations/20240101000000_slow.sql': SLOW });
    const run = start(['roundtrip'], project.root, pg.url(db));
    const name = await sleepingIn('zdm\\_roundtrip\\_');
    assert.ok((await throwawaysOn(pg)).includes(name));
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 130, run.stderr());
    assert.match(run.stderr(), new RegExp(`SIGINT: dropping the throwaway database ${name}`));
    assert.deepEqual(await throwawaysOn(pg), []);
  });

  it('SIGINT during zdm trace: the same', async () => {
    const db = await pg.createDatabase('int_trace');
    const project = createProject({ 'db/migrations/20240101000000_slow.sql': SLOW });
    const run = start(['trace', 'db/migrations/20240101000000_slow.sql'], project.root, pg.url(db));
    await sleepingIn('zdm\\_trace\\_');
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 130, run.stderr());
    assert.deepEqual(await throwawaysOn(pg), []);
  });

  it('SIGINT during zdm up: says the migration under way is rolled back, exits 130, and nothing of it is recorded', async () => {
    const db = await pg.createDatabase('int_up');
    const project = createProject({ 'db/migrations/20240101000000_slow.sql': SLOW });
    const run = start(['up'], project.root, pg.url(db));
    await until('the migration sleeping', async () => ((await pg.query(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE '%pg_sleep%'`, [db])).length > 0 ? true : undefined));
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 130, run.stderr());
    // The runner cancels the statement (runner.md, Stopping a run): the migration fails, rolled back, before the process exits.
    assert.match(run.stderr(), /zdm up: interrupted \(SIGINT\): cancelling the running statement/);
    assert.match(run.stderr(), /db\/migrations\/20240101000000_slow\.sql:\d+:\d+: canceling statement due to user request[^]*The migration was rolled back/);
    await until('the session to end', async () => ((await pg.query(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep%' AND state = 'active'`, [db])).length === 0 ? true : undefined));
    assert.deepEqual(await pg.query(`SELECT to_regclass('slow') AS t`, [], db), [{ t: null }]);
    assert.deepEqual(await pg.query(`SELECT version FROM schema_migrations`, [], db), []);
  });

  it('SIGKILL leaves the database behind; the next run recognises it by its name and drops it', async () => {
    const db = await pg.createDatabase('int_kill');
    const project = createProject({ 'db/migrations/20240101000000_slow.sql': SLOW });
    const run = start(['roundtrip'], project.root, pg.url(db));
    const name = await sleepingIn('zdm\\_roundtrip\\_');
    run.child.kill('SIGKILL');
    await run.exit;
    // The server notices the dead client within client_connection_check_interval (1 s) and ends its session.
    await until('the killed session to end', async () => ((await pg.query(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`, [name])).length === 0 ? true : undefined));
    assert.deepEqual(await throwawaysOn(pg), [name], 'nothing ran to drop it');

    const other = createProject({ 'db/migrations/20240101000000_quick.sql': dbmateFile('CREATE TABLE quick (id int);', 'DROP TABLE quick;') });
    const events: string[] = [];
    const result = await roundTrip({ ...proveOptions(other, pg.url(await pg.createDatabase('int_next'))), onEvent: (e) => events.push(e.message) });
    assert.equal(result.ok, true, JSON.stringify(result.findings));
    assert.ok(events.some((m) => m === `Dropped 1 throwaway database left by an interrupted run: ${name}`), events.join('\n'));
    assert.deepEqual(await throwawaysOn(pg), []);
  });
});
