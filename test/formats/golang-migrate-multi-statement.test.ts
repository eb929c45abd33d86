// golang-migrate with x-multi-statement=true (`"golangMigrate": { "multiStatement": true }` in
// .zdm.json): its postgres and pgx drivers cut the file at every `;` byte (database/multistmt, v4.19)
// and send each piece alone, in autocommit. The file's section is then non-transactional, and a `;` it
// cuts at that does not end a statement is a migration-format error at that `;`.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { createMemoryHost } from '../../server/src/engine/host';
import { describeMigration } from '../../server/src/engine/formats/index';
import { multiStatementCuts } from '../../server/src/engine/formats/golang-migrate-cuts';
import { initParser, lintSql, VIRTUAL_ROOT } from '../helpers/lint';

before(() => initParser());

const MULTI = { golangMigrate: { multiStatement: true } };
const lint = (sql: string, multi = true, files: Record<string, string> = {}, name = '000001_x.up.sql') =>
  lintSql(sql, { format: 'golang-migrate', path: name, files: { [name.replace('.up.', '.down.')]: 'SELECT 1;\n', ...files }, config: multi ? MULTI : {} });
/** The 1-based lines of the cuts reported. */
const cutLines = (sql: string) =>
  lint(sql)
    .findings.filter((f) => f.rule === 'migration-format')
    .map((f) => sql.slice(0, f.span.start).split('\n').length);
const insides = (sql: string) => multiStatementCuts(sql, 0, sql.length).map((c) => c.inside);

const FUNCTION = 'CREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n';

describe('golang-migrate multi-statement mode', () => {
  it('makes the file non-transactional: each statement is sent alone', () => {
    const sql = 'CREATE TABLE t (id bigint);\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n';
    const multi = lint(sql).document.sections;
    assert.deepEqual(multi.map((s) => s.transaction), ['none']);
    assert.match(multi[0].transactionSource, /x-multi-statement=true/);
    assert.equal(multi[0].queryStrings, undefined);
    assert.deepEqual(lint(sql, false).document.sections.map((s) => s.transaction), ['implicit'], 'the default: one query string');
  });

  it('leaves pop projects as they are (pop runs each migration in a transaction, .autocommit outside one)', () => {
    const files = { '000002_y.postgres.up.sql': 'SELECT 1;\n' };
    assert.deepEqual(lint('SELECT 1;\nSELECT 2;\n', true, files).document.sections.map((s) => s.transaction), ['transaction']);
    assert.deepEqual(lint('SELECT 1;\nSELECT 2;\n', true, files, '000001_x.autocommit.up.sql').document.sections.map((s) => s.transaction), ['none']);
  });

  it('is described apart from the default on the same host', () => {
    const file = path.join(VIRTUAL_ROOT, '000001_x.up.sql');
    const host = createMemoryHost({ [file]: 'SELECT 1;\nSELECT 2;\n' });
    const text = host.readFile(file)!;
    assert.equal(describeMigration(file, text, host, { format: 'golang-migrate' }).sections[0].transaction, 'implicit');
    assert.equal(describeMigration(file, text, host, { format: 'golang-migrate', golangMigrateMultiStatement: true }).sections[0].transaction, 'none');
    assert.equal(describeMigration(file, text, host, { format: 'golang-migrate' }).sections[0].transaction, 'implicit');
  });

  it('reports the first `;` it cuts at inside a dollar quote, a string, a quoted identifier, a block comment or a BEGIN ATOMIC body', () => {
    assert.deepEqual(cutLines(`CREATE TABLE audit (id bigint);\n${FUNCTION}`), [4]);
    assert.deepEqual(cutLines("INSERT INTO notes VALUES ('a;b');\n"), [1]);
    assert.deepEqual(cutLines('CREATE TABLE "a;b" (id int);\n'), [1]);
    assert.deepEqual(cutLines('/* first; then */\nCREATE TABLE t (id int);\n'), [1]);
    assert.deepEqual(cutLines('CREATE FUNCTION one() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\nEND;\n'), [3]);
    assert.deepEqual(insides(`${FUNCTION}INSERT INTO notes VALUES (E'a\\';b');\nSELECT "x;" FROM t;\n/* ; */\nDO $body$ BEGIN PERFORM 1; END $body$;\n`), ['dollar quote', 'dollar quote', 'dollar quote', 'string', 'quoted identifier', 'block comment', 'dollar quote']);
  });

  it('reports a `;` in a -- comment where the piece ends mid-statement or the rest of the comment line follows it', () => {
    assert.deepEqual(cutLines('CREATE TABLE t ( -- columns;\n  id int\n);\n'), [1], 'inside a statement');
    assert.deepEqual(cutLines('-- first this; then that\nCREATE TABLE t (id int);\n'), [1], 'the next piece starts with "then that"');
    assert.deepEqual(cutLines('CREATE TABLE t (id int); -- done; really\n'), [1]);
  });

  it('reports nothing where every `;` ends a statement, an empty one, or a comment line', () => {
    assert.deepEqual(cutLines('CREATE TABLE a (id int);\nCREATE TABLE b (id int);;\n;\n'), []);
    assert.deepEqual(cutLines('-- drop the old table;\nDROP TABLE IF EXISTS a; -- gone;\nCREATE TABLE b (id int)\n'), [], 'comments ending in `;`, and a last statement without one');
    assert.deepEqual(cutLines('SELECT 1 -- the answer;\n;\n'), [], 'the piece before the comment\'s `;` is the whole statement');
    assert.deepEqual(cutLines("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\r\nCREATE TABLE t (id int);\r\n"), []);
    assert.deepEqual(lint(FUNCTION, false).findings.filter((f) => f.rule === 'migration-format'), [], 'not without the setting: golang-migrate sends the file whole');
  });

  it('reports an error that stops the runner, with the help golang-migrate allows', () => {
    const finding = lint(FUNCTION).findings.find((f) => f.rule === 'migration-format')!;
    assert.equal(finding.severity, 'error');
    assert.match(finding.message, /golang-migrate in multi-statement mode cuts the file at this `;`, inside a dollar quote.*unterminated dollar quote/);
    assert.match(finding.help ?? '', /x-multi-statement/);
    const doc = lint(FUNCTION).document;
    assert.equal(doc.problems.length, 1);
    assert.equal(doc.problems[0].failsRun, true);
  });
});
