// Safety: a database that is not on this machine and a rollback that drops data need confirmation;
// passwords are masked in every message, result and line of output.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { rollback, status, up } from '../../server/src/engine/runner/commands';
import { createRedactor, isLocalUrl, maskUrl, resolveConfiguredUrl } from '../../server/src/engine/runner/url';
import { CLI } from '../helpers/paths';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, explain, optionsFor, schemaOf } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

describe('database URLs', () => {
  it('masks passwords, also percent-encoded, in query parameters and in URLs that do not parse', () => {
    assert.equal(maskUrl('postgres://app:s3cr%40t@db.example.com:5432/app'), 'postgres://app:****@db.example.com:5432/app');
    assert.equal(maskUrl('postgresql://app@localhost/app?password=hunter2&sslmode=require'), 'postgresql://app@localhost/app?password=****&sslmode=require');
    assert.equal(maskUrl('postgres://app:pa ss@bad host/app'), 'postgres://app:****@bad host/app');
    const redact = createRedactor(['postgres://app:s3cr%40t@db/app']);
    assert.equal(redact('failed for s3cr@t and s3cr%40t at postgres://other:xyz@h/db'), 'failed for **** and **** at postgres://other:****@h/db');
  });

  it('tells local databases from remote ones', () => {
    for (const url of ['postgres://u@localhost/db', 'postgres://u@127.0.0.1:5433/db', 'postgres://u@[::1]/db', 'postgres:///db', 'postgres://u@%2Fvar%2Frun%2Fpostgresql/db', 'postgres://u@/db?host=/tmp']) assert.ok(isLocalUrl(url), url);
    for (const url of ['postgres://u@db.example.com/db', 'postgres://u@10.0.0.5/db', 'postgres://u@localhost.example.com/db']) assert.ok(!isLocalUrl(url), url);
  });

  it('resolves --url, then DATABASE_URL, then .zdm.json (with ${VAR} expansion)', () => {
    const env = { DATABASE_URL: 'postgres://env@localhost/a', PGPASS: 'pw' };
    assert.equal(resolveConfiguredUrl({ flag: 'postgres://flag@localhost/a', env, config: 'postgres://cfg@localhost/a' })!.origin, '--url');
    assert.equal(resolveConfiguredUrl({ env, config: 'postgres://cfg@localhost/a' })!.origin, 'DATABASE_URL');
    assert.equal(resolveConfiguredUrl({ env: { PGPASS: 'pw' }, config: 'postgres://cfg:${PGPASS}@localhost/a' })!.url, 'postgres://cfg:pw@localhost/a');
    assert.equal(resolveConfiguredUrl({ env: {} }), undefined);
    // An unset variable is named; it does not matter when an earlier source gives the URL.
    assert.throws(() => resolveConfiguredUrl({ env: {}, config: 'postgres://cfg:${PGPASS}@${PGHOST}/a' }), /\.zdm\.json database\.url uses the environment variable PGPASS, which is not set/);
    assert.equal(resolveConfiguredUrl({ env: { DATABASE_URL: 'postgres://env@localhost/a' }, config: 'postgres://cfg:${PGPASS}@localhost/a' })!.origin, 'DATABASE_URL');
    assert.throws(() => resolveConfiguredUrl({ env: { DATABASE_URL: 'mysql://u:topsecret@h/db' } }), (e: Error) => /postgres:\/\//.test(e.message) && !e.message.includes('topsecret'));
  });
});

describe('confirmation', () => {
  it('asks before running against a database that is not on this machine (without connecting)', async () => {
    const project = createProject({ 'db/migrations/20240101000000_a.sql': dbmateFile('CREATE TABLE a (id int);', 'DROP TABLE a;') });
    const result = await up(optionsFor(project, 'postgres://app:topsecret@db.invalid:5432/app'));
    assert.equal(result.ok, false);
    assert.equal(result.needsConfirmation?.reason, 'remote-database');
    assert.ok(!JSON.stringify(result).includes('topsecret'));
    // Status only reads: no confirmation needed (it then fails to connect, with the password masked).
    const st = await status(optionsFor(project, 'postgres://app:topsecret@db.invalid:5432/app'));
    assert.equal(st.needsConfirmation, undefined);
    assert.match(st.usageError ?? '', /Cannot connect/);
    assert.ok(!JSON.stringify(st).includes('topsecret'));
  });

  it('asks before a rollback whose down drops a table or a column, and runs it with --yes', async () => {
    const db = await pg.createDatabase('destructive');
    const project = createProject({
      'db/migrations/20240101000000_users.sql': dbmateFile('CREATE TABLE users (id int);', 'DROP TABLE users;'),
      'db/migrations/20240102000000_email.sql': dbmateFile('ALTER TABLE users ADD COLUMN email text;\nCREATE INDEX users_email ON users (email);', 'DROP INDEX users_email;\nALTER TABLE users DROP COLUMN email;'),
    });
    const options = optionsFor(project, pg.url(db));
    assert.ok((await up(options)).ok);
    const schema = await schemaOf(pg, db);
    let result = await rollback(options);
    assert.equal(result.ok, false);
    assert.equal(result.needsConfirmation?.reason, 'destructive-down');
    assert.deepEqual(result.needsConfirmation?.details, ['drops column users.email — db/migrations/20240102000000_email.sql:7']);
    assert.deepEqual(result.steps, []);
    assert.deepEqual(await schemaOf(pg, db), schema, 'nothing ran');
    result = await rollback({ ...options, to: '0' });
    assert.equal(result.needsConfirmation?.details.length, 2);
    result = await rollback({ ...options, yes: true });
    assert.ok(result.ok, explain(result));
  });
});

describe('passwords in output', () => {
  it('are masked in database errors and in every line the CLI prints', async () => {
    const db = await pg.createDatabase('masking');
    const url = pg.url(db);
    const password = new URL(url).password;
    const project = createProject({ 'db/migrations/20240101000000_leak.sql': dbmateFile(`SELECT '${password}'::int;`, 'SELECT 1;') });
    const result = await up(optionsFor(project, url));
    assert.equal(result.ok, false);
    assert.match(result.error!.message, /invalid input syntax for type integer: "\*\*\*\*"/);
    assert.ok(!JSON.stringify(result).includes(password));

    for (const args of [['up'], ['up', '--format', 'jsonl'], ['status', '--format', 'json'], ['status', '--url', url.replace(password, 'wrong-password-123')]]) {
      const run = spawnSync(process.execPath, [CLI, ...args], { cwd: project.root, env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8' });
      const all = run.stdout + run.stderr;
      assert.ok(all.length > 0);
      assert.ok(!all.includes(password), `${args.join(' ')} printed the password:\n${all}`);
      assert.ok(!all.includes('wrong-password-123'), `${args.join(' ')} printed the password:\n${all}`);
    }
    const wrong = spawnSync(process.execPath, [CLI, 'status', '--url', url.replace(password, 'wrong-password-123')], { cwd: project.root, encoding: 'utf8' });
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /Cannot connect to .*password authentication failed/);
  });

  it('the CLI exit codes: 0 ok, 1 a migration failed, 2 confirmation or usage', async () => {
    const db = await pg.createDatabase('exit_codes');
    const project = createProject({ 'db/migrations/20240101000000_a.sql': dbmateFile('CREATE TABLE a (id int);', 'DROP TABLE a;') });
    const env = { ...process.env, DATABASE_URL: pg.url(db) };
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: project.root, env, encoding: 'utf8' });
    assert.equal(run('up').status, 0);
    assert.equal(run('up', '--bogus').status, 2);
    const remote = run('up', '--url', 'postgres://u:pw@db.example.com/x');
    assert.equal(remote.status, 2);
    assert.match(remote.stderr, /--yes/);
    const back = run('rollback');
    assert.equal(back.status, 2);
    assert.match(back.stderr, /drops table a/);
    assert.equal(run('rollback', '--yes').status, 0);
    project.write('db/migrations/20240102000000_b.sql', dbmateFile('CREATE TABLE b (id no_such_type);', 'DROP TABLE b;'));
    const failed = run('up');
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /db\/migrations\/20240102000000_b\.sql:2:\d+: type "no_such_type" does not exist/);
  });
});
