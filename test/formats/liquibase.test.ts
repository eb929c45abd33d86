// Liquibase formatted SQL: where Liquibase ends the statements it sends (endDelimiter, splitStatements,
// and the same for rollbacks), what that does to the transaction a `runInTransaction:false` changeset
// runs in, and `runWith:psql` changesets, which psql runs.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { describeMigration } from '../../server/src/engine/formats/index';
import { createMemoryHost } from '../../server/src/engine/host';
import type { MigrationDocument } from '../../server/src/engine/model';
import { initParser, lintSql } from '../helpers/lint';

before(() => initParser());

const file = '/p/changelog.sql';
const describe_ = (text: string): MigrationDocument => describeMigration(file, text, createMemoryHost({ [file]: text }));
const changelog = (...lines: string[]) => ['--liquibase formatted sql', ...lines, ''].join('\n');
const lint = (text: string) => lintSql(text, { path: 'changelog.sql' });
const findings = (text: string, rule: string) => lint(text).findings.filter((f) => f.rule === rule);
/** Each section's kind, transaction mode and statements, as zdm splits them. */
const sections = (text: string) => {
  const result = lint(text);
  return result.document.sections.map((s) => [s.kind, s.transaction, result.statements.filter((st) => st.section === s).map((st) => text.slice(st.span.start, st.span.end))]);
};

describe('Liquibase endDelimiter', () => {
  it('endDelimiter:/ ends statements at a / starting a line, which is no syntax error; offsets stay true', () => {
    const text = changelog('--changeset a:1 endDelimiter:/', 'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;', '/', 'CREATE FUNCTION g() RETURNS int AS $$ SELECT 2; $$ LANGUAGE sql', '/', 'SELECT 4 / 2;', '/', '--rollback DROP FUNCTION g();');
    const result = lint(text);
    assert.deepEqual(result.findings.filter((f) => f.rule === 'syntax-error'), []);
    assert.deepEqual(
      result.statements.filter((s) => s.section.kind === 'up').map((s) => [s.kind, text.slice(s.span.start, s.span.end)]),
      [
        ['CreateFunctionStmt', 'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;'],
        ['CreateFunctionStmt', 'CREATE FUNCTION g() RETURNS int AS $$ SELECT 2; $$ LANGUAGE sql\n/'],
        ['SelectStmt', 'SELECT 4 / 2;'],
      ],
    );
    const up = result.document.sections[0];
    assert.equal(up.source.length, text.length);
    assert.equal(up.source.slice(up.span.start, up.span.end).split('\n')[1], ';', 'the delimiter is read as a semicolon');
    assert.equal(up.source.slice(up.span.start, up.span.end).split('\n')[3], ';');
  });

  it('endDelimiter:GO ends statements at GO, in any case', () => {
    assert.deepEqual(sections(changelog('--changeset a:1 endDelimiter:GO', 'CREATE TABLE a (id bigint PRIMARY KEY)', 'go', 'CREATE TABLE b (id bigint PRIMARY KEY)', 'GO')), [
      ['up', 'transaction', ['CREATE TABLE a (id bigint PRIMARY KEY)\ngo', 'CREATE TABLE b (id bigint PRIMARY KEY)\nGO']],
    ]);
  });

  it('an endDelimiter of more than one character is matched as a regular expression, with the whitespace before it', () => {
    // Java's `[\s\n\r]*\ngo` matches the line break before GO: a GO on its own line ends a statement.
    assert.deepEqual(sections(changelog('--changeset a:1 endDelimiter:\\ngo', 'CREATE TABLE a (id bigint PRIMARY KEY)', 'GO', 'CREATE TABLE b (id bigint PRIMARY KEY)')), [
      ['up', 'transaction', ['CREATE TABLE a (id bigint PRIMARY KEY)\nGO', 'CREATE TABLE b (id bigint PRIMARY KEY)']],
    ]);
  });

  it('without endDelimiter, Liquibase ends statements at ; and at GO or / right at the start of a line', () => {
    const text = changelog('--changeset a:1', 'CREATE TABLE a (id bigint PRIMARY KEY)', 'GO', 'CREATE TABLE b (id bigint PRIMARY KEY)', '/', 'SELECT 1;');
    assert.deepEqual(findings(text, 'syntax-error'), []);
    assert.equal(lint(text).statements.length, 3);
    // Indented, the / is not at the start of a line for Liquibase: it sends it, and PostgreSQL rejects it.
    assert.equal(findings(changelog('--changeset a:1', 'CREATE TABLE a (id bigint PRIMARY KEY)', '  /'), 'syntax-error').length, 1);
  });

  it('with runInTransaction:false, the statements between two delimiters are one JDBC call: one implicit transaction', () => {
    const text = changelog('--changeset a:1 runInTransaction:false endDelimiter:;;', "SET lock_timeout = '1s';", 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);;', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS j ON t (b);;');
    const banned = findings(text, 'ban-concurrent-index-creation-in-transaction');
    assert.deepEqual(banned.map((f) => text.slice(f.span.start).split(' ON ')[0]), ['CONCURRENTLY IF NOT EXISTS i']);
    assert.match(banned[0].message, /Liquibase sends what lies between two `;;` delimiters of the changeset in one JDBC call, whose statements the PostgreSQL driver sends as one query, which PostgreSQL runs as one implicit transaction/);
    assert.match(banned[0].help!, /endDelimiter/);
    // Split at each ; (the default), each statement is sent alone.
    assert.deepEqual(findings(text.replace(' endDelimiter:;;', '').replace(/;;/g, ';'), 'ban-concurrent-index-creation-in-transaction'), []);
  });

  it('a statement a fix inserts before a JDBC call of statements between two delimiters is followed by the delimiter, so Liquibase sends it alone', () => {
    const text = changelog('--changeset a:1 runInTransaction:false endDelimiter:/', 'CREATE INDEX CONCURRENTLY orders_a_idx ON orders (a)', '/', 'ALTER TABLE orders ADD COLUMN b text;', '/', '--rollback DROP INDEX CONCURRENTLY IF EXISTS orders_a_idx;');
    const robust = findings(text, 'prefer-robust-stmts').find((f) => /INVALID index/.test(f.message))!;
    const edit = robust.fixes![0].edits[0];
    assert.equal(edit.newText, 'DROP INDEX CONCURRENTLY IF EXISTS orders_a_idx;\n/\n');
    assert.equal(text.slice(edit.span.start).split('\n')[0], 'CREATE INDEX CONCURRENTLY orders_a_idx ON orders (a)');
    const fixed = text.slice(0, edit.span.start) + edit.newText + text.slice(edit.span.end);
    assert.deepEqual(findings(fixed, 'ban-concurrent-index-creation-in-transaction'), []);
  });

  it('an endDelimiter that never occurs makes the changeset one JDBC call; an empty one too', () => {
    const body = ['CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS j ON t (b);'];
    const never = changelog('--changeset a:1 runInTransaction:false endDelimiter:/', ...body);
    assert.deepEqual(sections(never).map(([kind, mode]) => [kind, mode]), [['up', 'implicit']]);
    const banned = findings(never, 'ban-concurrent-index-creation-in-transaction');
    assert.equal(banned.length, 2);
    assert.match(banned[0].message, /whose `\/` delimiter never occurs in one JDBC call/);
    assert.deepEqual(lint(never).document.problems, []);
    const empty = changelog('--changeset a:1 runInTransaction:false endDelimiter: ', ...body);
    assert.deepEqual(sections(empty).map(([kind, mode]) => [kind, mode]), [['up', 'implicit']]);
    assert.equal(findings(empty, 'ban-concurrent-index-creation-in-transaction').length, 2);
  });

  it('an endDelimiter zdm cannot read as a regular expression is a migration-format problem naming the changeset; the changeset is split at ;', () => {
    const text = changelog('--changeset a:1', 'SELECT 1;', '--changeset alice:4 endDelimiter:(x', 'SELECT 2;', 'SELECT 3;', '--rollback SELECT 4;');
    const result = lint(text);
    const problems = result.findings.filter((f) => f.rule === 'migration-format');
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /^The endDelimiter `\(x` of changeset alice:4 cannot be used: it is not a regular expression zdm can read/);
    assert.equal(text.slice(problems[0].span.start, problems[0].span.end), 'endDelimiter:(x');
    assert.deepEqual(result.findings.filter((f) => f.rule === 'syntax-error'), []);
    assert.equal(result.statements.filter((s) => s.section.label === 'alice:4' && s.section.kind === 'up').length, 2);
    // One that matches empty text would end a statement everywhere.
    assert.match(lint(changelog('--changeset b:5 endDelimiter:x*', 'SELECT 1;')).findings.find((f) => f.rule === 'migration-format')!.message, /changeset b:5 cannot be used: it matches empty text/);
  });
});

describe('Liquibase splitStatements:false', () => {
  it('with runInTransaction:false the changeset is one JDBC call: an implicit transaction when it holds several statements', () => {
    const two = changelog('--changeset a:1 runInTransaction:false splitStatements:false', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS j ON t (b);', '--rollback DROP INDEX CONCURRENTLY IF EXISTS j;', '--rollback DROP INDEX CONCURRENTLY IF EXISTS i;');
    assert.deepEqual(sections(two).map(([kind, mode]) => [kind, mode]), [
      ['up', 'implicit'],
      ['down', 'none'], // rollbackSplitStatements is the rollback's own
    ]);
    const banned = findings(two, 'ban-concurrent-index-creation-in-transaction');
    assert.equal(banned.length, 2);
    assert.match(banned[0].message, /Liquibase sends a `runInTransaction:false` changeset with `splitStatements:false` in one JDBC call/);
    // Alone, the statement runs outside a transaction.
    assert.deepEqual(findings(changelog('--changeset a:1 runInTransaction:false splitStatements:false', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);', '--rollback DROP INDEX CONCURRENTLY IF EXISTS i;'), 'ban-concurrent-index-creation-in-transaction'), []);
  });

  it('in a transaction (the default) it stays one, and its delimiters are sent as written', () => {
    const text = changelog('--changeset a:1 splitStatements:false endDelimiter:/', 'CREATE TABLE a (id bigint PRIMARY KEY);', '/');
    assert.deepEqual(sections(text).map(([kind, mode]) => [kind, mode]), [['up', 'transaction']]);
    assert.equal(findings(text, 'syntax-error').length, 1);
  });

  it('no fix adds runInTransaction:false to a changeset sent whole, where it would change nothing', () => {
    const text = changelog('--changeset a:1 splitStatements:false', "SET lock_timeout = '1s';", 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);', '--rollback DROP INDEX IF EXISTS i;');
    const banned = findings(text, 'ban-concurrent-index-creation-in-transaction');
    assert.equal(banned.length, 1);
    assert.ok(!banned[0].fixes?.some((f) => /runInTransaction:false/.test(f.title)), JSON.stringify(banned[0].fixes?.map((f) => f.title)));
    const split = findings(text.replace(' splitStatements:false', ''), 'ban-concurrent-index-creation-in-transaction');
    assert.ok(split[0].fixes?.some((f) => /runInTransaction:false/.test(f.title)));
  });

  it("Liquibase reads splitStatements: out of rollbackSplitStatements: too (its pattern has no word boundary)", () => {
    const doc = describe_(changelog('--changeset a:1 runInTransaction:false rollbackSplitStatements:false', 'SELECT 1;', 'SELECT 2;', '--rollback SELECT 3;', '--rollback SELECT 4;'));
    assert.deepEqual(doc.sections.map((s) => [s.kind, s.transaction]), [['up', 'implicit'], ['down', 'implicit']]);
  });
});

describe('Liquibase rollbacks', () => {
  it('rollbackEndDelimiter cuts the rollback, not endDelimiter; a --rollback line starts a line of the rollback', () => {
    const text = changelog('--changeset a:1 endDelimiter:/ rollbackEndDelimiter:/', 'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql', '/', '--rollback DROP FUNCTION f()', '--rollback /', '--rollback DROP FUNCTION IF EXISTS g()', '--rollback /');
    const result = lint(text);
    assert.deepEqual(result.findings.filter((f) => f.rule === 'syntax-error'), []);
    assert.deepEqual(result.statements.filter((s) => s.section.kind === 'down').map((s) => s.kind), ['DropStmt', 'DropStmt']);
    // Without rollbackEndDelimiter the rollback is cut at ;, and at a / starting one of its lines.
    const plain = lint(text.replace(' rollbackEndDelimiter:/', ''));
    assert.deepEqual(plain.findings.filter((f) => f.rule === 'syntax-error'), []);
    assert.equal(plain.statements.filter((s) => s.section.kind === 'down').length, 2);
  });

  it('rollbackSplitStatements:false with runInTransaction:false sends the rollback as one JDBC call', () => {
    const text = changelog('--changeset a:1 runInTransaction:false rollbackSplitStatements:false', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);', '--rollback DROP INDEX CONCURRENTLY IF EXISTS i;', '--rollback DROP INDEX CONCURRENTLY IF EXISTS j;');
    const banned = findings(text, 'ban-concurrent-index-creation-in-transaction');
    assert.equal(banned.length, 2);
    assert.match(banned[0].message, /Liquibase sends the rollback of a `runInTransaction:false` changeset with `rollbackSplitStatements:false` in one JDBC call/);
  });
});

describe('Liquibase runWith:psql', () => {
  it('a changeset psql runs has psql meta-commands and variables; others do not', () => {
    const psql = changelog('--changeset a:1 runWith:psql', '\\set ON_ERROR_STOP on', 'CREATE TABLE :"schema".t (id bigint PRIMARY KEY);', '--rollback DROP TABLE :"schema".t;');
    const result = lint(psql);
    assert.deepEqual(result.findings.filter((f) => f.rule === 'syntax-error'), []);
    assert.deepEqual(result.document.sections.map((s) => s.placeholders), ['psql', 'psql']);
    assert.equal(findings(psql.replace(' runWith:psql', ''), 'syntax-error').length, 2);
  });
});

describe('Liquibase cuts inside a dollar quote', () => {
  const cuts = (text: string) => describe_(text).problems.filter((p) => p.message.includes('inside a dollar-quoted body')).map((p) => text.slice(0, p.span.start).split('\n').length);

  it('reports the `;` after END IF inside a plpgsql body, where Liquibase cuts (liquibase/liquibase#5538), and not the same body without it', () => {
    const body = (endIf: string, end: string) =>
      changelog('--changeset a:1', 'CREATE FUNCTION f() RETURNS trigger AS $$', 'BEGIN', '  IF NEW.x IS NULL THEN', '    NEW.x := 1;', `  ${endIf}`, '  RETURN NEW;', end, '$$ LANGUAGE plpgsql;', '--rollback DROP FUNCTION f();');
    assert.deepEqual(cuts(body('END IF;', 'END')), [7], 'END IF closes the BEGIN for Liquibase: the `;` after it is a cut');
    assert.deepEqual(cuts(changelog('--changeset a:1', 'CREATE FUNCTION f() RETURNS trigger AS $$', 'BEGIN', '  RAISE EXCEPTION $q$x;$q$;', '  RETURN OLD;', 'END', '$$ LANGUAGE plpgsql;')), [], "the issue's working form: every `;` between BEGIN and END");
    assert.deepEqual(cuts(changelog('--changeset a:1', 'DO $$ BEGIN PERFORM 1; END; $$;')), [3], 'END; before the closing $$');
  });

  it('reports an SQL function body cut at its `;`, in the changeset and in its rollback', () => {
    assert.deepEqual(cuts(changelog('--changeset a:1', 'CREATE FUNCTION g() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;', '--rollback CREATE FUNCTION g() RETURNS int AS $body$ SELECT 0; $body$ LANGUAGE sql;')), [3, 4]);
  });

  it('reports nothing where Liquibase sends the changeset whole, or cuts only between statements', () => {
    assert.deepEqual(cuts(changelog('--changeset a:1 splitStatements:false rollbackSplitStatements:false', 'CREATE FUNCTION g() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;', '--rollback DROP FUNCTION g();')), []);
    assert.deepEqual(cuts(changelog('--changeset a:1 endDelimiter:/', 'CREATE FUNCTION g() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql', '/')), []);
    assert.deepEqual(cuts(changelog('--changeset a:1', "SELECT '$$;' AS a, $$x$$ AS b;", '-- BEGIN', 'CREATE TABLE t (id int);')), [], 'a `;` in a string, a BEGIN in a comment');
    assert.deepEqual(cuts(changelog('--changeset a:1', 'BEGIN TRANSACTION;', "CREATE FUNCTION h() RETURNS int AS 'SELECT 1' LANGUAGE sql;", 'COMMIT;')), []);
  });

  it('says which attribute to add, as a migration-format error on the `;`', () => {
    const text = changelog('--changeset a:1', 'CREATE FUNCTION g() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;');
    const [f] = findings(text, 'migration-format');
    assert.equal(f?.severity, 'error');
    assert.equal(text.slice(f.span.start, f.span.end), ';');
    assert.match(f.message, /Liquibase cuts changeset a:1/);
    assert.match(f.help ?? '', /splitStatements:false/);
    // Its fix adds the attribute to the changeset line; the file then has no such problem.
    const [fix] = f.fixes ?? [];
    assert.equal(fix?.safe, true, 'safe: the changeset runs in a transaction either way');
    const [edit] = fix.edits;
    const fixed = text.slice(0, edit.span.start) + edit.newText + text.slice(edit.span.end);
    assert.equal(fixed.split('\n')[1], '--changeset a:1 splitStatements:false');
    assert.deepEqual(cuts(fixed), []);
    const outside = findings(changelog('--changeset a:1 runInTransaction:false', 'CREATE FUNCTION g() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;'), 'migration-format');
    assert.equal(outside[0]?.fixes?.[0]?.safe, false, 'outside a transaction, sending the changeset whole makes it one implicit transaction: offered, not applied by --fix');
  });
});
