// goose's ENVSUB as goose reads it (formats/goose-envsub.ts): substitution from `-- +goose ENVSUB ON`
// to `OFF`, line by line; its interpolation's grammar (nested defaults, `$$` and `\$` as `$`); and what
// goose cannot run under it (a dollar quote it turns into `$`, a `$1` it cannot read) reported while
// typing, as a migration-format error.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { goose } from '../../server/src/engine/formats/goose';
import { readEnvsubLine } from '../../server/src/engine/formats/goose-envsub';
import { initParser, lintSql } from '../helpers/lint';

before(() => initParser());

/** The goose format's reading of a file (it needs no project host). */
const describe_ = (path: string, text: string) => goose.describe(path, text, undefined as never, {} as never);
const lint = (text: string) => lintSql(text, { format: 'goose', path: '20240101000000_x.sql' });
const formatErrors = (text: string) => lint(text).findings.filter((f) => f.rule === 'migration-format');
const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length;
/** The text of the lines goose substitutes in each section. */
const substituted = (text: string) => Object.fromEntries(describe_('20240101000000_x.sql', text).sections.map((s) => [s.kind, (s.substitutedLines ?? []).map((l) => text.slice(l.start, l.end))]));

const FUNCTION = ['-- +goose StatementBegin', 'CREATE FUNCTION touch() RETURNS trigger AS $$', 'BEGIN', '  NEW.updated_at := now();', '  RETURN NEW;', 'END;', '$$ LANGUAGE plpgsql;', '-- +goose StatementEnd'];

describe('goose ENVSUB: the lines goose substitutes', () => {
  it('only those from ENVSUB ON to ENVSUB OFF, in either direction; not annotations, nor comments before a statement (goose drops them), but a comment inside one', () => {
    const text = [
      '-- +goose Up',
      'CREATE TABLE a (id int);',
      '-- +goose envsub on',
      '-- a comment goose drops',
      'CREATE TABLE ${B} (',
      '  -- a comment goose keeps',
      '  id int);',
      '-- +goose ENVSUB OFF',
      "SELECT '${C}';",
      '-- +goose Down',
      '-- +goose ENVSUB ON',
      'DROP TABLE ${B};',
      '',
    ].join('\n');
    assert.deepEqual(substituted(text), { up: ['CREATE TABLE ${B} (', '  -- a comment goose keeps', '  id int);'], down: ['DROP TABLE ${B};'] });
    // Before, the whole file counted as substituted once ENVSUB ON appeared anywhere.
    assert.deepEqual(substituted('-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n'), { up: [], down: [] });
  });

  it("reads a line as goose's interpolation does: nested defaults to their own `}`, `$$` and `\\$` as escapes, `$VAR` without braces", () => {
    const line = "x ${A:-${B:-b}} $$ \\$ $C ${D?d} '$(e)' $";
    const read = readEnvsubLine(line, { start: 0, end: line.length });
    assert.ok('items' in read);
    const pieces = read.items.filter((i) => i.kind !== 'text').map((i) => line.slice(i.start, i.end));
    assert.deepEqual(pieces, ['${A:-${B:-b}}', '$$', '\\$', '$C', '${D?d}']);
    for (const bad of ['SELECT $1;', '${1}', '${A:?x}', '${A:-x', '${A }']) assert.ok('error' in readEnvsubLine(bad, { start: 0, end: bad.length }), bad);
  });
});

describe('goose ENVSUB: what goose cannot run is reported while typing', () => {
  it("a function's `$$` under ENVSUB ON: an error at the dollar quote, saying goose sends `$`, and how to turn substitution off around it", () => {
    const text = ['-- +goose ENVSUB ON', '-- +goose Up', 'CREATE TABLE ${T} (id int);', ...FUNCTION, ''].join('\n');
    const [error, ...more] = formatErrors(text);
    assert.deepEqual(more, []);
    assert.equal(error.severity, 'error');
    assert.equal(lineOf(text, error.span.start), 5);
    assert.equal(text.slice(error.span.start, error.span.end), '$$');
    assert.match(error.message, /goose reads `\$\$` as an escaped `\$` and sends `\$`, so the dollar quote `\$\$` never reaches PostgreSQL/);
    assert.match(error.help ?? '', /'-- \+goose ENVSUB OFF' line before the statement and '-- \+goose ENVSUB ON' after it/);
  });

  it('offers to turn ENVSUB off around the statement, which then lints clean (safe: the function uses no variable)', () => {
    const text = ['-- +goose ENVSUB ON', '-- +goose Up', 'CREATE TABLE ${T} (id int);', ...FUNCTION, ''].join('\n');
    const fix = formatErrors(text)[0].fixes?.[0];
    assert.ok(fix?.safe);
    let fixed = text;
    for (const e of [...fix.edits].sort((a, b) => b.span.start - a.span.start)) fixed = fixed.slice(0, e.span.start) + e.newText + fixed.slice(e.span.end);
    assert.equal(fixed, ['-- +goose ENVSUB ON', '-- +goose Up', 'CREATE TABLE ${T} (id int);', FUNCTION[0], '-- +goose ENVSUB OFF', ...FUNCTION.slice(1, -1), '-- +goose ENVSUB ON', FUNCTION[FUNCTION.length - 1], ''].join('\n'));
    assert.deepEqual(formatErrors(fixed), []);
    const withVariable = text.replace('RETURN NEW;', "RAISE NOTICE '${T}'; RETURN NEW;");
    assert.equal(formatErrors(withVariable)[0].fixes?.[0].safe, false, 'the variable would be sent as written: not applied without a look');
  });

  it('nothing once the function is between ENVSUB OFF and ON, nor for `$$` in a string (goose writes `$`, as meant), nor without ENVSUB', () => {
    assert.deepEqual(formatErrors(['-- +goose ENVSUB ON', '-- +goose Up', 'CREATE TABLE ${T} (id int);', '-- +goose ENVSUB OFF', ...FUNCTION, '-- +goose ENVSUB ON', 'DROP TABLE ${T};', ''].join('\n')), []);
    assert.deepEqual(formatErrors(['-- +goose ENVSUB ON', '-- +goose Up', "SELECT 'costs $$5';", ''].join('\n')), []);
    assert.deepEqual(formatErrors(['-- +goose Up', ...FUNCTION, ''].join('\n')), []);
  });

  it('a named dollar quote goose reads as a variable, and a `$1` goose cannot read (which stops goose in either direction)', () => {
    const named = ['-- +goose ENVSUB ON', '-- +goose Up', '-- +goose StatementBegin', 'CREATE FUNCTION one() RETURNS int AS $body$', 'SELECT 1', '$body$ LANGUAGE sql;', '-- +goose StatementEnd', ''].join('\n');
    const [error] = formatErrors(named);
    assert.match(error.message, /goose reads `\$body` as the environment variable body and sends its value, so the dollar quote `\$body\$` never reaches PostgreSQL/);
    const param = ['-- +goose Up', 'CREATE TABLE t (id int);', '-- +goose Down', '-- +goose ENVSUB ON', 'PREPARE q AS SELECT $1;', 'DROP TABLE t;', ''].join('\n');
    const [unreadable] = formatErrors(param);
    assert.equal(lineOf(param, unreadable.span.start), 5);
    assert.match(unreadable.message, /goose cannot substitute this line under '-- \+goose ENVSUB ON': a variable name starting with a letter was expected after '\$', not '1'\. goose stops the migration \("variable substitution failed"\)/);
    const problem = describe_('x.sql', param).problems.find((p) => p.failsRun)!;
    assert.equal(problem.failsFile, true, 'goose reads the whole file: the up fails too');
  });

  it('a $VAR without braces is linted as a name, and findings show it as written; outside ENVSUB it is the syntax error goose would send', () => {
    const body = ['-- +goose Up', 'CREATE TABLE $NEW_TABLE (id bigint PRIMARY KEY, n int);', 'CREATE INDEX t_n ON $TABLE_NAME (n);', ''].join('\n');
    const findings = lint(`-- +goose ENVSUB ON\n${body}`).findings;
    assert.deepEqual(findings.filter((f) => f.rule === 'syntax-error'), []);
    assert.match(findings.find((f) => f.rule === 'require-concurrent-index-creation')!.message, /\$TABLE_NAME/);
    assert.equal(lint(body).findings.filter((f) => f.rule === 'syntax-error').length, 2);
  });

  it('a nested default is linted as one placeholder (no syntax error)', () => {
    const text = ['-- +goose ENVSUB ON', '-- +goose Up', 'CREATE TABLE ${PREFIX:-${FALLBACK}} (id bigint PRIMARY KEY);', ''].join('\n');
    assert.deepEqual(lint(text).findings.filter((f) => f.rule === 'syntax-error' || f.rule === 'migration-format'), []);
  });
});

describe('goose ENVSUB: outside ON ... OFF, `${X}` is SQL as written', () => {
  it('is the syntax error PostgreSQL reports ("at or near \\"$\\""), on its line only; in a string it is text', () => {
    const text = ['-- +goose Up', '-- +goose ENVSUB ON', 'CREATE TABLE ${A} (id bigint PRIMARY KEY);', '-- +goose ENVSUB OFF', 'CREATE TABLE ${B} (id bigint PRIMARY KEY);', "SELECT '${C}';", ''].join('\n');
    const errors = lint(text).findings.filter((f) => f.rule === 'syntax-error');
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /at or near "\$"/);
    assert.equal(text.slice(errors[0].span.start, errors[0].span.start + 4), '${B}');
  });

  it('a statement running past ENVSUB OFF: the lines after it are not substituted', () => {
    const text = ['-- +goose Up', '-- +goose ENVSUB ON', 'CREATE TABLE ${A} (', '  id bigint PRIMARY KEY,', '-- +goose ENVSUB OFF', '  $COL int);', ''].join('\n');
    const [error, ...more] = lint(text).findings.filter((f) => f.rule === 'syntax-error');
    assert.deepEqual(more, []);
    assert.equal(lineOf(text, error.span.start), 6);
    assert.deepEqual(lint(text.replace('-- +goose ENVSUB OFF\n', '')).findings.filter((f) => f.rule === 'syntax-error'), [], 'under ENVSUB, $COL is a variable');
  });
});
