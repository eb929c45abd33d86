// goose ends a statement only where a line's last word ends with `;` (its internal/sqlparser), so
// statements sharing a line reach PostgreSQL as one query string: under NO TRANSACTION that string
// is one implicit transaction (`Section.queryStrings`), where CONCURRENTLY cannot run.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { goose as gooseFormat } from '../../server/src/engine/formats/goose';
import { applyEdits } from '../../server/src/engine/fixes/apply';
import { initParser, lintSql } from '../helpers/lint';

before(() => initParser());

const goose = (...lines: string[]) => ['-- +goose NO TRANSACTION', '-- +goose Up', ...lines, '', '-- +goose Down', 'SELECT 1;', ''].join('\n');
const PATH = '20240101000000_x.sql';
/** The text of each query string of several statements in the up section. */
const strings = (text: string) => (gooseFormat.describe(PATH, text, undefined as never, {} as never).sections[0].queryStrings ?? []).map((q) => text.slice(q.start, q.end));
const concurrently = (text: string) => lintSql(text, { format: 'goose', path: PATH }).findings.filter((f) => f.rule === 'ban-concurrent-index-creation-in-transaction');

describe('goose statements that share a line', () => {
  it('are one query string under NO TRANSACTION, up to the line goose ends them at', () => {
    assert.deepEqual(strings(goose('CREATE TABLE t (x int); CREATE INDEX CONCURRENTLY i ON t (x);', 'SELECT 1;')), ['CREATE TABLE t (x int); CREATE INDEX CONCURRENTLY i ON t (x);']);
    assert.deepEqual(strings(goose('SELECT 1; SELECT 2', '  + 1;', 'SELECT 3;')), ['SELECT 1; SELECT 2\n  + 1;'], 'the second statement goes on to a line ending with `;`');
    assert.deepEqual(strings(goose('SELECT 1; /* more */', 'SELECT 2;')), ['SELECT 1; /* more */\nSELECT 2;'], 'a line whose last word is a block comment does not end a statement');
    assert.deepEqual(strings(goose('SELECT 1;SELECT 2;')), ['SELECT 1;SELECT 2;'], 'no space between them');
    const block = ['-- +goose StatementBegin', 'SELECT 3;', 'SELECT 4;', '-- +goose StatementEnd'];
    assert.deepEqual(strings(goose('SELECT 1; SELECT 2;', ...block)), ['SELECT 1; SELECT 2;', block.join('\n')], 'beside a StatementBegin/End block, each its own');
  });

  it('are not, each on its own line (a comment after the `;` too), or in a transaction', () => {
    assert.deepEqual(strings(goose('SELECT 1;', 'SELECT 2;  -- two', '  SELECT 3;')), []);
    assert.deepEqual(strings(goose("SELECT 'a;b';", 'SELECT 2;')), [], 'a `;` inside a string on a line ending with `;`');
    const text = goose('SELECT 1; SELECT 2;').replace('-- +goose NO TRANSACTION\n', '');
    assert.equal(gooseFormat.describe(PATH, text, undefined as never, {} as never).sections[0].queryStrings, undefined);
  });

  it('make CONCURRENTLY among them an error, whose fix puts it on a line of its own', () => {
    const text = goose("  SET lock_timeout = '5s'; CREATE INDEX CONCURRENTLY i ON t (x);  SELECT 1;", 'SELECT 2;');
    const [finding, ...rest] = concurrently(text);
    assert.equal(rest.length, 0);
    assert.match(finding.message, /goose ends a statement only where a line ends with `;`, so it sends these statements together as one query string, which PostgreSQL runs as one implicit transaction/);
    const fixed = applyEdits(text, finding.fixes![0].edits);
    assert.ok(fixed.ok);
    assert.equal(fixed.text, goose("  SET lock_timeout = '5s';", '  CREATE INDEX CONCURRENTLY i ON t (x);', '  SELECT 1;', 'SELECT 2;'));
    assert.deepEqual(concurrently(fixed.text), []);
    assert.deepEqual(concurrently(goose("SET lock_timeout = '5s';", 'CREATE INDEX CONCURRENTLY i ON t (x);')), [], 'on lines of their own');
  });
});
