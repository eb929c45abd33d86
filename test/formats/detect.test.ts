// Format detection and description for every supported migration tool: from markers, file names and
// folder layouts, with sections, transaction modes and versions.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeMigration } from '../../server/src/engine/formats/index';
import { createMemoryHost } from '../../server/src/engine/host';
import type { FormatId } from '../../server/src/engine/model';

interface Expected {
  format: FormatId;
  role?: string;
  version?: string;
  description?: string;
  sections: [kind: string, transaction: string, text: string][];
  companion?: boolean;
  problems?: string[];
}

function check(files: Record<string, string>, file: string, expected: Expected, configured?: FormatId) {
  const host = createMemoryHost(files);
  const doc = describeMigration(file, files[file], host, { format: configured });
  assert.equal(doc.format, expected.format, 'format');
  if (expected.role) assert.equal(doc.role, expected.role, 'role');
  if (expected.version !== undefined) assert.equal(doc.version, expected.version, 'version');
  if (expected.description !== undefined) assert.equal(doc.description, expected.description, 'description');
  assert.deepEqual(
    doc.sections.map((s) => [s.kind, s.transaction, s.source.slice(s.span.start, s.span.end).trim()]),
    expected.sections,
  );
  if (expected.companion !== undefined) assert.equal(doc.companionExists, expected.companion, 'companion');
  const problems = doc.problems.map((p) => p.message);
  const wanted = expected.problems ?? [];
  assert.equal(problems.length, wanted.length, `problems: ${JSON.stringify(problems)}`);
  wanted.forEach((w, i) => assert.ok(problems[i].startsWith(w), `problem ${i}: ${problems[i]} should start with ${w}`));
}

describe('migration formats', () => {
  it('dbmate: markers, transaction:false, version from the file name', () => {
    check({ '/p/db/migrations/20240101120000_add_users.sql': '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n\n-- migrate:down\nDROP INDEX i;\n' }, '/p/db/migrations/20240101120000_add_users.sql', {
      format: 'dbmate',
      version: '20240101120000',
      description: 'add_users',
      sections: [
        ['up', 'implicit', 'CREATE INDEX CONCURRENTLY i ON t (a);'], // one query string (dbmate's Exec of the block)
        ['down', 'transaction', 'DROP INDEX i;'],
      ],
    });
  });

  it('dbmate: statements before -- migrate:up and a down before the up are problems', () => {
    check({ '/p/db/migrations/1_x.sql': 'SELECT 1;\n-- migrate:down\nSELECT 2;\n-- migrate:up\nSELECT 3;\n' }, '/p/db/migrations/1_x.sql', {
      format: 'dbmate',
      sections: [
        ['down', 'transaction', 'SELECT 2;'],
        ['up', 'transaction', 'SELECT 3;'],
      ],
      problems: ["'-- migrate:down' comes before '-- migrate:up'", 'dbmate does not run statements placed before'],
    });
  });

  it('dbmate is used for unmarked files in db/migrations when the folder says nothing else', () => {
    check({ '/p/db/migrations/20240101120000_x.sql': 'SELECT 1;\n' }, '/p/db/migrations/20240101120000_x.sql', {
      format: 'dbmate',
      sections: [],
      problems: ["dbmate requires each migration to define an up block with '-- migrate:up'."],
    });
  });

  it('a file without markers takes the format of its marked siblings', () => {
    check({ '/p/sql/001_a.sql': '-- +goose Up\nSELECT 1;\n', '/p/sql/002_b.sql': 'SELECT 2;\n' }, '/p/sql/002_b.sql', {
      format: 'goose',
      sections: [],
      problems: ["goose needs a '-- +goose Up' annotation"],
    });
  });

  it('goose: Up/Down, NO TRANSACTION, StatementBegin/End', () => {
    const text = '-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd\n-- +goose Down\nDROP FUNCTION f();\n';
    check({ '/p/migrations/00002_f.sql': text }, '/p/migrations/00002_f.sql', {
      format: 'goose',
      version: '00002',
      sections: [
        ['up', 'none', '-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n-- +goose StatementEnd'],
        ['down', 'none', 'DROP FUNCTION f();'],
      ],
    });
  });

  it('goose: an unclosed StatementBegin and an unknown annotation are problems', () => {
    check({ '/p/m/1_x.sql': '-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose Dwn\n' }, '/p/m/1_x.sql', {
      format: 'goose',
      sections: [['up', 'transaction', '-- +goose StatementBegin\nSELECT 1;\n-- +goose Dwn']],
      problems: ["Unknown goose annotation 'Dwn'.", "'-- +goose StatementBegin' is never closed"],
    });
  });

  it('golang-migrate: .up.sql/.down.sql pairs run as one implicit transaction', () => {
    const files = { '/p/migrations/000001_init.up.sql': 'CREATE TABLE t (id int);\n', '/p/migrations/000001_init.down.sql': 'DROP TABLE t;\n' };
    check(files, '/p/migrations/000001_init.up.sql', { format: 'golang-migrate', role: 'up', version: '000001', description: 'init', sections: [['up', 'implicit', 'CREATE TABLE t (id int);']], companion: true });
    check(files, '/p/migrations/000001_init.down.sql', { format: 'golang-migrate', role: 'down', sections: [['down', 'implicit', 'DROP TABLE t;']], companion: true });
  });

  it('pop-style dialect infixes: postgres files are linted, other dialects are marked', () => {
    const host = createMemoryHost({ '/p/m/1_x.mysql.up.sql': 'SELECT 1;', '/p/m/1_x.postgres.up.sql': 'SELECT 1;' });
    assert.equal(describeMigration('/p/m/1_x.mysql.up.sql', 'SELECT 1;', host).dialect, 'mysql');
    assert.equal(describeMigration('/p/m/1_x.postgres.up.sql', 'SELECT 1;', host).dialect, undefined);
  });

  it("pop: the .autocommit infix runs outside a transaction, other files of a pop folder in one, and a .postgres file overrides the generic one", () => {
    const files = {
      '/p/m/20240101000000000001_idx.autocommit.up.sql': 'CREATE INDEX CONCURRENTLY i ON t (a);',
      '/p/m/20240101000000000002_col.up.sql': 'ALTER TABLE t ADD COLUMN b int;',
      '/p/m/20240101000000000003_gen.up.sql': 'SELECT 1;',
      '/p/m/20240101000000000003_gen.postgres.up.sql': 'SELECT 2;',
      '/p/m/20240101000000000004_x.v2.up.sql': 'SELECT 3;',
    };
    check(files, '/p/m/20240101000000000001_idx.autocommit.up.sql', { format: 'golang-migrate', role: 'up', version: '20240101000000000001', description: 'idx', sections: [['up', 'none', 'CREATE INDEX CONCURRENTLY i ON t (a);']], companion: false });
    check(files, '/p/m/20240101000000000002_col.up.sql', { format: 'golang-migrate', sections: [['up', 'transaction', 'ALTER TABLE t ADD COLUMN b int;']] });
    const host = createMemoryHost(files);
    assert.equal(describeMigration('/p/m/20240101000000000003_gen.up.sql', 'SELECT 1;', host).overriddenBy, '/p/m/20240101000000000003_gen.postgres.up.sql');
    assert.equal(describeMigration('/p/m/20240101000000000003_gen.postgres.up.sql', 'SELECT 2;', host).overriddenBy, undefined);
    // An unknown infix is part of the name, not a dialect.
    const v2 = describeMigration('/p/m/20240101000000000004_x.v2.up.sql', 'SELECT 3;', host);
    assert.equal(v2.dialect, undefined);
    assert.equal(v2.description, 'x.v2');
  });

  it('diesel: folders with up.sql/down.sql, and run_in_transaction = false in metadata.toml', () => {
    const files = {
      '/p/migrations/2024-01-01-000000_add_index/up.sql': 'CREATE INDEX CONCURRENTLY i ON t (a);\n',
      '/p/migrations/2024-01-01-000000_add_index/down.sql': 'DROP INDEX CONCURRENTLY i;\n',
      '/p/migrations/2024-01-01-000000_add_index/metadata.toml': 'run_in_transaction = false\n',
    };
    check(files, '/p/migrations/2024-01-01-000000_add_index/up.sql', { format: 'diesel', role: 'up', version: '2024-01-01-000000', description: 'add_index', sections: [['up', 'implicit', 'CREATE INDEX CONCURRENTLY i ON t (a);']], companion: true });
  });

  it('Flyway: V, U and R scripts, and executeInTransaction=false in the script config', () => {
    const files = { '/p/sql/V1_2__add_index.sql': 'CREATE INDEX CONCURRENTLY i ON t (a);', '/p/sql/V1_2__add_index.sql.conf': 'executeInTransaction=false\n', '/p/sql/R__views.sql': 'CREATE OR REPLACE VIEW v AS SELECT 1;' };
    check(files, '/p/sql/V1_2__add_index.sql', { format: 'flyway', role: 'up', version: '1.2', description: 'add_index', sections: [['up', 'none', 'CREATE INDEX CONCURRENTLY i ON t (a);']], companion: false });
    check(files, '/p/sql/R__views.sql', { format: 'flyway', role: 'repeatable', sections: [['up', 'transaction', 'CREATE OR REPLACE VIEW v AS SELECT 1;']] });
  });

  it('Flyway: the script config is a properties file as Flyway reads it (key: value, key value, comments; the last setting wins)', () => {
    const sql = 'CREATE INDEX i ON t (a);';
    const section = (conf: string) => {
      const files = { '/p/sql/V1__i.sql': sql, '/p/sql/V1__i.sql.conf': conf };
      return describeMigration('/p/sql/V1__i.sql', sql, createMemoryHost(files), {}).sections[0].transaction;
    };
    assert.equal(section('# no transaction\nexecuteInTransaction: false\n'), 'none');
    assert.equal(section('  executeInTransaction   false  \r\n'), 'none');
    assert.equal(section('executeInTransaction=false\nexecuteInTransaction=true\n'), 'transaction');
    assert.equal(section('executeInTransaction=true\nexecuteInTransaction=false\n'), 'none');
    // Not a setting, or not a boolean Flyway takes: the script runs in a transaction, as without one.
    assert.equal(section('#executeInTransaction=false\n'), 'transaction');
    assert.equal(section('executeInTransaction=FALSE\n'), 'transaction');
  });

  it('Flyway: a script with a statement that cannot run in a transaction runs outside one, as Flyway decides', () => {
    const files = {
      '/p/sql/V2__idx.sql': '-- the index\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_idx ON t (id);\n',
      '/p/sql/U2__idx.sql': 'DROP INDEX CONCURRENTLY IF EXISTS t_idx;\n',
      '/p/sql/V3__vacuum.sql': 'vacuum analyze t;\n',
      '/p/sql/V4__plain.sql': "CREATE INDEX t_a ON t (a);\nCOMMENT ON INDEX t_a IS 'CREATE INDEX CONCURRENTLY';\n",
      '/p/sql/V5__forced.sql': 'CREATE INDEX CONCURRENTLY t_b ON t (b);\n',
      '/p/sql/V5__forced.sql.conf': 'executeInTransaction=true\n',
    };
    check(files, '/p/sql/V2__idx.sql', { format: 'flyway', role: 'up', version: '2', description: 'idx', sections: [['up', 'none', files['/p/sql/V2__idx.sql'].trim()]], companion: true });
    check(files, '/p/sql/U2__idx.sql', { format: 'flyway', role: 'down', version: '2', description: 'idx', sections: [['down', 'none', files['/p/sql/U2__idx.sql'].trim()]], companion: true });
    check(files, '/p/sql/V3__vacuum.sql', { format: 'flyway', role: 'up', version: '3', description: 'vacuum', sections: [['up', 'none', files['/p/sql/V3__vacuum.sql'].trim()]], companion: false });
    // Words inside a string are not a statement's keywords; the script config overrides the detection.
    check(files, '/p/sql/V4__plain.sql', { format: 'flyway', role: 'up', version: '4', description: 'plain', sections: [['up', 'transaction', files['/p/sql/V4__plain.sql'].trim()]], companion: false });
    check(files, '/p/sql/V5__forced.sql', { format: 'flyway', role: 'up', version: '5', description: 'forced', sections: [['up', 'transaction', files['/p/sql/V5__forced.sql'].trim()]], companion: false });
  });

  it('Liquibase formatted SQL: changesets, runInTransaction:false, --rollback lines and blocks', () => {
    const text = [
      '--liquibase formatted sql',
      '--changeset alice:1',
      'CREATE TABLE t (id int);',
      '--rollback DROP TABLE t;',
      '--changeset bob:2 runInTransaction:false',
      'CREATE INDEX CONCURRENTLY i ON t (id);',
      '/* liquibase rollback',
      'DROP INDEX CONCURRENTLY i;',
      '*/',
      '--changeset carol:3 dbms:mysql',
      'SELECT 1;',
      '',
    ].join('\n');
    check({ '/p/changelog.sql': text }, '/p/changelog.sql', {
      format: 'liquibase',
      sections: [
        ['up', 'transaction', 'CREATE TABLE t (id int);\n--rollback DROP TABLE t;'],
        ['down', 'transaction', 'DROP TABLE t;'],
        ['up', 'none', 'CREATE INDEX CONCURRENTLY i ON t (id);\n/* liquibase rollback\nDROP INDEX CONCURRENTLY i;\n*/'],
        ['down', 'none', 'DROP INDEX CONCURRENTLY i;'],
      ],
    });
  });

  it('Liquibase formatted SQL: endDelimiter, splitStatements:false and rollbackSplitStatements:false', () => {
    const text = [
      '--liquibase formatted sql',
      '--changeset alice:1 endDelimiter:/',
      'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql',
      '/',
      '--rollback DROP FUNCTION f();',
      '--changeset bob:2 runInTransaction:false splitStatements:false rollbackSplitStatements:false',
      'CREATE INDEX CONCURRENTLY i ON t (id);',
      '--rollback DROP INDEX CONCURRENTLY i;',
      '',
    ].join('\n');
    check({ '/p/changelog.sql': text }, '/p/changelog.sql', {
      format: 'liquibase',
      sections: [
        // The delimiter reads as a semicolon, in a source as long as the file.
        ['up', 'transaction', 'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql\n;\n--rollback DROP FUNCTION f();'],
        ['down', 'transaction', 'DROP FUNCTION f();'],
        ['up', 'implicit', 'CREATE INDEX CONCURRENTLY i ON t (id);\n--rollback DROP INDEX CONCURRENTLY i;'],
        ['down', 'implicit', 'DROP INDEX CONCURRENTLY i;'],
      ],
    });
  });

  it('sqitch: deploy/revert/verify under a folder with sqitch.plan', () => {
    const files = { '/p/sqitch.plan': '%project=x\nusers 2024-01-01T00:00:00Z a <a@b> # users\n', '/p/deploy/users.sql': 'BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;\n', '/p/revert/users.sql': 'DROP TABLE users;\n' };
    check(files, '/p/deploy/users.sql', { format: 'sqitch', role: 'up', description: 'users', sections: [['up', 'none', 'BEGIN;\nCREATE TABLE users (id int);\nCOMMIT;']], companion: true });
    check(files, '/p/revert/users.sql', { format: 'sqitch', role: 'down', sections: [['down', 'none', 'DROP TABLE users;']], companion: true });
    // psql runs the scripts: its meta-commands are blanked in the source the statements are read from.
    // (:schema has its value in sqitch.conf: one with none would be a migration-format problem, sqitch-variables.test.ts.)
    const psql = { ...files, '/p/sqitch.conf': '[deploy "variables"]\n\tschema = app\n', '/p/deploy/users.sql': '\\set ON_ERROR_STOP 1\nBEGIN;\nCREATE TABLE :"schema".users (id int);\nCOMMIT;\n' };
    check(psql, '/p/deploy/users.sql', { format: 'sqitch', role: 'up', sections: [['up', 'none', 'BEGIN;\nCREATE TABLE :"schema".users (id int);\nCOMMIT;']], companion: true });
  });

  it('Prisma: migration.sql in a timestamped folder, forward only', () => {
    check({ '/p/prisma/migrations/20240101000000_init/migration.sql': 'CREATE TABLE t (id int);' }, '/p/prisma/migrations/20240101000000_init/migration.sql', {
      format: 'prisma',
      version: '20240101000000',
      description: 'init',
      sections: [['up', 'implicit', 'CREATE TABLE t (id int);']],
    });
  });

  it('plain timestamped files (Supabase): forward only, one query string', () => {
    check({ '/p/supabase/migrations/20240101000000_init.sql': 'CREATE TABLE t (id int);' }, '/p/supabase/migrations/20240101000000_init.sql', {
      format: 'plain',
      version: '20240101000000',
      sections: [['up', 'implicit', 'CREATE TABLE t (id int);']],
    });
  });

  it('the configured format wins over detection', () => {
    check({ '/p/x/20240101000000_a.sql': 'SELECT 1;' }, '/p/x/20240101000000_a.sql', { format: 'plain', sections: [['up', 'implicit', 'SELECT 1;']] }, 'plain');
  });

  it('a file described again through the same host: its own document each time, for that call and that text', () => {
    // One host describes a file several times in a run (linted, read as the other half, read by the
    // history); the descriptions are remembered per host, and must not leak between the calls.
    const file = '/p/migrations/000001_users.up.sql';
    const host = createMemoryHost({ [file]: 'CREATE TABLE users (id int);', '/p/migrations/000001_users.down.sql': 'DROP TABLE users;' });
    const configured = describeMigration(file, 'CREATE TABLE users (id int);', host, { format: 'golang-migrate' });
    const detected = describeMigration(file, 'CREATE TABLE users (id int);', host);
    assert.equal(configured.formatSource, 'config');
    assert.equal(detected.formatSource, 'filename');
    assert.notEqual(detected, configured, 'each caller gets its own document (memos are keyed by documents)');
    assert.deepEqual(detected.sections, configured.sections);
    // The same path with another text (an unsaved edit in the editor) is described afresh.
    const edited = describeMigration(file, 'CREATE TABLE users (id bigint);', host);
    assert.equal(edited.text, 'CREATE TABLE users (id bigint);');
    assert.deepEqual(
      edited.sections.map((s) => s.source.slice(s.span.start, s.span.end)),
      ['CREATE TABLE users (id bigint);'],
    );
    // A transaction option changes the description; it is part of what is remembered.
    const plain = '/p/supabase/migrations/20240101000000_init.sql';
    const plainHost = createMemoryHost({ [plain]: 'CREATE TABLE t (id int);' });
    assert.equal(describeMigration(plain, 'CREATE TABLE t (id int);', plainHost).sections[0].transaction, 'implicit');
    assert.equal(describeMigration(plain, 'CREATE TABLE t (id int);', plainHost, { assumeInTransaction: true }).sections[0].transaction, 'transaction');
  });
});
