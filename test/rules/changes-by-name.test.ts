// ChangesByName answers "does a change match this key?" from the buckets of the key's matching names
// only. It must agree with scanning every change: a name missing from `matchingNames` would make
// rules miss a table created earlier, an object the down re-creates, and so on.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { ChangesByName, contains, sameObject, schemaChanges, type SchemaChange } from '../../server/src/engine/sql/classify';
import { parseStatement } from '../../server/src/engine/sql/parser';
import { splitStatements } from '../../server/src/engine/sql/split';
import { initParser } from '../helpers/lint';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures');

before(() => initParser());

function sqlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.sql')).map((f) => path.join(dir, f));
}

/** Every schema change of every statement of the rule and fix fixtures. */
function fixtureChanges(): SchemaChange[] {
  const out: SchemaChange[] = [];
  for (const file of sqlFiles(FIXTURES)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const s of splitStatements(text).statements) {
      for (const node of parseStatement(text.slice(s.span.start, s.span.end)).nodes) out.push(...schemaChanges(node));
    }
  }
  return out;
}

describe('ChangesByName', () => {
  it('finds exactly what a scan of every change finds, for every pair of fixture changes', () => {
    const changes = fixtureChanges();
    assert.ok(changes.length > 500, `only ${changes.length} changes in the fixtures`);
    const index = new ChangesByName(changes, (c) => c);
    const matches = (c: SchemaChange, key: SchemaChange) => sameObject(c, key) || contains(c, key);
    let found = 0;
    for (const key of changes) {
      const scanned = changes.filter((c) => matches(c, key));
      const indexed = [...index.candidates(key)].filter((c) => matches(c, key));
      assert.deepEqual(new Set(indexed), new Set(scanned), `matches of ${key.kind} ${key.display}`);
      assert.equal(indexed.length, scanned.length, `each match once for ${key.kind} ${key.display}`);
      assert.equal(index.some(key, (c) => matches(c, key)), scanned.length > 0);
      found += scanned.length;
    }
    // Containment, not only identity, was exercised: more matches than keys.
    assert.ok(found > changes.length, `${found} matches for ${changes.length} keys`);
  });
});
