// Scripts psql runs (sqitch's deploy/revert/verify scripts): psql's meta-commands are not SQL and its
// variables are substituted before the server sees a statement, so neither is a syntax error there;
// in the formats whose tools do not use psql, both stay the syntax errors PostgreSQL would report.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { describeMigration } from '../../server/src/engine/formats/index';
import { createMemoryHost } from '../../server/src/engine/host';
import { maskPsqlVariables, psqlVariableNames, unmaskPsqlVariables } from '../../server/src/engine/sql/placeholders';
import { psqlScript } from '../../server/src/engine/sql/psql';
import { initParser, lintSql, type LintSqlOptions } from '../helpers/lint';

before(() => initParser());

const PLAN = '%syntax-version=1.0.0\n%project=x\n\nusers 2024-01-01T00:00:00Z A <a@b> # users\n';
const sqitch = (name = 'users'): LintSqlOptions => ({ path: `deploy/${name}.sql`, files: { '../sqitch.plan': PLAN, [`../revert/${name}.sql`]: 'SELECT 1;\n' } });
const rules = (sql: string, options: LintSqlOptions) => lintSql(sql, options).findings.map((f) => f.rule);
const syntaxErrors = (sql: string, options: LintSqlOptions) => lintSql(sql, options).findings.filter((f) => f.rule === 'syntax-error');

describe('psql scripts: the source psql sends', () => {
  it('blanks meta-commands to the same length, keeping line breaks; a text without a backslash is returned as it is', () => {
    const text = "\\set ON_ERROR_STOP 1\r\nBEGIN;\n\\echo 'a \\\\ b' \\\\ SELECT 1;\n\\i other.sql\nCOMMIT;\n";
    const { source, queryStrings } = psqlScript(text);
    assert.equal(source.length, text.length);
    assert.equal(source, '                    \r\nBEGIN;\n                  SELECT 1;\n            \nCOMMIT;\n');
    assert.equal(queryStrings, undefined);
    const plain = 'SELECT 1;\n';
    assert.equal(psqlScript(plain).source, plain);
  });

  it('ends a statement at a meta-command that sends the query buffer (\\g, \\gset ...)', () => {
    const { source } = psqlScript('SELECT current_database() AS db \\gset\nSELECT :\'db\'\n\\g\n');
    assert.equal(source, "SELECT current_database() AS db     ;\nSELECT :'db'\n ;\n");
  });

  it('drops what \\r discards from the query buffer', () => {
    assert.equal(psqlScript('SELECT 1;\nSELECT oops\n\\r\nSELECT 2;').source, 'SELECT 1;\n           \n  \nSELECT 2;');
  });

  it('joins statements separated by \\; into one query string', () => {
    const text = 'SELECT 0;\nSELECT 1 \\; SELECT 2;\nSELECT 3;';
    const { source, queryStrings } = psqlScript(text);
    assert.equal(source, 'SELECT 0;\nSELECT 1  ; SELECT 2;\nSELECT 3;');
    assert.deepEqual(
      queryStrings!.map((q) => text.slice(q.start, q.end)),
      ['SELECT 1 \\; SELECT 2;'],
    );
  });

  it('blanks the data of COPY ... FROM STDIN up to \\. and reads SQL again after it', () => {
    const text = "COPY t (a, b) FROM stdin;\n1\tO'Brien\n2\t\\N\n\\.\nSELECT 'after';\n\\copy u from stdin\nx;y\n\\.\n";
    const { source } = psqlScript(text);
    assert.equal(source, "COPY t (a, b) FROM stdin;\n" + ' '.repeat(9) + '\n' + ' '.repeat(4) + '\n  \nSELECT \'after\';\n' + ' '.repeat(18) + '\n   \n  \n');
  });

  it('never fails on a meta-command cut by the end of the text, or COPY data without its end', () => {
    for (const text of ['\\', 'SELECT 1; \\echo', "\\echo 'unclosed", 'COPY t FROM STDIN;\n1\t2\n', 'COPY t FROM STDIN;', '\\copy t from stdin']) {
      const { source } = psqlScript(text);
      assert.equal(source.length, text.length, text);
    }
    assert.equal(psqlScript('COPY t FROM STDIN;\n1\t2\n').source, 'COPY t FROM STDIN;\n   \n');
  });
});

describe('psql variables', () => {
  it(':name, :\'name\', :"name" and :{?name} are masked to the same length, and unmasked back', () => {
    const text = 'SELECT :a, :\'b\', :"c", :{?d} FROM :schema.t;';
    const masked = maskPsqlVariables(text);
    assert.equal(masked, 'SELECT _a, \':b\', ":c", ":?d" FROM _schema.t;');
    assert.equal(masked.length, text.length);
    const names = new Map(psqlVariableNames(text).map((n) => [n.toLowerCase(), n]));
    assert.equal(unmaskPsqlVariables(masked, names), text);
  });

  it('leaves casts, :=, array slices, quotes, dollar quotes and comments alone', () => {
    for (const text of [
      "SELECT x::int, '{1}'::int[], (ARRAY[1,2,3])[1:2], (ARRAY[1,2])[lo:hi] FROM t;",
      "SELECT 'a :''x'' :y', E':z', \":w\" FROM t; -- :v\n/* :u */",
      'DO $$ DECLARE n int; BEGIN n := 1; PERFORM :x; END $$;',
    ]) {
      assert.equal(maskPsqlVariables(text), text);
    }
  });
});

describe('sqitch scripts', () => {
  it('lint meta-commands and variables without syntax errors, and say the variables as written', () => {
    const sql = "\\set ON_ERROR_STOP 1\nBEGIN;\nCREATE TABLE :\"schema\".users (id bigint PRIMARY KEY, name text DEFAULT :'default_name');\nCREATE INDEX users_name ON :schema.users (name);\nCOMMIT;\n";
    const result = lintSql(sql, sqitch());
    assert.equal(result.document.format, 'sqitch');
    assert.deepEqual(result.findings.filter((f) => f.rule === 'syntax-error'), []);
    assert.deepEqual(
      result.statements.map((s) => [s.kind, s.text]),
      [
        ['TransactionStmt', 'BEGIN;'],
        ['CreateStmt', "CREATE TABLE :\"schema\".users (id bigint PRIMARY KEY, name text DEFAULT :'default_name');"],
        ['IndexStmt', 'CREATE INDEX users_name ON :schema.users (name);'],
        ['TransactionStmt', 'COMMIT;'],
      ],
    );
    const index = result.findings.find((f) => f.rule === 'require-concurrent-index-creation')!;
    assert.match(index.message, /on :schema\.users/);
    assert.doesNotMatch(JSON.stringify(result.findings), /_schema/);
  });

  it('a meta-command inside a statement is not part of it; \\i and \\connect are skipped', () => {
    const result = lintSql('CREATE TABLE t (\n\\echo building t\n  id bigint PRIMARY KEY\n);\n\\i more.sql\n\\connect other\nSELECT 1;\n', sqitch());
    assert.deepEqual(result.statements.map((s) => s.kind), ['CreateStmt', 'SelectStmt']);
    assert.deepEqual(result.findings.filter((f) => f.rule === 'syntax-error'), []);
  });

  it('keep the transaction an explicit BEGIN opens across meta-commands', () => {
    const sql = 'BEGIN;\n\\set x 1\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;\n\\echo done\nCREATE INDEX CONCURRENTLY j ON t (b);\n';
    const result = lintSql(sql, sqitch());
    const banned = result.findings.filter((f) => f.rule === 'ban-concurrent-index-creation-in-transaction');
    assert.equal(banned.length, 1);
    assert.match(banned[0].message, /the explicit BEGIN before it/);
    assert.equal(sql.slice(banned[0].span.start).startsWith('CONCURRENTLY i ON'), true);
  });

  it('statements joined by \\; run as one implicit transaction', () => {
    const result = lintSql('SET lock_timeout = \'1s\' \\; CREATE INDEX CONCURRENTLY i ON t (a);\n', sqitch());
    const banned = result.findings.find((f) => f.rule === 'ban-concurrent-index-creation-in-transaction')!;
    assert.match(banned.message, /psql sends statements joined by `\\;` as one query string, which PostgreSQL runs as one implicit transaction/);
    assert.deepEqual(rules('SET lock_timeout = \'1s\';\nCREATE INDEX CONCURRENTLY i ON t (a);\n', sqitch()).filter((r) => r === 'ban-concurrent-index-creation-in-transaction'), []);
  });

  it('an unterminated meta-command at the end of a script is no error', () => {
    assert.deepEqual(syntaxErrors('SELECT 1;\n\\echo', sqitch()), []);
    assert.deepEqual(syntaxErrors('SELECT 1;\n\\', sqitch()), []);
  });

  it('the description of a sqitch script reads psql variables and blanks meta-commands', () => {
    const files = { '/p/sqitch.plan': PLAN, '/p/deploy/users.sql': '\\set ON_ERROR_STOP 1\nSELECT :x;\n' };
    const doc = describeMigration('/p/deploy/users.sql', files['/p/deploy/users.sql'], createMemoryHost(files));
    assert.equal(doc.sections[0].placeholders, 'psql');
    assert.equal(doc.sections[0].source, '                    \nSELECT :x;\n');
  });
});

describe('formats whose tools do not use psql', () => {
  it('dbmate: a backslash meta-command and a psql variable stay syntax errors', () => {
    const body = '-- migrate:up\n\\set x 1\nCREATE TABLE t (id bigint PRIMARY KEY);\nSELECT :x;\n-- migrate:down\nDROP TABLE t;\n';
    const errors = syntaxErrors(body, { path: '20240101000000_t.sql' });
    assert.equal(errors.length, 2);
  });

  it('golang-migrate and Flyway: a psql variable is a syntax error', () => {
    assert.equal(syntaxErrors('CREATE TABLE :"schema".t (id bigint PRIMARY KEY);\n', { path: '000001_t.up.sql', files: { '000001_t.down.sql': 'SELECT 1;' } }).length, 1);
    assert.equal(syntaxErrors('CREATE TABLE :"schema".t (id bigint PRIMARY KEY);\n', { path: 'V1__t.sql' }).length, 1);
  });
});
