// An applied migration edited afterwards: status says "edited", and the linter's
// edited-applied-migration rule flags the changed statement from the runner's local record, without
// touching the database.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../server/src/engine/config/config';
import { createDiskHost } from '../../server/src/engine/host';
import { lintText } from '../../server/src/engine/lint';
import { redo, rollback, status, up } from '../../server/src/engine/runner/commands';
import { initParser } from '../helpers/lint';
import { stopTestPostgres, testPostgres, type TestPostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile, explain, optionsFor } from './helpers';

let pg: TestPostgres;
before(async () => {
  await initParser();
  pg = await testPostgres();
});
after(async () => {
  cleanupProjects();
  await stopTestPostgres();
});

function lintFile(file: string) {
  const text = fs.readFileSync(file, 'utf8');
  return lintText(file, text, { config: { ...defaultConfig(), format: 'dbmate' }, host: createDiskHost({ cache: false }) }).findings.filter((f) => f.rule === 'edited-applied-migration');
}

describe('an applied migration edited afterwards', () => {
  it('shows as edited in status, is flagged by the linter at the changed statement, and redo clears it', async () => {
    const db = await pg.createDatabase('edited');
    const original = dbmateFile('-- Users.\nCREATE TABLE users (id bigint PRIMARY KEY);\nCREATE INDEX users_id_idx ON users (id);', 'DROP TABLE users;');
    const project = createProject({ 'db/migrations/20240101000000_users.sql': original, 'db/migrations/20240102000000_posts.sql': dbmateFile('CREATE TABLE posts (id int);', 'DROP TABLE posts;') });
    const file = project.file('db/migrations/20240101000000_users.sql');
    const options = optionsFor(project, pg.url(db), { yes: true });
    let result = await up({ ...options, to: '20240101000000' });
    assert.ok(result.ok, explain(result));

    const record = JSON.parse(fs.readFileSync(path.join(project.root, '.zdm', 'applied.json'), 'utf8'));
    assert.deepEqual(Object.keys(record.migrations), ['db/migrations/20240101000000_users.sql']);
    assert.match(record.database, /:\*\*\*\*@/, 'the record holds the URL with its password masked');
    assert.equal(fs.readFileSync(path.join(project.root, '.zdm', '.gitignore'), 'utf8').trim().split('\n').pop(), '*');
    assert.deepEqual(lintFile(file), [], 'unchanged: no finding');

    // A comment edit is not an edit of what ran.
    fs.writeFileSync(file, original.replace('-- Users.', '-- The users of the app.'));
    assert.deepEqual(lintFile(file), []);
    result = await status(options);
    assert.equal(result.status![0].state, 'applied');

    const edited = original.replace('CREATE INDEX users_id_idx ON users (id);', 'CREATE INDEX users_id_idx ON users (id DESC);');
    fs.writeFileSync(file, edited);
    const findings = lintFile(file);
    assert.equal(findings.length, 1);
    assert.equal(edited.slice(findings[0].span.start, findings[0].span.end), 'CREATE INDEX users_id_idx ON users (id DESC);');
    assert.match(findings[0].message, /applied to the dev database .* and this statement changed since/);

    result = await status(options);
    assert.deepEqual(result.status!.map((s) => s.state), ['edited', 'pending']);
    assert.match(result.status![0].note ?? '', /changed after it was applied/);
    // Applying the others does not touch the edited one.
    result = await up(options);
    assert.deepEqual(result.steps.map((s) => s.version), ['20240102000000']);

    // Roll both back through the edited one, and apply them again: the new text is what ran.
    result = await redo(options);
    assert.ok(result.ok, explain(result));
    result = await rollback({ ...options, to: '0' });
    assert.ok(result.ok, explain(result));
    result = await up(options);
    assert.ok(result.ok, explain(result));
    assert.deepEqual(result.status!.map((s) => s.state), ['applied', 'applied']);
    assert.deepEqual(lintFile(file), [], 'the record now holds the new text');
    const [{ indexdef }] = await pg.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = 'users_id_idx'", [], db);
    assert.match(indexdef, /DESC/);
  });
});
