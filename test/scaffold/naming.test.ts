// New migration files in every format: descriptive names, the next version after the files already
// in the folder (timestamps or sequence numbers, as the folder uses), the format's layout and markers
// (including the non-transactional ones), and what the format layer then reads back from them.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { describeMigration } from '../../server/src/engine/formats/index';
import { createMemoryHost, type ProjectHost } from '../../server/src/engine/host';
import type { FileCreate, FormatId } from '../../server/src/engine/model';
import { descriptiveSlug, newMigrationFiles, newMigrationSeries, nextVersions, ScaffoldError, slugify, type ScaffoldOutput } from '../../server/src/engine/scaffold/naming';
import { resolveScaffoldTarget } from '../../server/src/engine/scaffold/target';

const NOW = new Date(Date.UTC(2024, 4, 17, 9, 30, 5)); // 20240517093005

function project(format: FormatId, dir: string, files: Record<string, string> = {}) {
  const host = createMemoryHost(files);
  return { dir, format, host, now: NOW };
}

function names(output: ScaffoldOutput, dir: string): string[] {
  return output.creates.map((c) => path.relative(dir, c.path).split(path.sep).join('/'));
}

function textOf(output: ScaffoldOutput, suffix: string): string {
  const file = output.creates.find((c) => c.path.endsWith(suffix));
  assert.ok(file, `no created file ends with ${suffix}: ${output.creates.map((c) => c.path).join(', ')}`);
  return file.text;
}

/** Describes each created file through the format layer, with the created files visible beside it. */
function describeCreated(creates: FileCreate[], base: ProjectHost, format?: FormatId) {
  const host = createMemoryHost(Object.fromEntries(creates.map((c) => [c.path, c.text])), base);
  return creates.filter((c) => c.path.endsWith('.sql')).map((c) => describeMigration(c.path, c.text, host, { format }));
}

const CONTENT = { description: 'add users display_name', up: 'ALTER TABLE users ADD COLUMN display_name text;', down: 'ALTER TABLE users DROP COLUMN display_name;' };

describe('descriptive names', () => {
  it('slugifies descriptions', () => {
    assert.equal(slugify('Add users.display_name!'), 'add_users_display_name');
    assert.equal(slugify('ünïcödé tæble'), 'unicode_taeble');
    assert.throws(() => descriptiveSlug('日本語'), /has no letter or digit that can go in a file name/);
    assert.equal(slugify('  index Orders on   user_id '), 'index_orders_on_user_id');
    assert.equal(slugify('addUserDisplayName'), 'add_user_display_name');
    assert.equal(slugify('Crème brûlée'), 'creme_brulee');
    assert.equal(slugify('x'.repeat(200)).length, 80);
  });

  it('rejects empty, numeric and vague names with a message that says what to do', () => {
    for (const bad of ['', '   ', '47', '2024_01', 'migration_47', 'update', 'fix', 'new_migration', 'Migration', 'changes', 'wip', 'v2', 'schema update', 'fix 12']) {
      assert.throws(() => descriptiveSlug(bad), (e: unknown) => e instanceof ScaffoldError && /add_users_display_name/.test(e.message), bad);
    }
    assert.equal(descriptiveSlug('fix users email index'), 'fix_users_email_index');
    assert.equal(descriptiveSlug('add_user_display_name'), 'add_user_display_name');
  });

  it('refuses a vague name before creating anything', () => {
    assert.throws(() => newMigrationFiles(project('dbmate', '/p/db/migrations'), { description: 'migration_47', up: '' }), ScaffoldError);
  });
});

describe('versions', () => {
  it('dbmate: a UTC timestamp, strictly after the newest file (even one from the future)', () => {
    assert.deepEqual(nextVersions(project('dbmate', '/m'), 1), ['20240517093005']);
    assert.deepEqual(nextVersions(project('dbmate', '/m', { '/m/20240101000000_a.sql': '' }), 1), ['20240517093005']);
    assert.deepEqual(nextVersions(project('dbmate', '/m', { '/m/20240517093005_a.sql': '' }), 1), ['20240517093006']);
    assert.deepEqual(nextVersions(project('dbmate', '/m', { '/m/20301231235959_a.sql': '' }), 3), ['20310101000000', '20310101000001', '20310101000002']);
  });

  it('goose: timestamps, or the next sequence number with the folder\'s width', () => {
    assert.deepEqual(nextVersions(project('goose', '/m', { '/m/20240101000000_a.sql': '' }), 1), ['20240517093005']);
    assert.deepEqual(nextVersions(project('goose', '/m', { '/m/00001_a.sql': '', '/m/00002_b.sql': '' }), 2), ['00003', '00004']);
    assert.deepEqual(nextVersions(project('goose', '/m', { '/m/00009_a.sql': '' }), 1), ['00010']);
  });

  it('golang-migrate: timestamps, sequence numbers or unix seconds, as the folder uses', () => {
    assert.deepEqual(nextVersions(project('golang-migrate', '/m', { '/m/000001_a.up.sql': '', '/m/000001_a.down.sql': '' }), 1), ['000002']);
    assert.deepEqual(nextVersions(project('golang-migrate', '/m', { '/m/20240101000000_a.up.sql': '' }), 1), ['20240517093005']);
    assert.deepEqual(nextVersions(project('golang-migrate', '/m', { '/m/1700000000_a.up.sql': '' }), 1), [String(Math.floor(NOW.getTime() / 1000))]);
    assert.deepEqual(nextVersions(project('golang-migrate', '/m', { '/m/1900000000_a.up.sql': '' }), 1), ['1900000001']);
  });

  it('diesel: a dashed timestamp after the newest folder', () => {
    assert.deepEqual(nextVersions(project('diesel', '/m'), 1), ['2024-05-17-093005']);
    assert.deepEqual(nextVersions(project('diesel', '/m', { '/m/2099-01-01-000000_a/up.sql': '' }), 1), ['2099-01-01-000001']);
  });

  it('Flyway: the next major version with the folder\'s width, or a timestamp when the folder uses them', () => {
    assert.deepEqual(nextVersions(project('flyway', '/m'), 1), ['1']);
    assert.deepEqual(nextVersions(project('flyway', '/m', { '/m/V1__a.sql': '', '/m/V2__b.sql': '', '/m/V2.1__c.sql': '' }), 2), ['3', '4']);
    assert.deepEqual(nextVersions(project('flyway', '/m', { '/m/V009__a.sql': '' }), 1), ['010']);
    assert.deepEqual(nextVersions(project('flyway', '/m', { '/m/V20240101000000__a.sql': '' }), 1), ['20240517093005']);
  });

  it('Prisma and plain SQL: timestamps', () => {
    assert.deepEqual(nextVersions(project('prisma', '/m', { '/m/20240101000000_init/migration.sql': '' }), 1), ['20240517093005']);
    assert.deepEqual(nextVersions(project('plain', '/m', { '/m/0001_init.sql': '' }), 1), ['0002']);
  });
});

describe('files in each format', () => {
  it('dbmate: one file with -- migrate:up / -- migrate:down, transaction:false when asked', () => {
    const p = project('dbmate', '/p/db/migrations', { '/p/db/migrations/20240101000000_init.sql': '-- migrate:up\n-- migrate:down\n' });
    const out = newMigrationFiles(p, CONTENT);
    assert.deepEqual(names(out, p.dir), ['20240517093005_add_users_display_name.sql']);
    assert.equal(out.version, '20240517093005');
    assert.equal(out.primary, path.join(p.dir, '20240517093005_add_users_display_name.sql'));
    assert.equal(out.creates[0].text, '-- migrate:up\nALTER TABLE users ADD COLUMN display_name text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN display_name;\n');
    const noTx = newMigrationFiles(p, { ...CONTENT, transaction: false });
    const [doc] = describeCreated(noTx.creates, p.host);
    // dbmate sends a transaction:false block as one query string: the file says to keep one statement in it.
    assert.deepEqual(doc.sections.map((s) => [s.kind, s.transaction]), [['up', 'implicit'], ['down', 'implicit']]);
    assert.match(noTx.creates[0].text, /^-- migrate:up transaction:false\n-- dbmate sends a transaction:false block as one query string/);
  });

  it('a header becomes a comment block above the markers', () => {
    const out = newMigrationFiles(project('dbmate', '/m'), { ...CONTENT, header: 'Why this exists.\n\nSecond paragraph.' });
    assert.match(out.creates[0].text, /^-- Why this exists\.\n--\n-- Second paragraph\.\n\n-- migrate:up\n/);
  });

  it('goose: annotations, NO TRANSACTION, StatementBegin/End around statements with inner semicolons', () => {
    const p = project('goose', '/m', { '/m/00001_init.sql': '-- +goose Up\n' });
    const up = "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$;\nSELECT f();";
    const out = newMigrationFiles(p, { description: 'add function f', up, down: 'DROP FUNCTION f();', transaction: false });
    assert.deepEqual(names(out, p.dir), ['00002_add_function_f.sql']);
    const text = out.creates[0].text;
    assert.match(text, /^-- \+goose NO TRANSACTION\n-- \+goose Up\n-- \+goose StatementBegin\nCREATE FUNCTION f\(\)[\s\S]*\$\$;\n-- \+goose StatementEnd\nSELECT f\(\);\n\n-- \+goose Down\nDROP FUNCTION f\(\);\n$/);
    const [doc] = describeCreated(out.creates, p.host);
    assert.equal(doc.format, 'goose');
    assert.deepEqual(doc.problems, []);
    assert.deepEqual(doc.sections.map((s) => [s.kind, s.transaction]), [['up', 'none'], ['down', 'none']]);
  });

  it('golang-migrate: an .up.sql / .down.sql pair', () => {
    const p = project('golang-migrate', '/m', { '/m/000001_init.up.sql': '', '/m/000001_init.down.sql': '' });
    const out = newMigrationFiles(p, CONTENT);
    assert.deepEqual(names(out, p.dir), ['000002_add_users_display_name.up.sql', '000002_add_users_display_name.down.sql']);
    assert.equal(textOf(out, '.up.sql'), 'ALTER TABLE users ADD COLUMN display_name text;\n');
    assert.equal(textOf(out, '.down.sql'), 'ALTER TABLE users DROP COLUMN display_name;\n');
    const docs = describeCreated(out.creates, p.host);
    assert.deepEqual(docs.map((d) => [d.format, d.role, d.version, d.companionExists]), [['golang-migrate', 'up', '000002', true], ['golang-migrate', 'down', '000002', true]]);
  });

  it('diesel: a folder with up.sql and down.sql, metadata.toml for run_in_transaction = false', () => {
    const p = project('diesel', '/m');
    const out = newMigrationFiles(p, { ...CONTENT, transaction: false });
    assert.deepEqual(names(out, p.dir), ['2024-05-17-093005_add_users_display_name/up.sql', '2024-05-17-093005_add_users_display_name/down.sql', '2024-05-17-093005_add_users_display_name/metadata.toml']);
    const docs = describeCreated(out.creates, p.host);
    assert.deepEqual(docs.map((d) => [d.format, d.role, d.sections[0].transaction]), [['diesel', 'up', 'implicit'], ['diesel', 'down', 'implicit']]);
  });

  it('Flyway: V<next>__desc.sql, with U<next> when the project keeps undo scripts, and .conf for executeInTransaction=false', () => {
    const plain = project('flyway', '/m', { '/m/V1__init.sql': '' });
    const out = newMigrationFiles(plain, { ...CONTENT, transaction: false });
    assert.deepEqual(names(out, plain.dir), ['V2__add_users_display_name.sql', 'V2__add_users_display_name.sql.conf']);
    assert.match(textOf(out, 'V2__add_users_display_name.sql'), /^ALTER TABLE users ADD COLUMN display_name text;\n\n-- Down \(Flyway runs no undo script in this project; to undo this migration by hand, run\):\n--\n-- ALTER TABLE users DROP COLUMN display_name;\n$/);
    const undo = project('flyway', '/m', { '/m/V1__init.sql': '', '/m/U1__init.sql': '' });
    const withUndo = newMigrationFiles(undo, CONTENT);
    assert.deepEqual(names(withUndo, undo.dir), ['V2__add_users_display_name.sql', 'U2__add_users_display_name.sql']);
    const docs = describeCreated(withUndo.creates, undo.host);
    assert.deepEqual(docs.map((d) => [d.format, d.role, d.version, d.companionExists]), [['flyway', 'up', '2', true], ['flyway', 'down', '2', true]]);
  });

  it('Liquibase: a formatted SQL file with one changeset (author from the folder) and --rollback lines', () => {
    const p = project('liquibase', '/m', { '/m/20240101000000_init.sql': '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE t (id int);\n--rollback DROP TABLE t;\n' });
    const out = newMigrationFiles(p, { ...CONTENT, down: 'ALTER TABLE users\n  DROP COLUMN display_name;' });
    assert.deepEqual(names(out, p.dir), ['20240517093005_add_users_display_name.sql']);
    assert.equal(out.creates[0].text, '--liquibase formatted sql\n\n--changeset alice:20240517093005_add_users_display_name\nALTER TABLE users ADD COLUMN display_name text;\n--rollback ALTER TABLE users\n--rollback   DROP COLUMN display_name;\n');
    const [doc] = describeCreated(out.creates, p.host);
    const down = doc.sections.find((s) => s.kind === 'down')!;
    assert.equal(down.source.slice(down.span.start, down.span.end).replace(/\s+/g, ' '), 'ALTER TABLE users DROP COLUMN display_name;');
    const noTx = newMigrationFiles(p, { description: 'backfill users', up: 'DO $$ BEGIN PERFORM 1; END $$;', down: '-- nothing to undo', transaction: false });
    assert.match(noTx.creates[0].text, /--changeset alice:\S+ runInTransaction:false splitStatements:false\n/);
    assert.match(noTx.creates[0].text, /-- nothing to undo\n--rollback not required\n$/);
    const blank = newMigrationFiles(p, { description: 'add orders', up: '', down: '' });
    assert.match(blank.creates[0].text, /--changeset alice:\S+_add_orders\n\n$/);
  });

  it('sqitch: deploy, revert and verify scripts, and a line appended to sqitch.plan', () => {
    const plan = '%syntax-version=1.0.0\n%project=shop\n\ncreate_users 2024-01-01T00:00:00Z Alice Doe <alice@example.com> # First\n';
    const p = project('sqitch', '/s', { '/s/sqitch.plan': plan, '/s/deploy/create_users.sql': '' });
    const out = newMigrationFiles(p, CONTENT);
    assert.deepEqual(names(out, p.dir), ['deploy/add_users_display_name.sql', 'revert/add_users_display_name.sql', 'verify/add_users_display_name.sql']);
    assert.equal(textOf(out, 'deploy/add_users_display_name.sql'), '-- Deploy shop:add_users_display_name to pg\n\nBEGIN;\n\nALTER TABLE users ADD COLUMN display_name text;\n\nCOMMIT;\n');
    assert.deepEqual(out.edits, [{ path: '/s/sqitch.plan', span: { start: plan.length, end: plan.length }, newText: 'add_users_display_name 2024-05-17T09:30:05Z Alice Doe <alice@example.com> # add users display_name\n' }]);
    const docs = describeCreated(out.creates, p.host);
    assert.deepEqual(docs.map((d) => [d.format, d.role]), [['sqitch', 'up'], ['sqitch', 'down'], ['sqitch', 'verify']]);
    assert.throws(() => newMigrationFiles(p, { ...CONTENT, description: 'create users' }), /already has a change named "create_users"/);
  });

  it('sqitch series: each change requires the previous one, and one plan edit holds every line', () => {
    const plan = '%project=shop\n';
    const p = project('sqitch', '/s/deploy', { '/s/sqitch.plan': plan });
    const outs = newMigrationSeries(p, [{ ...CONTENT, description: 'step one a' }, { ...CONTENT, description: 'step two b' }]);
    assert.deepEqual(outs[0].edits, []);
    assert.equal(outs[1].edits[0].newText, 'step_one_a 2024-05-17T09:30:05Z zdm <zdm@localhost> # step one a\nstep_two_b [step_one_a] 2024-05-17T09:30:05Z zdm <zdm@localhost> # step two b\n');
    assert.match(textOf(outs[1], 'deploy/step_two_b.sql'), /^-- Deploy shop:step_two_b to pg\n-- requires: step_one_a\n/);
  });

  it('Prisma: a folder with migration.sql, the down kept as a comment', () => {
    const p = project('prisma', '/m');
    const out = newMigrationFiles(p, CONTENT);
    assert.deepEqual(names(out, p.dir), ['20240517093005_add_users_display_name/migration.sql']);
    assert.match(out.creates[0].text, /-- Down \(Prisma Migrate runs migrations forward only; to undo this migration by hand, run\):/);
    const [doc] = describeCreated(out.creates, p.host);
    assert.equal(doc.format, 'prisma');
  });

  it('plain: a timestamped file', () => {
    const p = project('plain', '/p/supabase/migrations');
    const out = newMigrationFiles(p, CONTENT);
    assert.deepEqual(names(out, p.dir), ['20240517093005_add_users_display_name.sql']);
  });

  it('never creates a file that exists', () => {
    const p = project('sqitch', '/s', { '/s/sqitch.plan': '%project=shop\n', '/s/revert/add_users_display_name.sql': 'stray' });
    assert.throws(() => newMigrationFiles(p, CONTENT), /add_users_display_name\.sql already exists; zdm never overwrites a migration/);
  });
});

describe('where new migrations go', () => {
  it('uses migrationsDir and format from .zdm.json', () => {
    const host = createMemoryHost({ '/p/.zdm.json': '{ "migrationsDir": "sql/changes", "format": "goose" }' });
    const t = resolveScaffoldTarget({ cwd: '/p/src', host });
    assert.equal(t.dir, path.resolve('/p/sql/changes'));
    assert.deepEqual([t.format, t.formatSource], ['goose', 'config']);
  });

  it('detects the folder and the format of the files already there', () => {
    const cases: [Record<string, string>, string, FormatId][] = [
      [{ '/p/db/migrations/20240101000000_a.sql': '-- migrate:up\nSELECT 1;\n' }, '/p/db/migrations', 'dbmate'],
      [{ '/p/migrations/00001_a.sql': '-- +goose Up\nSELECT 1;\n' }, '/p/migrations', 'goose'],
      [{ '/p/migrations/000001_a.up.sql': 'SELECT 1;\n' }, '/p/migrations', 'golang-migrate'],
      [{ '/p/migrations/2024-01-01-000000_a/up.sql': 'SELECT 1;\n' }, '/p/migrations', 'diesel'],
      [{ '/p/src/main/resources/db/migration/V1__a.sql': 'SELECT 1;\n' }, '/p/src/main/resources/db/migration', 'flyway'],
      [{ '/p/prisma/migrations/20240101000000_a/migration.sql': 'SELECT 1;\n' }, '/p/prisma/migrations', 'prisma'],
      [{ '/p/sqitch.plan': '%project=x\n', '/p/deploy/a.sql': 'SELECT 1;\n' }, '/p', 'sqitch'],
      [{ '/p/supabase/migrations/.keep': '' }, '/p/supabase/migrations', 'plain'],
      [{ '/p/README.md': '' }, '/p/db/migrations', 'dbmate'],
    ];
    for (const [files, dir, format] of cases) {
      const t = resolveScaffoldTarget({ cwd: '/p', host: createMemoryHost(files) });
      assert.deepEqual([t.dir, t.format], [path.resolve(dir), format], JSON.stringify(files));
    }
  });

  it('--dir and --format win; an unknown format is a clear error', () => {
    const host = createMemoryHost({ '/p/.zdm.json': '{ "format": "goose" }' });
    const t = resolveScaffoldTarget({ cwd: '/p', dir: 'other', format: 'flyway', host });
    assert.deepEqual([t.dir, t.format], [path.resolve('/p/other'), 'flyway']);
    assert.throws(() => resolveScaffoldTarget({ cwd: '/p', format: 'rails', host }), /Unknown format "rails"; use one of dbmate/);
  });
});
