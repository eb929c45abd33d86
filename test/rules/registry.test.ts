// The registry's rule ids: lint.ts orders findings that share a span by rule id in code-unit order,
// which for ids of lowercase words and hyphens is the order localeCompare gave, so every output format
// lists such findings as it did before.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registry } from '../../server/src/engine/rules/registry';

describe('rule registry', () => {
  it('has unique ids made of lowercase words joined by hyphens', () => {
    const ids = registry.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'duplicate rule id');
    for (const id of ids) assert.match(id, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, id);
  });

  it('orders the ids in code units as localeCompare does', () => {
    const ids = registry.map((r) => r.id);
    const byCodeUnits = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const byLocale = [...ids].sort((a, b) => a.localeCompare(b));
    assert.deepEqual(byCodeUnits, byLocale);
  });
});
