// Generated down sections: the inverse of each up statement in reverse order, TODOs where none
// exists, written in each format's own place; the result parses and the down rules stop firing.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { applyEdits } from '../../server/src/engine/fixes/apply';
import { generateDownFix } from '../../server/src/engine/fixes/down-section';
import { inverseOf } from '../../server/src/engine/fixes/inverse';
import { initParser, lintSql, VIRTUAL_ROOT } from '../helpers/lint';

before(() => initParser());

function inverse(sql: string): string[] {
  const result = lintSql(sql, { format: 'plain' });
  return inverseOf(result.statements).lines;
}

describe('inverse statements', () => {
  it('inverts creations in reverse order and keeps the timeouts on top', () => {
    assert.deepEqual(
      inverse(`SET lock_timeout = '5s';
CREATE TABLE app.tags (id bigint PRIMARY KEY);
CREATE INDEX CONCURRENTLY tags_id_idx ON app.tags (id);
CREATE TYPE mood AS ENUM ('happy');
CREATE SEQUENCE IF NOT EXISTS counter;
CREATE VIEW tag_names AS SELECT id FROM app.tags;
CREATE FUNCTION add(a int, b int DEFAULT 1, OUT total int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;
CREATE TRIGGER tags_touch BEFORE UPDATE ON app.tags FOR EACH ROW EXECUTE FUNCTION touch();
CREATE EXTENSION IF NOT EXISTS pgcrypto;`),
      [
        "SET lock_timeout = '5s';",
        'DROP EXTENSION IF EXISTS pgcrypto;',
        'DROP TRIGGER tags_touch ON app.tags;',
        'DROP FUNCTION add(a int, b int, OUT total int);',
        'DROP VIEW tag_names;',
        'DROP SEQUENCE IF EXISTS counter;',
        'DROP TYPE mood;',
        'DROP INDEX CONCURRENTLY app.tags_id_idx;',
        'DROP TABLE app.tags;',
      ],
    );
  });

  it('inverts ALTER TABLE subcommands and renames, and marks what it cannot invert', () => {
    assert.deepEqual(
      inverse(`ALTER TABLE users ADD COLUMN bio text, ADD CONSTRAINT users_bio_len CHECK (length(bio) < 500) NOT VALID, ALTER COLUMN email SET NOT NULL;
ALTER TABLE users RENAME COLUMN name TO full_name;
ALTER TABLE "Orders" RENAME TO orders;
ALTER TABLE users DROP COLUMN legacy;
UPDATE users SET bio = '';`),
      [
        "-- TODO undo this data change by hand, or accept that the down leaves it: UPDATE users SET bio = '';",
        '-- TODO recreate column users.legacy; its data cannot be restored',
        'ALTER TABLE orders RENAME TO "Orders";',
        'ALTER TABLE users RENAME COLUMN full_name TO name;',
        'ALTER TABLE users ALTER COLUMN email DROP NOT NULL, DROP CONSTRAINT users_bio_len, DROP COLUMN bio;',
      ],
    );
  });
});

describe('generated down sections, per format', () => {
  const cases: { name: string; sql: string; path?: string; format?: 'liquibase'; files?: Record<string, string>; expect: RegExp }[] = [
    { name: 'dbmate without a down block', sql: '-- migrate:up\nCREATE TABLE tags (id bigint);\nCREATE INDEX CONCURRENTLY tags_id_idx ON tags (id);\n', expect: /-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY tags_id_idx;\nDROP TABLE tags;\n$/ },
    { name: 'dbmate with an empty down block', sql: '-- migrate:up\nCREATE TABLE tags (id bigint);\n\n-- migrate:down\n', expect: /-- migrate:down\nDROP TABLE tags;\n$/ },
    { name: 'goose', path: '00002_tags.sql', sql: '-- +goose Up\nCREATE TABLE tags (id bigint);\n', expect: /-- \+goose Down\nDROP TABLE tags;\n$/ },
    { name: 'liquibase', path: 'changelog.sql', format: 'liquibase', sql: '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE tags (id bigint);\n\n--changeset a:2\nALTER TABLE tags ADD COLUMN name text;\n', expect: /--changeset a:1\nCREATE TABLE tags \(id bigint\);\n--rollback DROP TABLE tags;\n\n--changeset a:2\nALTER TABLE tags ADD COLUMN name text;\n--rollback ALTER TABLE tags DROP COLUMN name;\n$/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = lintSql(c.sql, { path: c.path, format: c.format });
      assert.ok(result.findings.some((f) => f.rule === 'missing-down-section' || f.rule === 'empty-down-section'));
      const fix = generateDownFix(result.document, result.statements)!;
      const applied = applyEdits(c.sql, fix.edits);
      assert.ok(applied.ok);
      assert.match(applied.text, c.expect);
      const after = lintSql(applied.text, { path: c.path, format: c.format });
      assert.deepEqual(after.findings.filter((f) => ['missing-down-section', 'empty-down-section', 'syntax-error'].includes(f.rule)), []);
    });
  }

  it('split formats get a new companion file', () => {
    const files = { '000001_init.up.sql': 'CREATE TABLE a (id int);\n', '000001_init.down.sql': 'DROP TABLE a;\n' };
    const result = lintSql('CREATE TABLE tags (id bigint);\nCREATE INDEX tags_id_idx ON tags (id);\n', { path: '000002_tags.up.sql', files });
    const fix = generateDownFix(result.document, result.statements)!;
    assert.equal(fix.creates?.length, 1);
    assert.equal(fix.creates![0].path, path.join(VIRTUAL_ROOT, '000002_tags.down.sql'));
    assert.equal(fix.creates![0].text, 'DROP INDEX tags_id_idx;\nDROP TABLE tags;\n');
    assert.equal(fix.title, 'Create 000002_tags.down.sql with the inverse of the up statements');
  });

  it('golang-migrate: a down of several statements drops indexes without CONCURRENTLY (one query string), but keeps it in multi-statement mode', () => {
    const up = "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY tags_name_idx ON tags (name);\n";
    const files = { '000001_init.up.sql': 'CREATE TABLE tags (id int, name text);\n', '000001_init.down.sql': 'DROP TABLE tags;\n' };
    const oneString = generateDownFix(lintSql(up, { path: '000002_tags.up.sql', files }).document, lintSql(up, { path: '000002_tags.up.sql', files }).statements)!;
    assert.equal(oneString.creates![0].text, "SET lock_timeout = '5s';\nDROP INDEX tags_name_idx;\n");
    const multi = lintSql(up, { path: '000002_tags.up.sql', files, config: { golangMigrate: { multiStatement: true } } });
    assert.equal(generateDownFix(multi.document, multi.statements)!.creates![0].text, "SET lock_timeout = '5s';\nDROP INDEX CONCURRENTLY tags_name_idx;\n");
    // An empty down file filled from its up: the up is read the way the down was (its statements one by one).
    const filled = lintSql('', { path: '000002_tags.down.sql', files: { ...files, '000002_tags.up.sql': up }, config: { golangMigrate: { multiStatement: true } } });
    const fill = filled.findings.find((f) => f.rule === 'empty-down-section')!.fixes![0];
    assert.equal(fill.edits[0].newText, "SET lock_timeout = '5s';\nDROP INDEX CONCURRENTLY tags_name_idx;\n");
  });
});
