// The VS Code side's pure parts: settings declared once and present in package.json, the URL/password
// split (the password goes to the secret storage), the output channel's lines, the Migrations view's
// labels and button targets, the CLI's arguments for a run, and what "Mark as (Not) Applied (log only)"
// offers and asks (client-log-only.test.ts runs those commands on a real PostgreSQL).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runArgs } from '../../client/src/runner/cli';
import { databaseName, logOnlyChoices, logOnlyQuestion } from '../../client/src/runner/log-only';
import { errorLines, eventLines, resultLines, summary } from '../../client/src/runner/output';
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
    const titles = ['Migrate Up', 'Roll Back', 'Redo', 'Mark Migrations as Applied (log only)', 'Mark Migration as Not Applied (log only)', 'Migration Status', 'Set Database URL', 'Start Embedded Database', 'Stop Embedded Database'];
    for (const title of titles) {
      const command = [...commands.values()].find((c) => c.title === title);
      assert.ok(command, title);
      assert.equal(command.enablement, 'isWorkspaceTrusted', title);
    }
    assert.ok(manifest.contributes.views.explorer.some((v: { id: string }) => v.id === 'zdm.migrations'));
    assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('zdm.database.url'));
  });

  it("puts Mark as (Not) Applied (log only) in the palette and the Migrations view's item menu, on the items it applies to, Mark as Applied in the view's title menu; never as a button", () => {
    const menus = manifest.contributes.menus as Record<string, { command: string; when?: string; group?: string }[]>;
    const items = (id: string) => menus['view/item/context'].filter((m) => m.command === id);
    const [applied] = items('zdm.markApplied');
    const [notApplied] = items('zdm.markNotApplied');
    // The same items as the inline Migrate Up / Roll Back buttons, but in the menu: a click too easily records what never ran.
    assert.equal(applied.when, menus['view/item/context'].find((m) => m.command === 'zdm.migrateUp')!.when);
    assert.equal(notApplied.when, menus['view/item/context'].find((m) => m.command === 'zdm.rollback')!.when);
    for (const m of [applied, notApplied]) assert.notEqual(m.group, 'inline', m.command);
    // In the palette (disabled in an untrusted workspace by their enablement, as the other runner commands).
    assert.ok(!menus.commandPalette.some((m) => m.command.startsWith('zdm.mark')));
    // Mark as Applied in the view's title menu too, as Roll Back and Redo (every pending one, or one picked),
    // in its own group, never a title button; Mark as Not Applied concerns one item: its menu only.
    const title = menus['view/title'].filter((m) => m.command.startsWith('zdm.mark'));
    assert.deepEqual(title.map((m) => m.command), ['zdm.markApplied'], JSON.stringify(title));
    assert.equal(title[0].when, menus['view/title'].find((m) => m.command === 'zdm.rollback')!.when);
    assert.ok(title[0].group && !title[0].group.startsWith('navigation'), title[0].group);
  });

  it('asks the CLI for a run: --to / --through the migration, --log-only for the Mark commands, --yes once the user confirmed', () => {
    assert.deepEqual(runArgs({ command: 'up' }), ['up', '--format', 'jsonl']);
    assert.deepEqual(runArgs({ command: 'up', version: '20240102000000' }), ['up', '--to', '20240102000000', '--format', 'jsonl']);
    assert.deepEqual(runArgs({ command: 'up', version: '20240102000000', logOnly: true }), ['up', '--to', '20240102000000', '--log-only', '--format', 'jsonl']);
    assert.deepEqual(runArgs({ command: 'up', logOnly: true }, true), ['up', '--log-only', '--yes', '--format', 'jsonl']);
    assert.deepEqual(runArgs({ command: 'rollback', version: 'users@v1.0', logOnly: true }), ['rollback', '--through', 'users@v1.0', '--log-only', '--format', 'jsonl']);
    assert.deepEqual(runArgs({ command: 'rollback' }, true), ['rollback', '--yes', '--format', 'jsonl']);
    // The CLI refuses --log-only for redo: never sent.
    assert.deepEqual(runArgs({ command: 'redo', logOnly: true }), ['redo', '--format', 'jsonl']);
  });

  it('Mark as (Not) Applied offers the pending migrations (or all of them), or the applied ones newest first, named as the view names them', () => {
    const entries = [
      { version: '1', name: 'db/migrations/1_a.sql', format: 'dbmate' as const, state: 'applied' as const },
      { version: '2', name: 'db/migrations/2_b.sql', format: 'dbmate' as const, state: 'edited' as const },
      { version: '3', name: 'db/migrations/3_c.sql', format: 'dbmate' as const, state: 'failed' as const },
      { version: '4', name: 'db/migrations/4_d.sql', format: 'dbmate' as const, state: 'pending' as const },
      { version: '', name: 'db/migrations/R__views.sql', format: 'flyway' as const, state: 'pending' as const, repeatable: true as const },
    ];
    assert.deepEqual(logOnlyChoices('up', entries).map((c) => [c.label, c.version, c.description]), [
      ['All pending migrations', undefined, '2 pending'],
      ['3_c.sql', '3', 'failed: recorded as applied as it is, and the pending ones before it'],
      ['4_d.sql', '4', 'and the pending ones before it'],
    ]);
    assert.deepEqual(logOnlyChoices('rollback', entries).map((c) => [c.label, c.version, c.description]), [
      ['2_b.sql', '2', 'the last applied'],
      ['1_a.sql', '1', 'and the one applied after it'],
    ]);
    // A sqitch change by its name, as the view's buttons give it.
    assert.deepEqual(logOnlyChoices('rollback', [{ version: '3', name: '2024', format: 'sqitch', state: 'applied' }]).map((c) => c.version), ['2024']);
    assert.deepEqual(logOnlyChoices('up', entries.slice(0, 2)), [], 'nothing pending: nothing to offer');
  });

  it('a migration below a Flyway baseline is offered by neither Mark as Applied nor Mark as Not Applied, and status counts it apart', () => {
    const entries = [
      { version: '1', name: 'V1__a.sql', file: '/p/db/migration/V1__a.sql', format: 'flyway' as const, state: 'below-baseline' as const },
      { version: '2', name: 'V2__b.sql', file: '/p/db/migration/V2__b.sql', format: 'flyway' as const, state: 'below-baseline' as const },
      { version: '3', name: 'V3__c.sql', file: '/p/db/migration/V3__c.sql', format: 'flyway' as const, state: 'applied' as const },
      { version: '4', name: 'V4__d.sql', file: '/p/db/migration/V4__d.sql', format: 'flyway' as const, state: 'pending' as const },
    ];
    assert.deepEqual(logOnlyChoices('up', entries).map((c) => c.version), [undefined, '4']);
    assert.deepEqual(logOnlyChoices('rollback', entries).map((c) => c.version), ['3']);
    assert.deepEqual(logOnlyChoices('rollback', entries.slice(0, 2)), [], 'only below the baseline: nothing to mark as not applied');
    assert.deepEqual(logOnlyChoices('up', entries.slice(0, 2)), [], 'only below the baseline: nothing to mark as applied');
    // The baseline row without a file of its version is not a migration on disk: not counted (as zdm status counts).
    const status = [...entries, { version: '5', state: 'below-baseline' as const }];
    assert.deepEqual(resultLines({ command: 'status', ok: true, steps: [], warnings: [], durationMs: 1, status }, '/p'), ['1 applied, 1 pending, 2 below the Flyway baseline.']);
    assert.deepEqual(resultLines({ command: 'status', ok: true, steps: [], warnings: [], durationMs: 1, status: entries.slice(2) }, '/p'), ['1 applied, 1 pending.']);
  });

  it("Mark as (Not) Applied asks plainly: no SQL runs, the tracking table will say it did (or did not), on which database", () => {
    const database = databaseName({ database: 'postgres://app:*****@db.example.com:5432/app', source: 'ZDM_DATABASE_URL' });
    assert.equal(database, 'postgres://app:*****@db.example.com:5432/app (the zdm.database.url setting)');
    assert.equal(databaseName({ database: 'postgres://app@localhost/app', source: 'DATABASE_URL' }), 'postgres://app@localhost/app (DATABASE_URL)');
    const up = logOnlyQuestion('up', '2_b.sql', database);
    assert.equal(up.message, `Mark 2_b.sql and every pending migration before it as applied in ${database}, without running them?`);
    assert.match(up.detail, /^Their SQL will NOT be run\.\n\nThe tracking table will say they were applied/);
    assert.equal(up.button, 'Mark as Applied');
    assert.match(logOnlyQuestion('up', undefined, database).message, /^Mark every pending migration as applied in /);
    const down = logOnlyQuestion('rollback', '1_a.sql', database);
    assert.equal(down.message, `Mark 1_a.sql and every migration applied after it as not applied in ${database}, without running their down sections?`);
    assert.match(down.detail, /^Their down SQL will NOT be run: whatever they made stays in the database\.\n\nThe tracking table will say they were not applied, so the next Migrate Up runs them again\./);
    assert.equal(down.button, 'Mark as Not Applied');
  });

  it('says in the output channel and the notification that a log-only run recorded migrations without running them', () => {
    const cwd = '/p';
    assert.deepEqual(eventLines({ type: 'plan', command: 'up', steps: [{ version: '1', name: 'a', direction: 'up' }, { version: '2', name: 'b', direction: 'up' }], logOnly: true }, cwd), [
      'Log only: recording 2 migrations as applied, running none of their statements.',
    ]);
    assert.deepEqual(eventLines({ type: 'plan', command: 'rollback', steps: [], logOnly: true }, cwd), ['Nothing to record.']);
    assert.deepEqual(
      eventLines({ type: 'migration-start', version: '1', name: 'db/migrations/1_a.sql', file: '/p/db/migrations/1_a.sql', format: 'dbmate', direction: 'down', mode: 'transaction', modeReason: 'log only', statements: 0, logOnly: true }, cwd),
      ['↓ db/migrations/1_a.sql (log only: not run)'],
    );
    const step = { version: '1', name: 'a', direction: 'up' as const, file: '/p/a.sql', ok: true, durationMs: 1, mode: 'transaction' as const, modeReason: 'log only', statements: [], logOnly: true as const };
    assert.deepEqual(eventLines({ type: 'migration-end', step }, cwd), ['  ✓ recorded as applied, not run']);
    const result = { command: 'up' as const, ok: true, steps: [step, { ...step, version: '2' }], warnings: [], durationMs: 3, logOnly: true as const };
    assert.equal(summary(result), '2 migrations recorded as applied (not run)');
    assert.equal(summary({ ...result, steps: [{ ...step, direction: 'down' as const }] }), '1 migration recorded as not applied (not run)');
    assert.equal(summary({ ...result, steps: [{ ...step, logOnly: undefined }] }), '1 migration applied', 'a run that ran says applied, as before');
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
