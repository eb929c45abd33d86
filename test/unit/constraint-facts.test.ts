// schemaFactsOf(...).constraintBefore: the constraint of a name on a table that the statements before
// one have left (added, dropped, dropped and added again in one ALTER TABLE). It reads an index of each
// section's constraint events by name; the answers must be those of reading every earlier statement.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { schemaFactsOf } from '../../server/src/engine/context';
import { initParser, lintSql } from '../helpers/lint';

before(async () => {
  await initParser();
});

describe('constraintBefore', () => {
  it('follows adds and drops of a name per table, in statement and clause order', () => {
    const file = lintSql(
      [
        'ALTER TABLE a ADD CONSTRAINT c CHECK (x > 0) NOT VALID;',
        'ALTER TABLE b ADD CONSTRAINT c UNIQUE (y);',
        'ALTER TABLE a DROP CONSTRAINT c, ADD CONSTRAINT c CHECK (x > 1);',
        'ALTER TABLE a DROP CONSTRAINT c;',
        'ALTER TABLE a ADD CONSTRAINT d CHECK (x < 9);',
        'SELECT 1;',
      ].join('\n') + '\n',
      { format: 'plain' },
    );
    const s = file.statements;
    const facts = schemaFactsOf({ statements: s });
    const a = { name: 'a', display: 'a' };
    const b = { name: 'b', display: 'b' };
    const seen = (table: typeof a, name: string, before: number) => {
      const c = facts.constraintBefore(table, name, s[before]);
      return c === undefined ? undefined : { statement: s.indexOf(c.statement), kind: c.kind, notValid: c.notValid };
    };
    assert.equal(seen(a, 'c', 0), undefined);
    assert.deepEqual(seen(a, 'c', 1), { statement: 0, kind: 'check', notValid: true });
    assert.deepEqual(seen(b, 'c', 2), { statement: 1, kind: 'unique', notValid: false });
    assert.deepEqual(seen(a, 'c', 3), { statement: 2, kind: 'check', notValid: false }, 'dropped, then added again in the same statement');
    assert.equal(seen(a, 'c', 5), undefined, 'dropped');
    assert.deepEqual(seen(b, 'c', 5), { statement: 1, kind: 'unique', notValid: false }, 'a drop on another table leaves it');
    assert.deepEqual(seen(a, 'd', 5), { statement: 4, kind: 'check', notValid: false });
    assert.equal(seen(a, 'd', 4), undefined, 'not before the statement that adds it');
    assert.equal(seen(a, 'e', 5), undefined);
  });
});
