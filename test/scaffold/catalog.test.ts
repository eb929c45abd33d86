// The dev database's tables for the trio prompts, read from a real PostgreSQL: columns in order with
// their types, NOT NULL and defaults, primary keys, quoted names; and which URL counts as the dev
// database (never starting anything).

import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../server/src/engine/config/config';
import { devDatabaseUrl, readCatalog } from '../../server/src/engine/scaffold/catalog';
import { stopTestPostgres, testPostgres, type TestPostgres } from '../helpers/postgres';

let pg: TestPostgres;
before(async () => {
  pg = await testPostgres();
});
after(() => stopTestPostgres());

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

  it('the dev database is the configured URL, else a running embedded server, else none', () => {
    const config = defaultConfig();
    assert.equal(devDatabaseUrl(os.tmpdir(), config, { DATABASE_URL: 'postgres://a@localhost/dev' }), 'postgres://a@localhost/dev');
    assert.equal(devDatabaseUrl(os.tmpdir(), { ...config, database: { url: 'postgres://b@localhost/dev' } }, {}), 'postgres://b@localhost/dev');
    assert.equal(devDatabaseUrl(os.tmpdir(), config, {}), undefined);
    assert.equal(devDatabaseUrl(os.tmpdir(), config, { DATABASE_URL: 'mysql://x' }), undefined);
  });
});
