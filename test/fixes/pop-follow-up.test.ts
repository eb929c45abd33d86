// pop folders (dialect or `.autocommit` infixes): pop runs each migration in a transaction unless its
// files carry `.autocommit`. A fix that moves a statement into a new migration so that it runs outside
// a transaction must name the new files `.autocommit` there (and keep the dialect of the migration it
// follows); a plain `.up.sql` would run in a transaction again, where CONCURRENTLY fails.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { initParser, lintSql } from '../helpers/lint';

before(() => initParser());

describe('follow-up migrations in a pop folder', () => {
  const init = { '20240101000000_init.postgres.up.sql': 'CREATE TABLE tags (id bigint, name text);\n', '20240101000000_init.postgres.down.sql': 'DROP TABLE tags;\n' };
  const up = "SET lock_timeout = '5s';\nALTER TABLE tags ADD COLUMN slug text;\nCREATE INDEX tags_name_idx ON tags (name);\n";

  it('names the new migration `.postgres.autocommit`, and it lints without a CONCURRENTLY-in-a-transaction finding', () => {
    const name = '20240102000000_tags_name.postgres.up.sql';
    const files = { ...init, '20240102000000_tags_name.postgres.down.sql': "SET lock_timeout = '5s';\nDROP INDEX tags_name_idx;\nALTER TABLE tags DROP COLUMN slug;\n" };
    const result = lintSql(up, { path: name, files });
    const finding = result.findings.find((f) => f.rule === 'require-concurrent-index-creation');
    const fix = finding?.fixes?.find((f) => /new migration/.test(f.title));
    assert.ok(fix, `no move fix: ${finding?.fixes?.map((f) => f.title).join('; ')}`);
    const created = (fix.creates ?? []).map((c) => path.basename(c.path));
    assert.deepEqual(created, ['20240102000001_create_index_tags_name_idx_concurrently.postgres.autocommit.up.sql', '20240102000001_create_index_tags_name_idx_concurrently.postgres.autocommit.down.sql']);
    const newUp = fix.creates![0];
    const after = lintSql(newUp.text, { path: path.basename(newUp.path), files: { ...files, [name]: up } });
    assert.equal(after.document.sections[0].transaction, 'none');
    assert.deepEqual(after.findings.filter((f) => f.rule === 'ban-concurrent-index-creation-in-transaction' || f.rule === 'syntax-error'), []);
  });

  it('a folder without pop infixes keeps golang-migrate names', () => {
    const result = lintSql(up, { path: '20240102000000_tags_name.up.sql', files: { '20240101000000_init.up.sql': 'CREATE TABLE tags (id bigint, name text);\n', '20240101000000_init.down.sql': 'DROP TABLE tags;\n' } });
    const fix = result.findings.find((f) => f.rule === 'require-concurrent-index-creation')?.fixes?.find((f) => /new migration/.test(f.title));
    assert.deepEqual((fix?.creates ?? []).map((c) => path.basename(c.path)), ['20240102000001_create_index_tags_name_idx_concurrently.up.sql', '20240102000001_create_index_tags_name_idx_concurrently.down.sql']);
  });

  it('a forward-only folder (no .down.sql) gets no down file: it would make missing-down-section fire on every other migration', () => {
    const files = { '20240101000000_init.postgres.up.sql': 'CREATE TABLE tags (id bigint, name text);\n', '20240101000001_more.up.sql': 'CREATE TABLE more (id bigint);\n' };
    const name = '20240102000000_tags_name.postgres.up.sql';
    const fix = lintSql(up, { path: name, files }).findings.find((f) => f.rule === 'require-concurrent-index-creation')?.fixes?.find((f) => /new migration/.test(f.title));
    assert.deepEqual((fix?.creates ?? []).map((c) => path.basename(c.path)), ['20240102000001_create_index_tags_name_idx_concurrently.postgres.autocommit.up.sql']);
    const newUp = fix!.creates![0];
    const withNew = { ...files, [name]: up, [path.basename(newUp.path)]: newUp.text };
    for (const [file, text] of Object.entries(withNew)) {
      const rules = lintSql(text, { path: file, files: withNew }).findings.map((f) => f.rule);
      assert.ok(!rules.includes('missing-down-section'), `${file}: ${rules.join(', ')}`);
    }
  });
});

// A pop file without a dialect infix runs on every database the project migrates: kratos keeps
// `.mysql.up.sql`, `.sqlite3.up.sql` and `.cockroach.up.sql` files beside generic ones. PostgreSQL's
// safe form (CONCURRENTLY, SET lock_timeout) would break those databases, so the fixes there are for
// review, never applied by --fix or fix-all.
describe('generic files of a pop folder with other databases\' files', () => {
  const up = 'CREATE INDEX tags_name_idx ON tags (name);\n';
  const files = { '20240101000000_init.up.sql': 'CREATE TABLE tags (id bigint, name text);\n', '20240101000000_init.down.sql': 'DROP TABLE tags;\n', '20240101000001_seed.mysql.up.sql': 'INSERT INTO tags VALUES (1, "a");\n', '20240101000001_seed.sqlite3.up.sql': "INSERT INTO tags VALUES (1, 'a');\n" };

  it('offer their fixes for review only, saying which databases run the file too', () => {
    const result = lintSql(up, { path: '20240102000000_tags_name.up.sql', files: { ...files, '20240102000000_tags_name.down.sql': 'DROP INDEX tags_name_idx;\n' } });
    assert.deepEqual(result.document.sharedWith, ['mysql', 'sqlite3']);
    const fixes = result.findings.flatMap((f) => f.fixes ?? []);
    assert.ok(fixes.length >= 2, fixes.map((f) => f.title).join('; '));
    for (const fix of fixes) {
      assert.equal(fix.safe, false, fix.title);
      assert.match(fix.title, /\(review: this generic file also runs on mysql, sqlite3; put PostgreSQL's form in a \.postgres variant of it\)$/);
    }
    // Their edits are still there to review.
    assert.ok(fixes.find((f) => /CONCURRENTLY/.test(f.title))?.edits.length);
  });

  it('a .postgres file of that folder, and a generic file of a folder with no other database, keep their safe fixes', () => {
    const postgres = lintSql(up, { path: '20240102000000_tags_name.postgres.up.sql', files });
    assert.equal(postgres.document.sharedWith, undefined);
    assert.ok(postgres.findings.some((f) => f.fixes?.some((x) => x.safe)));
    const alone = lintSql(up, { path: '20240102000000_tags_name.up.sql', files: { '20240101000000_init.postgres.up.sql': 'CREATE TABLE tags (id bigint, name text);\n' } });
    assert.equal(alone.document.sharedWith, undefined);
    assert.ok(alone.findings.some((f) => f.fixes?.some((x) => x.safe)));
  });
});
