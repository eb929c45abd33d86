// Database URLs in every form libpq accepts (its "Connection URIs"), unix sockets above all: the query's
// host= and port=, a percent-encoded socket folder as the host, no host at all, and sslmode. Each is
// accepted, connects where libpq would (the test server's own socket, or its TCP port), keeps the
// password masked, and is judged local or remote rightly before anything runs.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import { openSession } from '../../server/src/engine/runner/db';
import { status } from '../../server/src/engine/runner/commands';
import { remoteConfirmation } from '../../server/src/engine/runner/safety';
import { checkUrl, createRedactor, describeUrl, isLocalUrl, maskUrl, parsePgUrl, pgConnectionString, UrlError } from '../../server/src/engine/runner/url';
import { CLI } from '../helpers/paths';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, explain, optionsFor } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

/** The test server's user and password, from its TCP URL. */
function credentials(): { user: string; password: string } {
  const url = new URL(pg.url());
  return { user: url.username, password: url.password };
}

/** Where a session is connected: its database, and the server's address (null over a unix socket). */
async function whereConnected(url: string): Promise<{ database: string; address: string | null; ssl: boolean }> {
  const session = await openSession(url);
  try {
    const [row] = await session.query<{ database: string; address: string | null; ssl: boolean }>(
      'SELECT current_database() AS database, host(inet_server_addr()) AS address, coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS ssl',
    );
    return row;
  } finally {
    await session.close();
  }
}

describe('URL forms libpq accepts: read, checked and judged without connecting', () => {
  it('are valid, with their host, port, database and password read as libpq reads them', () => {
    const cases: [string, { hosts: string[]; port?: string; database?: string; user?: string; password?: string }][] = [
      ['postgres://user@/db?host=/var/run/postgresql', { hosts: ['/var/run/postgresql'], database: 'db', user: 'user' }],
      ['postgresql:///db?host=/tmp', { hosts: ['/tmp'], database: 'db' }],
      ['postgres://%2Fvar%2Frun%2Fpostgresql/db', { hosts: ['/var/run/postgresql'], database: 'db' }],
      ['postgres://u:p%40ss@/db?host=%2Ftmp&port=5433&sslmode=require', { hosts: ['/tmp'], port: '5433', database: 'db', user: 'u', password: 'p@ss' }],
      ['postgres://u@localhost:5432/db?host=10.1.2.3&port=6432', { hosts: ['10.1.2.3'], port: '6432', database: 'db', user: 'u' }],
      ['postgres://[::1]:5433/db?user=app&password=s3cret', { hosts: ['::1'], port: '5433', database: 'db', user: 'app', password: 's3cret' }],
    ];
    for (const [url, expected] of cases) {
      assert.doesNotThrow(() => checkUrl(url, '--url'), url);
      const parsed = parsePgUrl(url);
      assert.ok(!('error' in parsed), url);
      const { hosts, port, database, user, password } = parsed;
      assert.deepEqual(JSON.parse(JSON.stringify({ hosts, port, database, user, password })), expected, url);
    }
  });

  it('a unix socket is local, in each way of naming it; a remote host named by host= is not, whatever the URL host says', () => {
    for (const url of ['postgres://user@/db?host=/var/run/postgresql', 'postgresql:///db?host=/tmp', 'postgres://%2Fvar%2Frun%2Fpostgresql/db', 'postgres:///db', 'postgres://u@/db?host=localhost&port=5433']) {
      assert.ok(isLocalUrl(url, {}), url);
      assert.equal(remoteConfirmation(url), undefined, url);
    }
    for (const url of ['postgres://u@localhost/db?host=db.example.com', 'postgres://u@/db?host=10.0.0.5&port=5432']) {
      assert.ok(!isLocalUrl(url, {}), url);
    }
    assert.ok(!isLocalUrl('postgres:///db', { PGHOST: 'db.example.com' }), 'no host: PGHOST, as for libpq and node-postgres');
    const remote = remoteConfirmation('postgres://u:hunter2@/db?host=db.example.com&port=6432')!;
    assert.match(remote.message, /^db\.example\.com:6432\/db is not on this machine/);
    assert.deepEqual(remote.details, ['postgres://u:****@/db?host=db.example.com&port=6432']);
  });

  it('passwords stay masked in every form, as written and percent-decoded', () => {
    const url = 'postgres://app:p%40ss%2Fw0rd@/db?host=/tmp&port=5433';
    assert.equal(maskUrl(url), 'postgres://app:****@/db?host=/tmp&port=5433');
    const redact = createRedactor([url]);
    assert.equal(redact('password p@ss/w0rd and p%40ss%2Fw0rd'), 'password **** and ****');
    assert.equal(createRedactor(['postgresql:///db?host=/tmp&password=hunter2'])('failed for hunter2'), 'failed for ****');
    assert.equal(describeUrl(url), '/tmp (unix socket 5433)/db');
  });

  it('refuses, saying what to write, what node-postgres would read differently: hostaddr, a service, several hosts; and a bad port', () => {
    const refusal = (url: string) => {
      try {
        checkUrl(url, 'DATABASE_URL');
      } catch (error) {
        assert.ok(error instanceof UrlError);
        return error.message;
      }
      assert.fail(`accepted ${url}`);
    };
    assert.match(refusal('postgres://u:hunter2@db.internal/app?hostaddr=10.0.0.7'), /^DATABASE_URL sets hostaddr, which zdm's PostgreSQL client \(node-postgres\) does not read.*postgres:\/\/user@10\.0\.0\.7:port\/database.*u:\*\*\*\*@/);
    assert.match(refusal('postgres:///?service=prod'), /names a service \(pg_service\.conf\)/);
    assert.match(refusal('postgres://u@h1:5432,h2:5433/app'), /names several hosts \(h1, h2\), which libpq tries in turn; zdm connects to one/);
    assert.match(refusal('postgres://u@localhost:54x2/app'), /^DATABASE_URL is not a valid URL: .*the port '54x2' is not a number/);
    assert.match(refusal('mysql://u@localhost/app'), /must be a postgres:\/\/ URL, not mysql:\/\//);
    // What libpq refuses before connecting, and node-postgres misread ("Invalid URL"; an unknown sslmode tried as SSL).
    assert.match(refusal('postgres://u:hunter2@localhost:99999/app'), /^DATABASE_URL has an invalid port number: "99999" \(1 to 65535\) \(postgres:\/\/u:\*\*\*\*@/);
    assert.match(refusal('postgres://u@localhost/app?sslmode=requier'), /invalid sslmode value: "requier" \(one of disable, allow, prefer, require, verify-ca, verify-full\)/);
    assert.match(refusal('postgres://u@localhost/app?connect_timeout=5s'), /invalid connect_timeout value: "5s" \(whole seconds\)/);
  });

  it("waits for a server that never answers as long as the URL's connect_timeout says (libpq's, in whole seconds), not node-postgres' 10 s", async () => {
    // A server that takes the connection and never answers, as a host that drops packets behind a proxy.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      await assert.rejects(openSession(`postgres://u:hunter2@127.0.0.1:${port}/app?connect_timeout=2`), (error: Error) => {
        assert.match(error.message, /no answer within 2 s/);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      });
      const waited = Date.now() - started;
      assert.ok(waited >= 1900 && waited < 6000, `waited ${waited} ms`);
    } finally {
      silent.close();
    }
  });

  it("gives node-postgres the default socket when there is no host (libpq's default), and drops sslmode over a socket", () => {
    const exists = (file: string) => file === '/tmp/.s.PGSQL.5433';
    assert.equal(pgConnectionString('postgres:///db?port=5433', {}, exists), 'postgres:///db?port=5433&host=%2Ftmp');
    assert.equal(pgConnectionString('postgres:///db', {}, exists), 'postgres:///db', 'no socket for 5432: node-postgres keeps its default');
    assert.equal(pgConnectionString('postgres:///db?port=5433', { PGHOST: 'elsewhere' }, exists), 'postgres:///db?port=5433');
    assert.equal(pgConnectionString('postgres://u@/db?host=/tmp&sslmode=require', {}, exists), 'postgres://u@/db?host=/tmp');
    assert.equal(pgConnectionString('postgres://u@db.example.com/db?sslmode=require', {}, exists), 'postgres://u@db.example.com/db?sslmode=require&uselibpqcompat=true');
  });
});

describe('URL forms libpq accepts: connecting to the test server', () => {
  it('each way of naming its unix socket connects there (no server address: a socket), sslmode=require included, as libpq ignores it on sockets', async () => {
    const db = await pg.createDatabase('url_socket');
    const { user, password } = credentials();
    const socket = pg.socketDir;
    for (const url of [
      `postgres://${user}:${password}@/${db}?host=${socket}&port=${pg.port}`,
      `postgresql:///${db}?host=${socket}&port=${pg.port}&user=${user}&password=${password}`,
      `postgres://${user}:${password}@${encodeURIComponent(socket)}:${pg.port}/${db}`,
      `postgres://${user}:${password}@/${db}?host=${encodeURIComponent(socket)}&port=${pg.port}&sslmode=require`,
    ]) {
      assert.deepEqual(await whereConnected(url), { database: db, address: null, ssl: false }, url);
    }
  });

  it('host= and port= in the query win over the URL host, over TCP; sslmode=prefer falls back to no SSL as libpq does, sslmode=require fails as it does', async () => {
    const db = await pg.createDatabase('url_tcp');
    const { user, password } = credentials();
    assert.deepEqual(await whereConnected(`postgres://${user}:${password}@nowhere.invalid:1/${db}?host=127.0.0.1&port=${pg.port}`), { database: db, address: '127.0.0.1', ssl: false });
    assert.deepEqual(await whereConnected(`postgres://${user}:${password}@/${db}?host=127.0.0.1&port=${pg.port}&sslmode=prefer`), { database: db, address: '127.0.0.1', ssl: false });
    assert.deepEqual(await whereConnected(`postgres://${user}:${password}@127.0.0.1:${pg.port}/${db}?sslmode=allow`), { database: db, address: '127.0.0.1', ssl: false });
    await assert.rejects(openSession(`postgres://${user}:${password}@/${db}?host=127.0.0.1&port=${pg.port}&sslmode=require`), (error: Error) => {
      assert.match(error.message, /does not support SSL/);
      assert.ok(!error.message.includes(password), error.message);
      return true;
    });
  });

  it('the runner and the CLI take the socket forms (once refused as "not a valid URL"), without asking to confirm a local database, and mask the password', async () => {
    const db = await pg.createDatabase('url_runner');
    const { user, password } = credentials();
    const project = createProject({ 'db/migrations/20240101000000_a.sql': dbmateFile('CREATE TABLE a (id int);', 'DROP TABLE a;') });
    const url = `postgres://${user}:${password}@/${db}?host=${pg.socketDir}&port=${pg.port}`;
    const result = await status(optionsFor(project, url));
    assert.ok(result.ok, explain(result));
    assert.equal(result.database, `postgres://${user}:****@/${db}?host=${pg.socketDir}&port=${pg.port}`);
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url };
    delete env.ZDM_DATABASE_URL;
    const run = spawnSync(process.execPath, [CLI, 'up', '--no-color'], { cwd: project.root, env, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(!(run.stdout + run.stderr).includes(password));
    assert.deepEqual(await pg.query("SELECT 1 AS one FROM pg_tables WHERE tablename = 'a'", [], db), [{ one: 1 }]);
    const wrong = spawnSync(process.execPath, [CLI, 'status', '--no-color'], { cwd: project.root, env: { ...env, DATABASE_URL: url.replace(password, 'wrong-password-123') }, encoding: 'utf8' });
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /Cannot connect to .* \(unix socket \d+\)\/url_runner.*password authentication failed/);
    assert.ok(!wrong.stderr.includes('wrong-password-123'), wrong.stderr);
  });
});
