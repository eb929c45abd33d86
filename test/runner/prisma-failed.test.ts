// A Prisma migration that fails leaves what `prisma migrate deploy` leaves: its row in _prisma_migrations,
// unfinished (finished_at and rolled_back_at empty, the error in logs), so that Prisma stops the next
// deploy (P3009); zdm reads that row as Prisma does: status shows it failed, and up is refused until
// `prisma migrate resolve`. When zdm knows how far a migration sent statement by statement got, it
// resumes it, and once it completes marks the unfinished row rolled back, as `resolve --applied` does.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status, up } from '../../server/src/engine/runner/commands';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, explain, optionsFor, rowsOf } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

const CONFIG = { format: 'prisma', migrationsDir: 'prisma/migrations' };
const ROW = "migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back, applied_steps_count AS steps, length(checksum) AS sha";

describe('a Prisma migration that fails in its transaction', () => {
  it('leaves its row unfinished with the error in logs; status says failed, up is refused (P3009) until it is resolved', async () => {
    const db = await pg.createDatabase('prisma_failed');
    const project = createProject(
      {
        'prisma/migrations/20240101000000_a/migration.sql': 'CREATE TABLE a (id int);\n',
        'prisma/migrations/20240102000000_b/migration.sql': 'CREATE TABLE b (id int);\nINSERT INTO no_such_table VALUES (1);\n',
        'prisma/migrations/20240103000000_c/migration.sql': 'CREATE TABLE c (id int);\n',
      },
      CONFIG,
    );
    const options = optionsFor(project, pg.url(db));
    const failed = await up(options);
    assert.equal(failed.ok, false);
    assert.deepEqual(failed.steps.map((s) => [s.version, s.ok]), [['20240101000000', true], ['20240102000000', false]]);
    assert.deepEqual(await rowsOf(pg, db, '_prisma_migrations', ROW), [
      '{"migration_name":"20240101000000_a","finished":true,"rolled_back":false,"steps":1,"sha":64}',
      '{"migration_name":"20240102000000_b","finished":false,"rolled_back":false,"steps":0,"sha":64}',
    ]);
    const [logs] = await pg.query<{ logs: string }>("SELECT logs FROM _prisma_migrations WHERE migration_name = '20240102000000_b'", [], db);
    assert.match(logs.logs, /relation "no_such_table" does not exist/);
    assert.match(logs.logs, /42P01/);
    assert.equal((await pg.query("SELECT to_regclass('b') AS t", [], db))[0].t, null, 'its transaction was rolled back');

    const st = await status(options);
    assert.deepEqual(st.status!.map((s) => s.state), ['applied', 'failed', 'pending']);
    assert.match(st.status![1].note ?? '', /Prisma Migrate recorded it as failed .*relation "no_such_table" does not exist/);

    // Fixed on disk: still refused, as Prisma refuses, and nothing runs (not even c).
    project.write('prisma/migrations/20240102000000_b/migration.sql', 'CREATE TABLE b (id int);\n');
    const refused = await up(options);
    assert.equal(refused.ok, false);
    assert.deepEqual(refused.steps, []);
    assert.match(refused.error!.message, /P3009/);
    assert.match(refused.error!.message, /npx prisma migrate resolve --rolled-back 20240102000000_b/);
    assert.equal((await pg.query("SELECT to_regclass('c') AS t", [], db))[0].t, null);

    // What `prisma migrate resolve --rolled-back 20240102000000_b` does (mark_migration_rolled_back_by_id): then it runs again.
    await pg.query("UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20240102000000_b' AND finished_at IS NULL", [], db);
    const again = await up(options);
    assert.ok(again.ok, explain(again));
    assert.deepEqual(again.steps.map((s) => s.version), ['20240102000000', '20240103000000']);
    assert.deepEqual(await rowsOf(pg, db, '_prisma_migrations', ROW), [
      '{"migration_name":"20240101000000_a","finished":true,"rolled_back":false,"steps":1,"sha":64}',
      '{"migration_name":"20240102000000_b","finished":false,"rolled_back":true,"steps":0,"sha":64}',
      '{"migration_name":"20240102000000_b","finished":true,"rolled_back":false,"steps":1,"sha":64}',
      '{"migration_name":"20240103000000_c","finished":true,"rolled_back":false,"steps":1,"sha":64}',
    ]);
  });
});

describe('a Prisma migration sent statement by statement that fails part way', () => {
  it('leaves the unfinished row too; zdm resumes it, then marks that row rolled back beside the finished one', async () => {
    const db = await pg.createDatabase('prisma_failed_statements');
    // Its own BEGIN/COMMIT: zdm sends its statements one at a time; statement 1 is committed.
    const project = createProject({ 'prisma/migrations/20240101000000_a/migration.sql': 'CREATE TABLE a (id int);\nBEGIN;\nINSERT INTO later VALUES (1);\nCOMMIT;\n' }, CONFIG);
    const options = optionsFor(project, pg.url(db));
    const failed = await up(options);
    assert.equal(failed.ok, false);
    assert.deepEqual(await rowsOf(pg, db, '_prisma_migrations', ROW), ['{"migration_name":"20240101000000_a","finished":false,"rolled_back":false,"steps":0,"sha":64}']);
    const st = await status(options);
    assert.equal(st.status![0].state, 'failed');
    assert.match(st.status![0].note ?? '', /failed at statement 3 of 4; the statement before it was committed \(Prisma's .*_prisma_migrations" records it as failed too/);

    await pg.query('CREATE TABLE later (id int)', [], db);
    const resumed = await up(options);
    assert.ok(resumed.ok, explain(resumed));
    assert.equal(resumed.steps[0].resumedAt, 2);
    assert.deepEqual(await rowsOf(pg, db, '_prisma_migrations', ROW), [
      '{"migration_name":"20240101000000_a","finished":false,"rolled_back":true,"steps":0,"sha":64}',
      '{"migration_name":"20240101000000_a","finished":true,"rolled_back":false,"steps":1,"sha":64}',
    ]);
    assert.deepEqual(await rowsOf(pg, db, 'later'), ['{"id":1}']);
  });
});
