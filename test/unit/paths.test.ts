// childPath must give exactly what path.join gives, whatever the folder and names look like.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { childPath } from '../../server/src/engine/paths';

describe('childPath', () => {
  const dirs = ['/', '/a', '/a/b', '/a/b/', '/a//b', '/a/./b', '/a/../b', '/a/.zdm', '/a/b/.', '/a/b/..', 'a/b', '.', '..', '', './a', '/db/migrations', '/x y/ü'];
  const names = ['x.sql', '.zdm', 'applied.json', '.', '..', '', 'a/b', '../c', 'up.sql', '20240101000000_a.up.sql', ' ', 'ü'];
  it('equals path.join for every folder and one or two names', () => {
    for (const dir of dirs) {
      for (const a of names) {
        assert.equal(childPath(dir, a), path.join(dir, a), `${JSON.stringify(dir)} + ${JSON.stringify(a)}`);
        for (const b of names) assert.equal(childPath(dir, a, b), path.join(dir, a, b), `${JSON.stringify(dir)} + ${JSON.stringify(a)} + ${JSON.stringify(b)}`);
      }
    }
  });
  it('takes the fast path for a normalized absolute folder and plain names', () => {
    assert.equal(childPath('/a/b', 'c.sql'), '/a/b/c.sql');
    assert.equal(childPath('/', 'c.sql'), '/c.sql');
    assert.equal(childPath('/a', '.zdm', 'applied.json'), '/a/.zdm/applied.json');
  });
});
