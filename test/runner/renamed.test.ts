// A migration file renamed (or given another version) after it was applied: the tool knows it by its
// new name or version and runs it a second time, and so does zdm, but zdm says so before it runs,
// from the checksum it recorded for the file that is gone.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { up } from '../../server/src/engine/runner/commands';
import { usePostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, explain, optionsFor } from './helpers';

const pg = usePostgres({ cleanup: cleanupProjects });

describe('a migration renamed after it was applied', () => {
  it('Prisma: up warns that the renamed folder holds the statements of the applied one whose folder is gone, with the way to record it', async () => {
    const db = await pg.createDatabase('renamed_prisma');
    const project = createProject({ 'prisma/migrations/20240101000000_a/migration.sql': 'CREATE TABLE a (id int);\n' }, { format: 'prisma', migrationsDir: 'prisma/migrations' });
    const options = optionsFor(project, pg.url(db));
    const first = await up(options);
    assert.ok(first.ok, explain(first));
    assert.deepEqual(first.warnings, []);

    project.remove('prisma/migrations/20240101000000_a');
    project.write('prisma/migrations/20240101000000_users/migration.sql', 'CREATE TABLE a (id int);\n');
    project.write('prisma/migrations/20240102000000_b/migration.sql', 'CREATE TABLE b (id int);\n');
    const again = await up(options);
    assert.equal(again.ok, false, 'run a second time, as Prisma would: the table exists');
    assert.equal(again.warnings.length, 1, again.warnings.join('\n'));
    assert.match(
      again.warnings[0],
      /^prisma\/migrations\/20240101000000_users has the same statements as 20240101000000_a, which was applied on \S+ and whose file is gone \(applied from .*20240101000000_a.*, which is no longer on disk\)\. If it is that migration renamed, it runs a second time now; record it as applied without running it instead \(zdm up --log-only --to 20240101000000\), or give it its old name back\.$/,
    );
  });
});
