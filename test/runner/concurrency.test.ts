// Two runners at once (the advisory lock), and a runner process killed in the middle of a migration:
// afterwards status tells the truth and a new `up` finishes the job.

import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { status, up } from '../../server/src/engine/runner/commands';
import { CLI } from '../helpers/paths';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, explain, gooseFile, optionsFor, rowsOf } from './helpers';
import { until } from '../helpers/wait';

const pg = usePostgres({ cleanup: cleanupProjects });


/** The migration sleeps as long as test_control says (set to 0 to let it through). */
const SLEEP = 'SELECT pg_sleep(coalesce((SELECT seconds FROM test_control), 0));';

async function sleeping(database: string): Promise<number | undefined> {
  // A transactional migration is sent as one query string: its text holds the pg_sleep call.
  const rows = await pg.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'zdm%' AND query LIKE '%pg_sleep%' AND state = 'active'", [database]);
  return rows[0]?.pid;
}

describe('two runners at once', () => {
  it('the second fails fast with a clear message, or waits with --wait; the migration runs once', async () => {
    const db = await pg.createDatabase('two_runners');
    await pg.query('CREATE TABLE test_control (seconds float)', [], db);
    await pg.query('INSERT INTO test_control VALUES (60)', [], db);
    const project = createProject({
      'db/migrations/20240101000000_slow.sql': dbmateFile(`CREATE TABLE slow (id int);\n${SLEEP}`, 'DROP TABLE slow;'),
    });
    const first = up(optionsFor(project, pg.url(db)));
    await until('the first runner to be inside its migration', () => sleeping(db));

    const second = await up(optionsFor(project, pg.url(db)));
    assert.equal(second.ok, false);
    assert.deepEqual(second.steps, []);
    assert.match(second.error!.message, /Another migration runner holds the migration lock on this database: process \d+ \(zdm up\)/);

    const waiting = up(optionsFor(project, pg.url(db), { wait: true }));
    await until('the waiting runner to queue for the lock', async () => {
      const rows = await pg.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", [], db);
      return rows.length > 0 ? true : undefined;
    });
    await pg.query('UPDATE test_control SET seconds = 0', [], db);
    await pg.query("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'zdm%' AND query LIKE $2 AND state = 'active'", [db, '%pg_sleep%'], db);

    const firstResult = await first;
    // The sleep was cancelled: the first runner's migration failed and rolled back as one transaction.
    assert.equal(firstResult.ok, false);
    assert.equal(firstResult.error!.code, '57014');
    const waited = await waiting;
    assert.ok(waited.ok, explain(waited));
    assert.deepEqual(waited.steps.map((s) => [s.version, s.ok]), [['20240101000000', true]]);
    assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), [JSON.stringify({ version: '20240101000000' })]);
    const locks = await pg.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory'", [], db);
    assert.equal(locks.length, 0, 'every runner released the lock');
  });
});

/** The versions goose's table records as applied (its first row, version 0, left out). */
async function gooseVersions(db: string): Promise<string[]> {
  const rows = await pg.query<{ version_id: string }>('SELECT version_id FROM goose_db_version WHERE version_id <> 0 AND is_applied ORDER BY id', [], db);
  return rows.map((r) => String(r.version_id));
}

describe('a runner killed in the middle of a migration', () => {
  for (const kind of ['transactional', 'non-transactional'] as const) {
    it(`${kind}: status is still right, and a new up finishes the job`, async () => {
      assert.ok(fs.existsSync(CLI), `${CLI} is missing: run npm run build`);
      const db = await pg.createDatabase(`killed_${kind === 'transactional' ? 'tx' : 'notx'}`);
      await pg.query('CREATE TABLE test_control (seconds float)', [], db);
      await pg.query('INSERT INTO test_control VALUES (600)', [], db);
      // Non-transactional: goose NO TRANSACTION, whose statements go one at a time (a dbmate
      // transaction:false block is one query string, one implicit transaction).
      const project = createProject({
        'db/migrations/20240101000000_first.sql': gooseFile('CREATE TABLE first (id int);', 'DROP TABLE first;'),
        'db/migrations/20240102000000_slow.sql': gooseFile(`CREATE TABLE before_sleep (id int);\n${SLEEP}\nCREATE TABLE after_sleep (id int);`, 'DROP TABLE after_sleep;\nDROP TABLE before_sleep;', { noTransaction: kind !== 'transactional' }),
      });
      const child = spawn(process.execPath, [CLI, 'up', '--format', 'jsonl'], { cwd: project.root, env: { ...process.env, DATABASE_URL: pg.url(db) }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await until('the CLI to be inside the slow migration', () => sleeping(db));
      } catch (error) {
        child.kill('SIGKILL');
        throw new Error(`${(error as Error).message}\n${output}`);
      }
      child.kill('SIGKILL');
      await exited;
      // The server notices the dead client (client_connection_check_interval) and ends its session.
      await until('the killed session to end', async () => ((await sleeping(db)) === undefined ? true : undefined));

      const options = optionsFor(project, pg.url(db));
      const st = await status(options);
      assert.ok(st.ok, explain(st));
      if (kind === 'transactional') {
        assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'pending']);
        assert.equal((await pg.query("SELECT to_regclass('before_sleep') AS t", [], db))[0].t, null, 'the interrupted transaction was rolled back');
      } else {
        assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'failed']);
        assert.match(st.status![1].note ?? '', /interrupted at statement 2 of 3/);
        assert.notEqual((await pg.query("SELECT to_regclass('before_sleep') AS t", [], db))[0].t, null, 'statement 1 was committed');
      }
      assert.deepEqual(await gooseVersions(db), ['20240101000000']);

      await pg.query('UPDATE test_control SET seconds = 0', [], db);
      const again = await up(options);
      assert.ok(again.ok, explain(again));
      assert.deepEqual(again.steps.map((s) => s.version), ['20240102000000']);
      if (kind === 'non-transactional') assert.equal(again.steps[0].resumedAt, 2);
      const final = await status(options);
      assert.deepEqual(final.status!.map((s) => s.state), ['applied', 'applied']);
      assert.deepEqual(await gooseVersions(db), ['20240101000000', '20240102000000']);
    });
  }
});

describe('a runner stopped by Ctrl-C (SIGINT) or SIGTERM in the middle of a migration', () => {
  for (const [kind, signal] of [['transactional', 'SIGINT'], ['non-transactional', 'SIGTERM']] as const) {
    it(`${kind}, ${signal}: the statement is cancelled and the lock released before the process exits, so a run started right after goes through`, async () => {
      const db = await pg.createDatabase(`stopped_${kind === 'transactional' ? 'tx' : 'notx'}`);
      await pg.query('CREATE TABLE test_control (seconds float)', [], db);
      await pg.query('INSERT INTO test_control VALUES (600)', [], db);
      const project = createProject({
        'db/migrations/20240101000000_first.sql': gooseFile('CREATE TABLE first (id int);', 'DROP TABLE first;'),
        'db/migrations/20240102000000_slow.sql': gooseFile(`CREATE TABLE before_sleep (id int);\n${SLEEP}\nCREATE TABLE after_sleep (id int);`, 'DROP TABLE after_sleep;\nDROP TABLE before_sleep;', { noTransaction: kind !== 'transactional' }),
      });
      const child = spawn(process.execPath, [CLI, 'up'], { cwd: project.root, env: { ...process.env, DATABASE_URL: pg.url(db) }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        await until('the CLI to be inside the slow migration', () => sleeping(db));
      } catch (error) {
        child.kill('SIGKILL');
        throw new Error(`${(error as Error).message}\n${output}`);
      }
      child.kill(signal);
      const code = await exited;
      assert.equal(code, 130, output);
      assert.match(output, /canceling statement due to user request/);
      // No waiting for the server to notice a closed connection: the session already ended its statement
      // and gave the lock back.
      assert.equal(await sleeping(db), undefined, 'the statement was cancelled, not left running');
      const locks = await pg.query("SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = $1", [db], db);
      assert.equal(locks[0].n, 0, 'the migration lock was released');

      const options = optionsFor(project, pg.url(db));
      const st = await status(options);
      if (kind === 'transactional') {
        assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'pending']);
        assert.equal((await pg.query("SELECT to_regclass('before_sleep') AS t", [], db))[0].t, null, 'the transaction was rolled back');
      } else {
        // Recorded as a failure at the statement that was cancelled (not left `running`).
        assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'failed']);
        assert.match(st.status![1].note ?? '', /failed at statement 2 of 3/);
        assert.match(st.status![1].failure?.error ?? '', /user request/);
      }
      assert.deepEqual(await gooseVersions(db), ['20240101000000']);

      await pg.query('UPDATE test_control SET seconds = 0', [], db);
      const again = await up(options);
      assert.ok(again.ok, explain(again));
      if (kind === 'non-transactional') assert.equal(again.steps[0].resumedAt, 2);
      assert.deepEqual(await gooseVersions(db), ['20240101000000', '20240102000000']);
    });
  }
});

describe('Ctrl-C while waiting for the migration lock (--wait)', () => {
  it('stops waiting at once, says so, and changes nothing', async () => {
    const db = await pg.createDatabase('stopped_waiting');
    await pg.query('CREATE TABLE test_control (seconds float)', [], db);
    await pg.query('INSERT INTO test_control VALUES (600)', [], db);
    const project = createProject({ 'db/migrations/20240101000000_slow.sql': dbmateFile(`CREATE TABLE slow (id int);\n${SLEEP}`, 'DROP TABLE slow;') });
    const env = { ...process.env, DATABASE_URL: pg.url(db) };
    const first = spawn(process.execPath, [CLI, 'up'], { cwd: project.root, env, stdio: ['ignore', 'ignore', 'ignore'] });
    const firstExited = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
    try {
      await until('the first runner to be inside the slow migration', () => sleeping(db));
      const second = spawn(process.execPath, [CLI, 'up', '--wait'], { cwd: project.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      second.stdout.on('data', (d) => (output += d));
      second.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => second.once('exit', (code) => resolve(code)));
      await until('the second runner to wait for the lock', async () => {
        const rows = await pg.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE '%pg_advisory_lock%'", [db]);
        return rows.length > 0 ? true : undefined;
      });
      second.kill('SIGINT');
      assert.equal(await exited, 130, output);
      assert.match(output, /Interrupted before any migration ran \(while waiting for the migration lock/);
    } finally {
      first.kill('SIGKILL');
      await firstExited;
    }
  });
});
