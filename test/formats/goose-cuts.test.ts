// goose ends a statement at every line ending with `;` outside a StatementBegin/StatementEnd block,
// without reading dollar quotes, strings or comments (its internal/sqlparser): a statement it would cut
// in two is a migration-format error at the `;` where it cuts, with a fix that wraps the statement.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initParser, lintSql } from '../helpers/lint';

before(() => initParser());

const goose = (...lines: string[]) => ['-- +goose Up', ...lines, '', '-- +goose Down', 'SELECT 1;', ''].join('\n');
const lint = (text: string) => lintSql(text, { format: 'goose', path: '20240101000000_x.sql' });
/** The lines (1-based) where a cut is reported. */
const cuts = (text: string) =>
  lint(text)
    .findings.filter((f) => f.rule === 'migration-format' && f.message.startsWith('goose cuts'))
    .map((f) => text.slice(0, f.span.start).split('\n').length);

const FUNCTION = ['CREATE FUNCTION touch() RETURNS trigger AS $$', 'BEGIN', '  NEW.updated_at := now();', '  RETURN NEW;', 'END;', '$$ LANGUAGE plpgsql;'];

describe('goose cutting a statement', () => {
  it('reports the first line ending in `;` inside a function body outside a StatementBegin/End block', () => {
    assert.deepEqual(cuts(goose(...FUNCTION)), [4]);
    assert.deepEqual(cuts(goose('DO $$ BEGIN', '  PERFORM 1;', 'END $$;')), [3], 'a DO block');
    assert.deepEqual(cuts(goose("INSERT INTO notes VALUES ('first line;", "second line');")), [2], 'a string over two lines');
    assert.deepEqual(cuts(goose('CREATE FUNCTION one() RETURNS int LANGUAGE sql', 'BEGIN ATOMIC', '  SELECT 1;', 'END;')), [4], 'a BEGIN ATOMIC body');
  });

  it('reports nothing inside a block, for statements ending their lines, or where the `;` is not the line end', () => {
    assert.deepEqual(cuts(goose('-- +goose StatementBegin', ...FUNCTION, '-- +goose StatementEnd')), []);
    assert.deepEqual(cuts(goose('CREATE TABLE a (id int);', 'CREATE TABLE b (', '  id int -- a comment;', ');', "SELECT 'a;' AS x; -- done;")), []);
    assert.deepEqual(cuts(goose("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;")), [], 'a body on one line: goose cuts at its end only');
    assert.deepEqual(cuts(goose('CREATE FUNCTION g() RETURNS int AS $$', '  SELECT 1; -- the result', '$$ LANGUAGE sql;')).length, 1, 'a `;` before a trailing comment still ends the line for goose');
  });

  it('offers to wrap the statement, which then lints clean', () => {
    const text = goose('CREATE TABLE audit (id bigint);', ...FUNCTION);
    const finding = lint(text).findings.find((f) => f.message.startsWith('goose cuts'))!;
    assert.equal(finding.severity, 'error');
    assert.match(finding.help ?? '', /StatementBegin/);
    const fix = finding.fixes?.[0];
    assert.ok(fix?.safe);
    let fixed = text;
    for (const e of [...fix.edits].sort((a, b) => b.span.start - a.span.start)) fixed = fixed.slice(0, e.span.start) + e.newText + fixed.slice(e.span.end);
    assert.equal(fixed, goose('CREATE TABLE audit (id bigint);', '-- +goose StatementBegin', ...FUNCTION, '-- +goose StatementEnd'));
    assert.deepEqual(cuts(fixed), []);
    assert.deepEqual(lint(fixed).findings.filter((f) => f.rule === 'migration-format'), []);
  });

  it('in a down section too, and keeps CRLF line endings in its fix', () => {
    const text = ['-- +goose Up', 'SELECT 1;', '', '-- +goose Down', ...FUNCTION, ''].join('\r\n');
    const finding = lint(text).findings.find((f) => f.message.startsWith('goose cuts'))!;
    assert.equal(text.slice(0, finding.span.start).split('\n').length, 7);
    assert.ok(finding.fixes![0].edits.every((e) => !/(^|[^\r])\n/.test(e.newText)), 'no bare \\n in a CRLF file');
  });
});

describe('a goose statement with no `;` ending its line', () => {
  /** The lines (1-based) where an unfinished statement is reported. */
  const unfinished = (text: string) =>
    lint(text)
      .findings.filter((f) => f.rule === 'migration-format' && f.message.startsWith('goose never sends'))
      .map((f) => text.slice(0, f.span.start).split('\n').length);

  it('is reported at the statement: goose stops there ("unexpected unfinished SQL query ... missing semicolon?")', () => {
    assert.deepEqual(unfinished(goose('CREATE TABLE a (id int);', 'CREATE TABLE b (id int)')), [3], 'the last up statement, a Down section following');
    assert.deepEqual(unfinished(['-- +goose Up', 'CREATE TABLE a (id int)', ''].join('\n')), [2], 'at the end of the file');
    assert.deepEqual(unfinished(['-- +goose Up', 'CREATE TABLE a (id int);', '-- +goose Down', 'DROP TABLE a', ''].join('\n')), [4], 'the down section');
    assert.deepEqual(unfinished(goose('CREATE TABLE a (id int); /* a note */')), [2], 'a `;` that is not the last word of its line');
    const text = goose('CREATE TABLE b (id int)', '-- a comment after it');
    const finding = lint(text).findings.find((f) => f.message.startsWith('goose never sends'))!;
    assert.equal(finding.severity, 'error');
    assert.match(finding.message, /At the '-- \+goose Down' line goose stops: "failed to parse migration: \.\.\. unexpected unfinished SQL query: \.\.\.: missing semicolon\?"/);
    assert.deepEqual(finding.fixes?.[0]?.edits, [{ span: { start: text.indexOf('(id int)') + 8, end: text.indexOf('(id int)') + 8 }, newText: ';' }]);
  });

  it('is not reported for statements goose ends, comments after the last one, or inside a StatementBegin/End block', () => {
    assert.deepEqual(unfinished(goose('CREATE TABLE a (id int);', '-- done', '/* nothing more */;')), []);
    assert.deepEqual(unfinished(goose('CREATE TABLE a (id int); -- done')), []);
    assert.deepEqual(unfinished(goose('-- +goose StatementBegin', ...FUNCTION, '-- +goose StatementEnd')), []);
    assert.deepEqual(unfinished(goose('-- +goose StatementBegin', 'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql', '-- +goose StatementEnd')), [], 'the StatementEnd line ends it');
    assert.deepEqual(unfinished(['-- +goose Up', 'CREATE TABLE a (id int);', '', '-- +goose Down', '-- nothing', ''].join('\n')), []);
  });
});
