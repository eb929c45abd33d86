// The VS Code commands "zdm: New Migration" and "zdm: New Expand/Backfill/Contract Trio", driven
// through a scripted stand-in for the editor (fake-vscode.ts): the prompts asked, the files created and
// opened; tables, columns, types and NOT NULL picked from a real dev database when one is configured.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import { usePostgres } from '../helpers/postgres';
import { installFakeVscode, type FakeVscode } from './fake-vscode';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-vscode-scaffold-'));
const editor: FakeVscode = installFakeVscode(root);
// Loaded after the stand-in is installed.
const { SCAFFOLD_COMMANDS } = require('../../client/src/scaffold/commands') as typeof import('../../client/src/scaffold/commands');

const { secretKey, splitPassword } = require('../../client/src/runner/settings') as typeof import('../../client/src/runner/settings');
const ctx = {
  log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  secrets: { get: async (key: string) => editor.secrets.get(key) },
} as unknown as Parameters<(typeof SCAFFOLD_COMMANDS)[string]>[0];
const migrations = path.join(root, 'db', 'migrations');

const pg = usePostgres({
  cleanup: () => {
    delete process.env.DATABASE_URL;
    fs.rmSync(root, { recursive: true, force: true });
  },
});
beforeEach(() => {
  fs.rmSync(migrations, { recursive: true, force: true });
  fs.mkdirSync(migrations, { recursive: true });
  editor.log.length = 0;
  editor.answers.length = 0;
  editor.settingsUrl = undefined;
  editor.secrets.clear();
  delete process.env.DATABASE_URL;
});

const opened = () => editor.log.filter((l) => l[0] === 'open').map((l) => path.basename(l[1] as string));
const prompts = () => editor.log.filter((l) => ['input', 'pick', 'quickpick'].includes(l[0] as string)).map((l) => l[1]);

describe('VS Code scaffolding commands', () => {
  it('New Migration asks for a description, creates the file and opens it', async () => {
    editor.answers.push('add users display_name');
    await SCAFFOLD_COMMANDS['zdm.newMigration'](ctx);
    assert.deepEqual(prompts(), ['What does the migration change?']);
    const [file] = opened();
    assert.match(file, /^\d{14}_add_users_display_name\.sql$/);
    assert.equal(fs.readFileSync(path.join(migrations, file), 'utf8'), '-- migrate:up\n\n\n-- migrate:down\n\n');
  });

  it('New Migration refuses a vague description as it is typed', async () => {
    editor.answers.push('update');
    await SCAFFOLD_COMMANDS['zdm.newMigration'](ctx);
    assert.match(String(editor.log.find((l) => l[0] === 'invalid')?.[2]), /does not say what the migration changes/);
    assert.deepEqual(fs.readdirSync(migrations), []);
  });

  it('a trio without a dev database: typed names, every value asked', async () => {
    editor.answers.push('drop-column', 'users.legacy_login', 'text', 'Yes', "''", 'id', '2000');
    await SCAFFOLD_COMMANDS['zdm.newTrio'](ctx);
    assert.deepEqual(prompts(), [
      'Which breaking change?',
      'Column (table.column or schema.table.column)',
      "The column's type (to re-create it in the contract's down)",
      'Is the column NOT NULL today?',
      'Default for inserts that stop writing it while it still exists',
      'Key the backfill walks in order (unique, indexed)',
      'Rows per committed batch',
    ]);
    assert.deepEqual(opened().map((f) => f.replace(/^\d{14}_/, '')), ['drop_users_legacy_login_1_expand.sql', 'drop_users_legacy_login_2_backfill.sql', 'drop_users_legacy_login_3_contract.sql']);
    const backfill = fs.readFileSync(path.join(migrations, opened()[1]), 'utf8');
    assert.match(backfill, /zdm_batch_size constant integer := 2000;/);
  });

  it('a trio with a dev database: the table and column are picked, their type and NOT NULL read from it', async () => {
    const database = await pg.createDatabase('vscode_trio');
    await pg.query('CREATE TABLE accounts (account_id bigint PRIMARY KEY, name text NOT NULL, bio text)', [], database);
    process.env.DATABASE_URL = pg.url(database);
    editor.answers.push('rename-column', 'accounts', 'name', 'full_name', 'account_id', '1000');
    await SCAFFOLD_COMMANDS['zdm.newTrio'](ctx);
    assert.deepEqual(editor.log.find((l) => l[0] === 'offered' && String(l[1]).startsWith('Column'))?.[2], ['account_id', 'name', 'bio']);
    // The tables are read while the change is picked (a dev database that answers nothing waits behind the pick).
    assert.deepEqual(editor.log.filter((l) => l[0] === 'progress' || l[0] === 'pick').slice(0, 2).map((l) => l.slice(0, 2)), [
      ['progress', 'zdm: reading tables from the dev database'],
      ['pick', 'Which breaking change?'],
    ]);
    assert.deepEqual(prompts(), [
      'Which breaking change?',
      'Table (from the dev database, or type a name)',
      'Column (from the dev database, or type a name)',
      'New column name',
      'Key the backfill walks in order (unique, indexed)',
      'Rows per committed batch',
    ]);
    const [expand, backfill] = opened().map((f) => fs.readFileSync(path.join(migrations, f), 'utf8'));
    assert.match(expand, /ALTER TABLE accounts ADD COLUMN full_name text, ADD CONSTRAINT accounts_full_name_not_null_check CHECK \(full_name IS NOT NULL\) NOT VALID;/);
    assert.match(backfill, /zdm_from accounts\.account_id%TYPE;/);
  });

  it('a trio whose column a view reads: the trio is written and a warning names the view; a partition key column is refused, nothing written', async () => {
    const database = await pg.createDatabase('vscode_trio_deps');
    await pg.query(
      `CREATE TABLE accounts (account_id bigint PRIMARY KEY, name text NOT NULL, bio text);
CREATE VIEW account_names AS SELECT account_id, name FROM accounts;
CREATE TABLE visits (id bigint, at date) PARTITION BY RANGE (at);`,
      [],
      database,
    );
    process.env.DATABASE_URL = pg.url(database);
    editor.answers.push('rename-column', 'accounts', 'name', 'full_name', 'account_id', '1000');
    await SCAFFOLD_COMMANDS['zdm.newTrio'](ctx);
    assert.equal(opened().length, 3);
    const warnings = editor.log.filter((l) => l[0] === 'warning').map((l) => String(l[1]));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /^zdm trio: view account_names depends on name: the contract's DROP COLUMN fails while it does/);

    editor.log.length = 0;
    fs.rmSync(migrations, { recursive: true, force: true });
    fs.mkdirSync(migrations, { recursive: true });
    editor.answers.push('drop-column', 'visits', 'at', 'id', '1000');
    await SCAFFOLD_COMMANDS['zdm.newTrio'](ctx);
    assert.deepEqual(opened(), []);
    assert.match(String(editor.log.find((l) => l[0] === 'error')?.[1]), /^zdm: No trio can change visits\.at \(per the dev database's catalog\): at is in the partition key of visits/);
    assert.deepEqual(fs.readdirSync(migrations), []);
  });

  it("the dev database can be the editor's zdm.database.url, with its password in the secret storage", async () => {
    const database = await pg.createDatabase('vscode_settings');
    await pg.query('CREATE TABLE orders (id bigint PRIMARY KEY, total integer NOT NULL)', [], database);
    const { url, password } = splitPassword(pg.url(database));
    editor.settingsUrl = url;
    editor.secrets.set(secretKey(url), password!);
    editor.answers.push('change-type', 'orders', 'total', 'bigint', '', '', 'id', '1000');
    await SCAFFOLD_COMMANDS['zdm.newTrio'](ctx);
    assert.deepEqual(editor.log.find((l) => l[0] === 'offered' && String(l[1]).startsWith('Column'))?.[2], ['id', 'total']);
    const contractDown = fs.readFileSync(path.join(migrations, opened()[2]), 'utf8').split('-- migrate:down')[1];
    assert.match(contractDown, /ADD COLUMN total integer, ADD CONSTRAINT orders_total_not_null_check CHECK \(total IS NOT NULL\) NOT VALID/);
  });

  it('split-table picks the moving columns from the dev database', async () => {
    const database = await pg.createDatabase('vscode_split');
    await pg.query('CREATE TABLE users (id bigint PRIMARY KEY, bio text, avatar_url varchar(300))', [], database);
    process.env.DATABASE_URL = pg.url(database);
    editor.answers.push('split-table', 'users', 'user_profiles', ['bio', 'avatar_url'], 'id', '1000');
    await SCAFFOLD_COMMANDS['zdm.newTrio'](ctx);
    const contract = fs.readFileSync(path.join(migrations, opened()[2]), 'utf8');
    assert.match(contract, /ADD COLUMN bio text, ADD COLUMN avatar_url character varying\(300\);/);
  });

  it('an untrusted workspace never connects: names are typed', async () => {
    process.env.DATABASE_URL = 'postgres://nobody:x@127.0.0.1:1/none';
    editor.trusted = false;
    try {
      editor.answers.push('rename-table', 'users', 'accounts', 'id');
      await SCAFFOLD_COMMANDS['zdm.newTrio'](ctx);
      assert.deepEqual(prompts(), ['Which breaking change?', 'Table (table or schema.table)', 'New table name', 'Key the backfill walks in order (unique, indexed)']);
      assert.equal(opened().length, 3);
    } finally {
      editor.trusted = true;
    }
  });
});
