// `zdm new` and `zdm trio` end to end: the built CLI in temporary projects.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { zdm } from '../helpers/cli';
import { stopTestPostgres, testPostgres } from '../helpers/postgres';

const temps: string[] = [];
after(async () => {
  temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  await stopTestPostgres();
});

/** No dev database: neither variable set, whatever the test run's environment holds. */
const NO_DATABASE = { DATABASE_URL: '', ZDM_DATABASE_URL: '' };

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-scaffold-cli-'));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

describe('zdm new', () => {
  it('creates the next dbmate migration in db/migrations and prints its path', () => {
    const dir = project({ 'db/migrations/20200101000000_init.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n' });
    const r = zdm(['new', 'add users display_name'], dir);
    assert.equal(r.code, 0, r.stderr);
    const [file] = lines(r.stdout);
    assert.match(file, /^db\/migrations\/\d{14}_add_users_display_name\.sql$/);
    assert.equal(fs.readFileSync(path.join(dir, file), 'utf8'), '-- migrate:up\n\n\n-- migrate:down\n\n');
  });

  it('follows the folder: goose sequence numbers, --no-transaction', () => {
    const dir = project({ 'migrations/00007_init.sql': '-- +goose Up\nSELECT 1;\n' });
    const r = zdm(['new', 'index', 'orders', 'on', 'user_id', '--no-transaction'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), ['migrations/00008_index_orders_on_user_id.sql']);
    assert.match(fs.readFileSync(path.join(dir, 'migrations/00008_index_orders_on_user_id.sql'), 'utf8'), /^-- \+goose NO TRANSACTION\n-- \+goose Up\n/);
  });

  it('--dir and --format choose the folder and the layout', () => {
    const dir = project({});
    const r = zdm(['new', 'create orders', '--dir', 'sql', '--format', 'golang-migrate'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(lines(r.stdout).length, 2);
    assert.match(r.stdout, /^sql\/\d{14}_create_orders\.up\.sql\nsql\/\d{14}_create_orders\.down\.sql\n$/);
  });

  it('refuses a name that does not describe the change (exit 2)', () => {
    const dir = project({});
    for (const name of ['update', 'migration_47', '']) {
      const r = zdm(['new', ...(name ? [name] : [])], dir);
      assert.equal(r.code, 2, name);
      assert.match(r.stderr, /^zdm new: .*name it after the change/);
    }
    assert.equal(fs.existsSync(path.join(dir, 'db')), false, 'nothing was created');
  });

  it('never overwrites: a sqitch change that exists is refused', () => {
    const dir = project({ 'sqitch.plan': '%project=shop\n' });
    assert.equal(zdm(['new', 'create orders'], dir).code, 0);
    const plan = fs.readFileSync(path.join(dir, 'sqitch.plan'), 'utf8');
    assert.match(plan, /^%project=shop\ncreate_orders \S+Z zdm <zdm@localhost> # create orders\n$/);
    const again = zdm(['new', 'create orders'], dir);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already has a change named "create_orders"/);
    assert.equal(fs.readFileSync(path.join(dir, 'sqitch.plan'), 'utf8'), plan);
  });
});

describe('zdm trio', () => {
  it('creates the three migrations, which lint without errors', () => {
    const dir = project({ '.zdm.json': '{ "lockTimeout": "3s" }', 'db/migrations/20200101000000_init.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n' });
    const r = zdm(['trio', 'rename-column', 'users.name', '--to', 'full_name', '--type', 'text', '--not-null', '--batch-size', '250'], dir, NO_DATABASE);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const files = lines(r.stdout);
    assert.equal(files.length, 3);
    // No database: the expand's header says what to re-create, as it always did.
    assert.match(fs.readFileSync(path.join(dir, files[0]), 'utf8').replace(/\n--\s*/g, ' '), /Not copied to full_name: the DEFAULT of name \(give it with --default: the contract sets it\), its indexes, UNIQUE and foreign key constraints\. Re-create each/);
    files.forEach((f, i) => assert.match(f, new RegExp(`^db/migrations/\\d{14}_rename_users_name_to_full_name_${i + 1}_(expand|backfill|contract)\\.sql$`)));
    assert.match(fs.readFileSync(path.join(dir, files[0]), 'utf8'), /SET lock_timeout = '3s';/);
    assert.match(fs.readFileSync(path.join(dir, files[1]), 'utf8'), /zdm_batch_size constant integer := 250;/);
    const lint = zdm(['lint', '--format', 'json', 'db/migrations'], dir);
    assert.equal(lint.code, 0, lint.stdout);
    assert.deepEqual(JSON.parse(lint.stdout).filter((f: { severity: string }) => f.severity === 'error'), []);
  });

  it("with the dev database (DATABASE_URL), rename-column carries the column's indexes and constraints over", async () => {
    const pg = await testPostgres();
    const database = await pg.createDatabase('trio_cli');
    await pg.query(`CREATE TABLE users (id bigint PRIMARY KEY, name text CONSTRAINT users_name_check CHECK (name <> ''), bio text); CREATE INDEX users_name_idx ON users (name); CREATE INDEX users_bio_idx ON users (bio);`, [], database);
    const dir = project({});
    const r = zdm(['trio', 'rename-column', 'users.name', '--to', 'full_name', '--type', 'text'], dir, { ...NO_DATABASE, DATABASE_URL: pg.url(database) });
    assert.equal(r.code, 0, r.stderr);
    const files = lines(r.stdout);
    assert.deepEqual(files.map((f) => f.replace(/^db\/migrations\/\d{14}_rename_users_name_to_full_name_/, '')), ['1_expand.sql', '2_backfill.sql', '2_backfill_index_1.sql', '2_backfill_index_1_check.sql', '3_contract.sql']);
    const text = (i: number) => fs.readFileSync(path.join(dir, files[i]), 'utf8');
    assert.match(text(0), /ADD CONSTRAINT users_full_name_check CHECK \(full_name <> ''::text\) NOT VALID;/);
    assert.match(text(2), /^CREATE INDEX CONCURRENTLY IF NOT EXISTS users_full_name_idx ON public\.users USING btree \(full_name\);$/m);
    assert.doesNotMatch(text(2), /bio/);
    assert.match(text(3), /RAISE EXCEPTION .index % is missing or INVALID/);
    assert.match(text(4), /VALIDATE CONSTRAINT users_full_name_check;/);
  });

  it('with the dev database, takes what the flags leave out from it (type, NOT NULL, default, key) and says so', async () => {
    const pg = await testPostgres();
    const database = await pg.createDatabase('trio_cli_complete');
    await pg.query(`CREATE TABLE accounts (account_uid bigint PRIMARY KEY, plan text NOT NULL DEFAULT 'free', score integer DEFAULT 0);`, [], database);
    const env = { ...NO_DATABASE, DATABASE_URL: pg.url(database) };
    const dir = project({});
    const r = zdm(['trio', 'rename-column', 'accounts.plan', '--to', 'tier'], dir, env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "zdm trio: from the dev database: --type text --not-null --default 'free'::text --key account_uid\n");
    const files = lines(r.stdout);
    const text = (i: number) => fs.readFileSync(path.join(dir, files[i]), 'utf8');
    assert.match(text(0), /ADD COLUMN tier text, ADD CONSTRAINT accounts_tier_not_null_check CHECK \(tier IS NOT NULL\) NOT VALID/);
    assert.match(text(1), /ORDER BY account_uid LIMIT zdm_batch_size/);
    assert.match(text(2), /ALTER TABLE accounts ALTER COLUMN tier SET NOT NULL;/);
    assert.match(text(2), /ALTER TABLE accounts ALTER COLUMN tier SET DEFAULT 'free'::text;/);

    // A flag the user gives wins; change-type takes the current type, not the old default (an
    // expression of the old type).
    const other = project({});
    const c = zdm(['trio', 'change-type', 'accounts.score', '--type', 'bigint', '--key', 'account_uid'], other, env);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stderr, 'zdm trio: from the dev database: --from-type integer\n');
    assert.doesNotMatch(fs.readFileSync(path.join(other, lines(c.stdout)[2]), 'utf8'), /SET DEFAULT/);
  });

  it('with a dev database URL that is not one, says so instead of silently leaving the catalog out', () => {
    const dir = project({});
    const r = zdm(['trio', 'rename-column', 'users.name', '--to', 'full_name', '--type', 'text'], dir, { ...NO_DATABASE, DATABASE_URL: 'postgres://nobody@localhost:5x32/none' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^zdm trio: the dev database's URL cannot be used \(DATABASE_URL is not a valid URL: .+\); the indexes and constraints of users are not carried over/);
    assert.equal(lines(r.stdout).length, 3);
  });

  it('with a dev database that cannot be reached, says so and writes the trio as without one', () => {
    const dir = project({});
    const r = zdm(['trio', 'rename-column', 'users.name', '--to', 'full_name', '--type', 'text'], dir, { ...NO_DATABASE, DATABASE_URL: 'postgres://nobody:x@127.0.0.1:1/none' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^zdm trio: could not read the dev database \(.+\); the indexes and constraints of users are not carried over/);
    const files = lines(r.stdout);
    assert.equal(files.length, 3);
    assert.match(fs.readFileSync(path.join(dir, files[0]), 'utf8').replace(/\n--\s*/g, ' '), /its indexes, UNIQUE and foreign key constraints\. Re-create each/);
  });

  it('split-table reads name:type lists (commas inside types included)', () => {
    const dir = project({});
    const r = zdm(['trio', 'split-table', 'shop.orders', '--to', 'order_totals', '--columns', 'total:numeric(12,2),currency:char(3)', '--format', 'goose', '--dir', 'migrations'], dir);
    assert.equal(r.code, 0, r.stderr);
    const contract = fs.readFileSync(path.join(dir, lines(r.stdout)[2]), 'utf8');
    assert.match(contract, /ALTER TABLE shop\.orders ADD COLUMN total numeric\(12,2\), ADD COLUMN currency char\(3\);/);
  });

  it('says what a change needs (exit 2), and lists the changes in --help', () => {
    const dir = project({});
    const missing = zdm(['trio', 'rename-column', 'users.name'], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /zdm trio: zdm trio rename-column needs the new column name \(--to\)/);
    const unknown = zdm(['trio', 'rename-everything', 'users.name'], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown change "rename-everything"; use one of rename-column, change-type/);
    const noColumn = zdm(['trio', 'drop-column', 'users', '--type', 'text'], dir);
    assert.equal(noColumn.code, 2);
    assert.match(noColumn.stderr, /needs a table and a column/);
    const help = zdm(['trio', '--help'], dir);
    assert.equal(help.code, 0);
    for (const kind of ['rename-column', 'change-type', 'add-not-null-column', 'set-not-null', 'rename-table', 'split-table', 'drop-column']) assert.match(help.stdout, new RegExp(`\\n  ${kind} `));
    assert.equal(fs.readdirSync(dir).length, 0, 'nothing was created');
  });
});
