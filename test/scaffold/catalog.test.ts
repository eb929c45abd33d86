// The dev database's tables for the trio prompts, read from a real PostgreSQL: columns in order with
// their types, NOT NULL and defaults, primary keys, quoted names; and which URL counts as the dev
// database (never starting anything).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { defaultConfig } from '../../server/src/engine/config/config';
import { devDatabase, devDatabaseUrl, readCatalog } from '../../server/src/engine/scaffold/catalog';
import { usePostgres } from '../helpers/postgres';

const pg = usePostgres();

describe('dev database catalog', () => {
  it('lists tables with their columns, types, NOT NULL, defaults and primary keys', async () => {
    const database = await pg.createDatabase('catalog');
    await pg.query(
      `CREATE SCHEMA sales;
       CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email varchar(300), status text NOT NULL DEFAULT 'active');
       CREATE TABLE sales."Order Items" ("Item ID" integer PRIMARY KEY, price numeric(10,2));
       CREATE TABLE audit (at timestamptz);
       CREATE VIEW active_users AS SELECT * FROM users;`,
      [],
      database,
    );
    const tables = await readCatalog(pg.url(database));
    assert.deepEqual(
      tables.map((t) => [t.schema, t.name, t.primaryKey]),
      [
        ['public', 'audit', undefined],
        ['public', 'users', ['id']],
        ['sales', 'Order Items', ['Item ID']],
      ],
    );
    assert.deepEqual(tables[1].columns, [
      { name: 'id', type: 'bigint', notNull: true },
      { name: 'name', type: 'text', notNull: true },
      { name: 'email', type: 'character varying(300)', notNull: false },
      { name: 'status', type: 'text', notNull: true, default: "'active'::text" },
    ]);
    assert.deepEqual(tables[2].columns.map((c) => [c.name, c.type]), [['Item ID', 'integer'], ['price', 'numeric(10,2)']]);
  });

  it('fails fast when the database cannot be reached', async () => {
    await assert.rejects(() => readCatalog('postgres://nobody:x@127.0.0.1:1/none', { connectTimeoutMs: 1000 }));
  });

  it('says why it cannot connect: what fails at once is told apart from a host that answers nothing, and a slow server still answers', async () => {
    // A unix socket that is not there: the connection fails at once, naming the socket.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-no-socket-'));
    try {
      await assert.rejects(() => readCatalog(`postgresql:///none?host=${encodeURIComponent(dir)}`), (e: Error) => e.message.includes(`no server socket at ${dir}/.s.PGSQL.5432`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await assert.rejects(() => readCatalog('postgres://nobody:x@127.0.0.1:1/none'), /connection refused/);
    await assert.rejects(() => readCatalog('postgres://nobody:x@no-such-host.invalid/none'), /unknown host/);
    // A server that accepts the connection and never answers: only this waits for the timeout.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    // A slow server: the real one behind a proxy that takes a while before it passes anything on.
    const real = new URL(pg.url('postgres'));
    const slow = net.createServer((client) => {
      client.pause();
      sockets.push(client);
      setTimeout(() => {
        const upstream = net.connect(Number(real.port), real.hostname);
        sockets.push(upstream);
        client.pipe(upstream).pipe(client);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
      }, 400);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      await assert.rejects(() => readCatalog(`postgres://nobody:x@127.0.0.1:${port}/none`, { connectTimeoutMs: 200 }), /no answer within 0\.2 s/);
      const slowUrl = new URL(pg.url('postgres'));
      slowUrl.port = String((slow.address() as net.AddressInfo).port);
      assert.ok(Array.isArray(await readCatalog(slowUrl.toString())));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('a configured URL that is not one is said, not silently ignored', () => {
    assert.match(devDatabase(os.tmpdir(), defaultConfig(), { DATABASE_URL: 'postgres://nobody@localhost:5x32/none' }).problem ?? '', /DATABASE_URL is not a valid URL/);
    assert.deepEqual(devDatabase(os.tmpdir(), defaultConfig(), { DATABASE_URL: 'postgres://a@localhost/dev' }), { url: 'postgres://a@localhost/dev' });
  });

  it('the dev database is the configured URL, else a running embedded server, else none', () => {
    const config = defaultConfig();
    assert.equal(devDatabaseUrl(os.tmpdir(), config, { DATABASE_URL: 'postgres://a@localhost/dev' }), 'postgres://a@localhost/dev');
    assert.equal(devDatabaseUrl(os.tmpdir(), { ...config, database: { url: 'postgres://b@localhost/dev' } }, {}), 'postgres://b@localhost/dev');
    assert.equal(devDatabaseUrl(os.tmpdir(), config, {}), undefined);
    assert.equal(devDatabaseUrl(os.tmpdir(), config, { DATABASE_URL: 'mysql://x' }), undefined);
  });
});
