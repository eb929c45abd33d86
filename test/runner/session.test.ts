// The runner's session: lock_timeout and statement_timeout from .zdm.json are in force while
// migrations run, and a migration's own SET does not leak into the next one.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { up } from '../../server/src/engine/runner/commands';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, explain, optionsFor } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

/** A statement that fails unless `setting` is `expected` when it runs. */
const expect = (setting: string, expected: string) =>
  `DO $$ BEGIN IF current_setting('${setting}') <> '${expected}' THEN RAISE EXCEPTION '${setting} is %, not ${expected}', current_setting('${setting}'); END IF; END $$;`;

describe('the runner session', () => {
  it('applies lockTimeout and statementTimeout from .zdm.json, and resets a migration’s own SET before the next', async () => {
    const db = await pg.createDatabase('session');
    const project = createProject(
      {
        'db/migrations/20240101000000_a.sql': dbmateFile(`${expect('lock_timeout', '1234ms')}\n${expect('statement_timeout', '45s')}\nSET lock_timeout = '9s';`, 'SELECT 1;'),
        'db/migrations/20240102000000_b.sql': dbmateFile(`${expect('lock_timeout', '1234ms')}\nSET statement_timeout = 0;`, 'SELECT 1;', { upTransaction: false }),
        'db/migrations/20240103000000_c.sql': dbmateFile(expect('statement_timeout', '45s'), 'SELECT 1;'),
      },
      { lockTimeout: '1234ms', statementTimeout: '45s' },
    );
    const result = await up(optionsFor(project, pg.url(db)));
    assert.ok(result.ok, explain(result));
    assert.equal(result.steps.length, 3);
  });

  it('a lock held by another session makes the migration fail after lockTimeout, with a hint', async () => {
    const db = await pg.createDatabase('session_lock');
    await pg.query('CREATE TABLE busy (id int)', [], db);
    const project = createProject({ 'db/migrations/20240101000000_a.sql': dbmateFile('ALTER TABLE busy ADD COLUMN n int;', 'ALTER TABLE busy DROP COLUMN n;') }, { lockTimeout: '200ms' });
    const { Client } = await import('pg');
    const holder = new Client({ connectionString: pg.url(db) });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE busy IN ACCESS SHARE MODE');
      const started = Date.now();
      const result = await up(optionsFor(project, pg.url(db)));
      assert.equal(result.error?.code, '55P03', explain(result));
      assert.match(result.error!.hint ?? '', /lockTimeout/);
      assert.ok(Date.now() - started < 10_000);
    } finally {
      await holder.end();
    }
  });
});
