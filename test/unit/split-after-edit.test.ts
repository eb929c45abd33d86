// splitStatements outside batch runs reuses, from an earlier split of an edited text, the statements
// before the edit (the language server lints a file again after every keystroke). Whatever the edit,
// the result must be what splitting the new text afresh gives.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitStatements, splitStatementsAfresh } from '../../server/src/engine/sql/split';

const PIECES = [
  'CREATE TABLE t (id int);',
  "INSERT INTO t VALUES (1, 'a;b');",
  '-- a comment; with a semicolon\n',
  '/* block; comment */',
  'SELECT $$ body; $$;',
  'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;',
  ';',
  'ALTER TABLE t ADD COLUMN c text;',
  "SELECT E'it\\'s';",
  'UPDATE t SET id = 2',
  '\n\n',
  "SELECT 'unterminated",
  '\\set x 1;\n',
  'SELECT 1.;',
  'SELECT -1;SELECT 2',
  'SELECT $1;',
  'CREATE FUNCTION g() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql;',
  'SELECT 1 /* unterminated',
];

/** A small deterministic generator (no Math.random: a failure must reproduce). */
function generator(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

describe('splitStatements after an edit', () => {
  it('equals a fresh split for random texts and random edits, with and without a range', () => {
    const random = generator(7);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
    for (let round = 0; round < 300; round++) {
      let text = Array.from({ length: 3 + Math.floor(random() * 12) }, () => pick(PIECES)).join(random() < 0.5 ? '\n' : ' ');
      for (let edit = 0; edit < 6; edit++) {
        const at = Math.floor(random() * (text.length + 1));
        const removed = Math.floor(random() * 4);
        const inserted = pick(['', 'x', ';', "'", '$$', '--', '/*', '*/', '\n', 'BEGIN ATOMIC', ' END;', pick(PIECES)]);
        text = text.slice(0, at) + inserted + text.slice(at + removed);
        const from = random() < 0.7 ? 0 : Math.min(text.length, 3);
        const to = random() < 0.7 ? text.length : Math.max(from, text.length - 5);
        assert.deepStrictEqual(splitStatements(text, from, to), splitStatementsAfresh(text, from, to), JSON.stringify({ text, from, to }));
      }
    }
  });

  it('reuses the statements before the edit (the same objects), and splits the rest again', () => {
    const before = 'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCREATE TABLE c (id int);\n';
    const first = splitStatements(before);
    const after = before.replace('TABLE c', 'TABLE cc');
    const second = splitStatements(after);
    assert.equal(second.statements.length, 3);
    assert.equal(second.statements[0], first.statements[0]);
    assert.equal(second.statements[1], first.statements[1]);
    assert.notEqual(second.statements[2], first.statements[2]);
    assert.deepStrictEqual(second, splitStatementsAfresh(after));
  });
});
