// Fixes whose edits are built when first read (fixes/lazy.ts): built once, only when read, and seen
// as plain data by everything that copies a fix (JSON in the language server's diagnostic data,
// structured clone, spreads). That the built edits are the right ones is the fix fixtures' job
// (test/rules/fixes-reparse.test.ts applies the follow-up migrations and compares the files).

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isLazyFix, lazyFix, retitled } from '../../server/src/engine/fixes/lazy';
import type { Fix } from '../../server/src/engine/model';
import { initParser, lintSql } from '../helpers/lint';

before(() => initParser());

const SQL = `-- migrate:up
ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
CREATE INDEX orders_user_id_idx ON orders (user_id);

-- migrate:down
DROP INDEX IF EXISTS orders_user_id_idx;
ALTER TABLE orders DROP COLUMN shipped_at;
`;

function plain(fix: Fix): Fix {
  return { title: fix.title, edits: fix.edits, creates: fix.creates, safe: fix.safe };
}

describe('lazy fixes', () => {
  it('builds the edits once, on first read, and keeps them', () => {
    let builds = 0;
    const fix = lazyFix('Move', false, () => {
      builds++;
      return { edits: [{ span: { start: 0, end: 1 }, newText: '' }], creates: [{ path: '/m/x.sql', text: 'SELECT 1;\n' }] };
    });
    const renamed = retitled(fix, 'Move it');
    assert.ok(isLazyFix(fix) && isLazyFix(renamed));
    assert.equal(renamed.title, 'Move it');
    assert.equal(renamed.safe, false);
    assert.equal(builds, 0);
    assert.equal(renamed.creates?.[0].path, '/m/x.sql');
    assert.equal(fix.edits, renamed.edits);
    assert.equal(builds, 1);
    assert.ok(!isLazyFix(plain(fix)));
  });

  it('a build that throws leaves a fix that changes nothing, and JSON of it still works', () => {
    const fix = lazyFix('Move', false, () => {
      throw new Error('a bug in a fix builder');
    });
    assert.deepEqual(fix.edits, []);
    assert.deepEqual(fix.creates, []);
    assert.deepEqual(JSON.parse(JSON.stringify(fix)), { title: 'Move', edits: [], creates: [], safe: false });
  });

  it('a follow-up migration fix of a lint result reads, serializes and clones as plain data', () => {
    const finding = lintSql(SQL).findings.find((f) => f.fixes?.some((x) => x.title.startsWith('Move to a new migration')));
    assert.ok(finding, 'a finding with a follow-up migration fix');
    const fix = finding.fixes!.find((x) => x.title.startsWith('Move to a new migration'))!;
    assert.ok(isLazyFix(fix), "the finding keeps the rule's lazy fix, not a copy that built its edits");
    const expected = plain(fix);
    assert.ok(expected.edits.length > 0 && (expected.creates?.length ?? 0) > 0);
    assert.equal(fix.edits, fix.edits);
    assert.deepEqual(JSON.parse(JSON.stringify(fix)), JSON.parse(JSON.stringify(expected)));
    assert.deepEqual(structuredClone(fix), expected);
    assert.deepEqual({ ...fix }, expected);
    assert.deepEqual(Object.keys(fix), ['title', 'edits', 'creates', 'safe']);
  });
});
