// goose does not empty its buffer at a `-- +goose StatementBegin` line (its internal/sqlparser: the
// StatementBegin case only changes state, with no check of what it holds, unlike the Down case, which
// fails on an unfinished statement): what it read before the block and had not sent, because no line
// ending with `;` ended it, is sent at the StatementEnd line together with the block, as one query
// string. Under NO TRANSACTION that string is one implicit transaction (`Section.queryStrings`).

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { goose as gooseFormat } from '../../server/src/engine/formats/goose';
import { applyEdits } from '../../server/src/engine/fixes/apply';
import { initParser, lintSql } from '../helpers/lint';

before(() => initParser());

const goose = (...lines: string[]) => ['-- +goose NO TRANSACTION', '-- +goose Up', ...lines, '', '-- +goose Down', 'SELECT 1;', ''].join('\n');
const PATH = '20240101000000_x.sql';
const describe_ = (text: string) => gooseFormat.describe(PATH, text, undefined as never, {} as never);
/** The text of each query string of the up section. */
const strings = (text: string, section = 0) => (describe_(text).sections[section].queryStrings ?? []).map((q) => text.slice(q.start, q.end));
const lint = (text: string) => lintSql(text, { format: 'goose', path: PATH }).findings;
const concurrently = (text: string) => lint(text).filter((f) => f.rule === 'ban-concurrent-index-creation-in-transaction');
const BLOCK = ['-- +goose StatementBegin', 'CREATE TABLE b (x int);', 'INSERT INTO b VALUES (1);', '-- +goose StatementEnd'];

describe('goose: what it holds at a StatementBegin line goes with the block', () => {
  it('a statement whose line does not end with `;` is in the block\'s query string; one whose line does is not', () => {
    assert.deepEqual(strings(goose('SELECT 1; /* note */', ...BLOCK)), [['SELECT 1; /* note */', ...BLOCK].join('\n')]);
    assert.deepEqual(strings(goose('SELECT 1; SELECT 2', '  + 1; /* note */', '-- a comment goose keeps, the buffer not being empty', ...BLOCK)), [['SELECT 1; SELECT 2', '  + 1; /* note */', '-- a comment goose keeps, the buffer not being empty', ...BLOCK].join('\n')]);
    assert.deepEqual(strings(goose('SELECT 1;  -- done', '', '-- a comment goose drops', ...BLOCK)), [BLOCK.join('\n')], 'goose ended the statement: the block alone');
    assert.deepEqual(strings(goose(...BLOCK, 'SELECT 1; /* note */', ...BLOCK)), [BLOCK.join('\n'), ['SELECT 1; /* note */', ...BLOCK].join('\n')], 'after a StatementEnd, from there');
  });

  it('a statement with no `;` at all: PostgreSQL reads it with the block\'s first, as goose sends it', () => {
    const text = goose('SELECT 1', ...BLOCK);
    assert.deepEqual(strings(text), [['SELECT 1', ...BLOCK].join('\n')]);
    assert.equal(lint(text).filter((f) => f.rule === 'syntax-error').length, 1);
  });

  it('in the down section too', () => {
    const text = ['-- +goose NO TRANSACTION', '-- +goose Up', 'SELECT 1;', '-- +goose Down', 'SELECT 2; /* note */', ...BLOCK, ''].join('\n');
    assert.deepEqual(strings(text, 1), [['SELECT 2; /* note */', ...BLOCK].join('\n')]);
  });

  it('CONCURRENTLY before the block is an error (one implicit transaction), whose fix ends its line with `;`', () => {
    const text = goose('CREATE INDEX CONCURRENTLY i ON t (x); /* the index */', ...BLOCK);
    const [finding, ...rest] = concurrently(text);
    assert.deepEqual(rest, []);
    assert.match(finding.message, /with what it read before the block and had not yet sent/);
    const fixed = applyEdits(text, finding.fixes![0].edits);
    assert.ok(fixed.ok);
    assert.equal(fixed.text, goose('CREATE INDEX CONCURRENTLY i ON t (x);', '/* the index */', ...BLOCK));
    assert.deepEqual(concurrently(fixed.text), []);
  });

  it('CONCURRENTLY inside such a block: its fix moves it out of the block, as for any block', () => {
    const block = ['-- +goose StatementBegin', 'CREATE TABLE b (x int);', 'CREATE INDEX CONCURRENTLY i ON b (x);', '-- +goose StatementEnd'];
    const [finding] = concurrently(goose('SELECT 1; /* note */', ...block));
    assert.ok(finding);
    assert.match(finding.fixes![0].title, /Move it out of the StatementBegin\/StatementEnd block/);
  });

  it('in a transaction, nothing changes: no query strings', () => {
    assert.equal(describe_(goose('SELECT 1; /* note */', ...BLOCK).replace('-- +goose NO TRANSACTION\n', '')).sections[0].queryStrings, undefined);
  });
});
