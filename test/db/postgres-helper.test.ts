import * as assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { stopTestPostgres, testPostgres } from '../helpers/postgres';

after(() => stopTestPostgres());

describe('test PostgreSQL helper', () => {
  it('starts a real server and gives each test its own database', async () => {
    const pg = await testPostgres();
    const [{ version }] = await pg.query<{ version: string }>("SELECT current_setting('server_version') AS version");
    assert.match(version, /^\d+/);
    const a = await pg.createDatabase();
    const b = await pg.createDatabase();
    assert.notEqual(a, b);
    await pg.query('CREATE TABLE t (id int)', [], a);
    const rows = await pg.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE tablename = 't'", [], b);
    assert.equal(rows[0].n, '0');
  });
});
