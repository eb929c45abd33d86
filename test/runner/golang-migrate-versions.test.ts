// golang-migrate keeps one number, the current version (`schema_migrations.version bigint`), while its
// files write versions zero-padded (`000012_x.up.sql`): 12 and 000012 are one version everywhere,
// and a current version whose file is gone (another branch migrated this database) is said so in
// golang-migrate's words, also when golang-migrate left it dirty.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rollback, status, up } from '../../server/src/engine/runner/commands';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, explain, optionsFor, rowsOf } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

const pair = (n: string, t: string) => ({ [`migrations/${n}_${t}.up.sql`]: `CREATE TABLE ${t} (id int);\n`, [`migrations/${n}_${t}.down.sql`]: `DROP TABLE ${t};\n` });

/** A database migrated to 000011 by golang-migrate, then to 12 from a branch whose 000012 file is not here. */
async function atTwelve(name: string, dirty: boolean): Promise<string> {
  const db = await pg.createDatabase(name);
  await pg.query('CREATE TABLE a (id int); CREATE TABLE b (id int); CREATE TABLE c (id int)', [], db);
  await pg.query('CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)', [], db);
  await pg.query('INSERT INTO schema_migrations VALUES (12, $1)', [dirty], db);
  return db;
}

describe('golang-migrate: a current version with no file, files zero-padded', () => {
  it('status shows 12 as missing (after 000011), --to 000012 and --to 12 name it, and up past it warns in golang-migrate\'s words', async () => {
    const db = await atTwelve('gmv_missing', false);
    const project = createProject({ ...pair('000010', 'a'), ...pair('000011', 'b'), ...pair('000013', 'd') }, { migrationsDir: 'migrations' });
    const options = optionsFor(project, pg.url(db), { yes: true });
    const seen = await status(options);
    assert.deepEqual(seen.status!.map((s) => [s.version, s.state]), [['000010', 'applied'], ['000011', 'applied'], ['12', 'missing'], ['000013', 'pending']]);

    // --to 12 and --to 000012 are the same version: nothing up to it is pending.
    for (const to of ['12', '000012']) {
      const none = await up({ ...options, to });
      assert.ok(none.ok, explain(none));
      assert.deepEqual(none.steps, []);
    }
    const ran = await up(options);
    assert.ok(ran.ok, explain(ran));
    assert.deepEqual(ran.steps.map((s) => s.version), ['000013']);
    assert.match(ran.warnings.join('\n'), /The current version, 12, has no file on disk\. golang-migrate refuses to migrate from it \("no migration found for version 12"\)/);
    assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), ['{"version":"13","dirty":false}']);
  });

  it('dirty at 12 with no file: shown as failed, and up and rollback are refused as golang-migrate refuses them ("Dirty database version 12"), the dirty flag kept', async () => {
    const db = await atTwelve('gmv_dirty_missing', true);
    const project = createProject({ ...pair('000010', 'a'), ...pair('000011', 'b'), ...pair('000013', 'd') }, { migrationsDir: 'migrations' });
    const options = optionsFor(project, pg.url(db), { yes: true });
    const seen = await status(options);
    assert.deepEqual(seen.status!.map((s) => [s.version, s.state]), [['000010', 'applied'], ['000011', 'applied'], ['12', 'failed'], ['000013', 'pending']]);
    assert.match(seen.status![2].note ?? '', /dirty.*its file is not on disk/);

    const refused = await up(options);
    assert.equal(refused.ok, false);
    assert.deepEqual(refused.steps, []);
    assert.match(refused.error!.message, /Dirty database version 12\. Fix and force version\./);
    const back = await rollback(options);
    assert.equal(back.ok, false);
    assert.deepEqual(back.steps, []);
    // Not "run zdm up to finish it": with the file gone, up is refused too; golang-migrate's way out is named.
    assert.match(back.error!.message, /its file is not on disk, so zdm up cannot finish it\. .*migrate force VERSION/s);
    assert.doesNotMatch(back.error!.message, /run zdm up to finish it/);
    assert.deepEqual(await rowsOf(pg, db, 'schema_migrations'), ['{"version":"12","dirty":true}'], 'the dirty flag stays for golang-migrate to see');
  });
});
