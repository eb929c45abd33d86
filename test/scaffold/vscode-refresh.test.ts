// The Migrations view follows the files: a migration created by "zdm: New Migration" (or a trio), or
// deleted from outside the editor, refreshes the view, which then shows what `zdm status` says on a
// real PostgreSQL. Driven through the scripted stand-in for the editor (fake-vscode.ts), whose
// file-system watcher sees the real file system; the view's status comes from the bundled CLI.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI } from '../helpers/paths';
import { stopTestPostgres, testPostgres } from '../helpers/postgres';
import { installFakeVscode } from './fake-vscode';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-vscode-refresh-'));
const editor = installFakeVscode(root);
// Loaded after the stand-in is installed.
const { SCAFFOLD_COMMANDS } = require('../../client/src/scaffold/commands') as typeof import('../../client/src/scaffold/commands');
const { MigrationTree } = require('../../client/src/runner/tree') as typeof import('../../client/src/runner/tree');
const { watchMigrationFiles } = require('../../client/src/runner/watch') as typeof import('../../client/src/runner/watch');
const { runZdm } = require('../../client/src/runner/cli') as typeof import('../../client/src/runner/cli');

const ctx = { log: { info: () => undefined, warn: () => undefined, error: () => undefined } } as unknown as Parameters<(typeof SCAFFOLD_COMMANDS)[string]>[0];
const migrations = path.join(root, 'db', 'migrations');
let url = '';
let watching: { dispose(): void } | undefined;

before(async () => {
  const pg = await testPostgres();
  url = pg.url(await pg.createDatabase('vscode_refresh'));
  fs.mkdirSync(migrations, { recursive: true });
});
after(async () => {
  watching?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
  await stopTestPostgres();
});

describe('the Migrations view follows the migration files', () => {
  it('refreshes when a command creates a migration and when one is deleted outside the editor', { timeout: 60_000 }, async () => {
    // As the extension loads it (runner/index.ts loadStatus): `zdm status --no-start --format jsonl` in the folder.
    let loads = 0;
    const tree = new MigrationTree(async (folder) => {
      loads++;
      const run = await runZdm(['status', '--no-start', '--format', 'jsonl'], { cli: CLI, cwd: folder.uri.fsPath, env: { ZDM_DATABASE_URL: url } });
      return run.result ?? { message: run.stderr };
    });
    watching = watchMigrationFiles(() => tree.refresh(), 50);
    const shown = async () =>
      (await tree.getChildren()).map((n) => (n.kind === 'migration' ? `${path.basename(n.entry.name ?? n.entry.version)}: ${n.entry.state}` : n.text));
    const refreshed = () =>
      new Promise<void>((resolve) => {
        const listening = tree.onDidChangeTreeData(() => {
          listening.dispose();
          resolve();
        });
      });

    assert.deepEqual(await shown(), ['No migrations.']);
    assert.deepEqual(await shown(), ['No migrations.']);
    assert.equal(loads, 1, 'the status is kept until the view refreshes');

    let next = refreshed();
    editor.answers.push('add users display_name');
    await SCAFFOLD_COMMANDS['zdm.newMigration'](ctx);
    const created = fs.readdirSync(migrations);
    assert.equal(created.length, 1);
    await next;
    assert.deepEqual(await shown(), [`${created[0]}: pending`]);
    assert.equal(loads, 2);

    next = refreshed();
    fs.rmSync(path.join(migrations, created[0]));
    await next;
    assert.deepEqual(await shown(), ['No migrations.']);
    assert.equal(loads, 3);
    assert.ok(editor.log.some((l) => l[0] === 'watched'), 'the watcher saw the files');
  });
});
