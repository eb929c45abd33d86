// The VS Code side's pure parts: settings declared once and present in package.json, the URL/password
// split (the password goes to the secret storage), the output channel's lines, and the Migrations view's
// labels and button targets.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { errorLines, eventLines } from '../../client/src/runner/output';
import { runnerConfigurationProperties, secretKey, splitPassword, withPassword } from '../../client/src/runner/settings';
import { migrationItemLabel, migrationRunTarget } from '../../client/src/runner/tree-items';
import { REPO_ROOT } from '../helpers/paths';

const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));

describe('runner in the editor', () => {
  it('package.json declares the runner settings exactly as client/src/runner/settings.ts does', () => {
    const declared = manifest.contributes.configuration.properties as Record<string, unknown>;
    for (const [key, value] of Object.entries(runnerConfigurationProperties())) assert.deepEqual(declared[key], value, key);
  });

  it('contributes the runner commands (trusted workspaces only), the Migrations view, and restricts the URL setting in untrusted workspaces', () => {
    const commands = new Map((manifest.contributes.commands as { command: string; title: string; enablement?: string }[]).map((c) => [c.command, c]));
    const titles = ['Migrate Up', 'Roll Back', 'Redo', 'Migration Status', 'Set Database URL', 'Start Embedded Database', 'Stop Embedded Database'];
    for (const title of titles) {
      const command = [...commands.values()].find((c) => c.title === title);
      assert.ok(command, title);
      assert.equal(command.enablement, 'isWorkspaceTrusted', title);
    }
    assert.ok(manifest.contributes.views.explorer.some((v: { id: string }) => v.id === 'zdm.migrations'));
    assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('zdm.database.url'));
  });

  it('keeps the password out of the URL setting and puts it back for the CLI', () => {
    assert.deepEqual(splitPassword('postgres://app:s3cr%40t@db.local:5432/app'), { url: 'postgres://app@db.local:5432/app', password: 's3cr@t' });
    assert.deepEqual(splitPassword('postgres://app@db.local/app'), { url: 'postgres://app@db.local/app' });
    assert.equal(withPassword('postgres://app@db.local:5432/app', 's3cr@t'), 'postgres://app:s3cr%40t@db.local:5432/app');
    assert.equal(withPassword('postgres://db.local/app', 'x'), 'postgres://db.local/app', 'no user: nothing to attach a password to');
    // libpq's unix-socket forms, which WHATWG URLs reject: the password still goes to the secret storage, not to settings.
    assert.deepEqual(splitPassword('postgres://app:s3cr%40t@/app?host=/var/run/postgresql'), { url: 'postgres://app@/app?host=/var/run/postgresql', password: 's3cr@t' });
    assert.equal(withPassword('postgres://app@/app?host=/var/run/postgresql', 's3cr@t'), 'postgres://app:s3cr%40t@/app?host=/var/run/postgresql');
    assert.equal(secretKey('postgres://app@db.local:5432/app'), 'zdm.database.password:postgres://app@db.local:5432/app');
  });

  it('names a migration in its start line as the CLI does: a file; a Liquibase changeset with ::id::author; a sqitch change by its name', () => {
    const cwd = '/p';
    const start = (format: 'dbmate' | 'liquibase' | 'sqitch', name: string, file: string) =>
      eventLines({ type: 'migration-start', version: '1', name, file, format, direction: 'up', mode: 'transaction', modeReason: 'default', statements: 1 }, cwd);
    assert.deepEqual(start('dbmate', 'db/migrations/1_a.sql', '/p/db/migrations/1_a.sql'), ['↑ db/migrations/1_a.sql (one transaction: default)']);
    assert.deepEqual(start('liquibase', 'db/changelog/a.sql::1::alice', '/p/db/changelog/a.sql'), ['↑ db/changelog/a.sql::1::alice (one transaction: default)']);
    assert.deepEqual(start('sqitch', 'users@v1.0', '/p/deploy/users@v1.0.sql'), ['↑ users@v1.0 (one transaction: default)']);
  });

  it('prints every statement with its duration, and errors with their place', () => {
    const cwd = '/p';
    assert.deepEqual(eventLines({ type: 'statement', version: '1', file: '/p/db/migrations/1_a.sql', direction: 'up', result: { number: 1, line: 2, text: 'CREATE TABLE a (id int);', durationMs: 1.25, ok: true } }, cwd), [
      '     1.3 ms  L2    CREATE TABLE a (id int);',
    ]);
    assert.deepEqual(errorLines({ message: 'relation "x" does not exist', code: '42P01', file: '/p/db/migrations/1_a.sql', line: 3, column: 13, statement: 2, statementText: 'INSERT INTO x …', section: 'up' }, cwd), [
      'error: db/migrations/1_a.sql:3:13: relation "x" does not exist (SQLSTATE 42P01)',
      '  in statement 2 of the up section: INSERT INTO x …',
      '  The migration was rolled back: schema and bookkeeping are as before it.',
    ]);
  });

  it("the Migrations view labels a sqitch change and a Liquibase changeset by their whole names, a file by its name; its buttons name a sqitch change, not its position", () => {
    // A sqitch change in a subfolder, and a reworked change's earlier version: not cut at the slash.
    assert.equal(migrationItemLabel({ version: '3', name: 'schema/tags', format: 'sqitch' }), 'schema/tags');
    assert.equal(migrationItemLabel({ version: '1', name: 'users@v1.0', format: 'sqitch' }), 'users@v1.0');
    // A changeset as zdm status names it, an id holding a slash kept whole.
    assert.equal(migrationItemLabel({ version: '2', name: 'db/changelog/001.sql::3::bob', format: 'liquibase' }), 'db/changelog/001.sql::3::bob');
    assert.equal(migrationItemLabel({ version: '4', name: 'db/changelog/001.sql::2024/01/add::bob', format: 'liquibase' }), 'db/changelog/001.sql::2024/01/add::bob');
    // Files: their name; a Prisma migration: its folder; missing on disk (no name): the version.
    assert.equal(migrationItemLabel({ version: '20240101000000', name: 'db/migrations/20240101000000_users.sql', format: 'dbmate' }), '20240101000000_users.sql');
    assert.equal(migrationItemLabel({ version: '20240101000000', name: 'prisma/migrations/20240101000000_init', format: 'prisma' }), '20240101000000_init');
    assert.equal(migrationItemLabel({ version: '20240101000000' }), '20240101000000');
    // sqitch reads digits that are a change's name as that change: the button gives the name (2024 at position 3).
    assert.equal(migrationRunTarget({ version: '3', name: '2024', format: 'sqitch' }), '2024');
    assert.equal(migrationRunTarget({ version: '1', name: 'users@v1.0', format: 'sqitch' }), 'users@v1.0');
    // The rework of a reworked change (shown after users@v1.0): its bare name is ambiguous to sqitch and the runner.
    const reworked = [{ version: '1', name: 'users@v1.0', format: 'sqitch' as const }, { version: '2', name: 'posts', format: 'sqitch' as const }, { version: '3', name: 'users', format: 'sqitch' as const }];
    assert.deepEqual(reworked.map((e) => migrationRunTarget(e, reworked)), ['users@v1.0', 'posts', 'users@HEAD']);
    assert.equal(migrationRunTarget({ version: '2', name: 'db/changelog/001.sql::3::bob', format: 'liquibase' }), '2');
    assert.equal(migrationRunTarget({ version: '20240101000000', name: 'db/migrations/20240101000000_users.sql', format: 'dbmate' }), '20240101000000');
  });
});
