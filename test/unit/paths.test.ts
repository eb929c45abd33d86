// childPath must give exactly what path.join gives, whatever the folder and names look like.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { childPath, isNormalizedAbsolute, relativePath } from '../../server/src/engine/paths';

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

describe('relativePath', () => {
  const paths = ['/', '/a', '/a/b', '/a/b/', '/a//b', '/a/./b', '/a/../b', '/a/.zdm', '/a/b/.', '/a/b/..', '/a/bc', '/a/b/c', '/a/b/c/d.sql', '/a/b/../b/c', 'a/b', 'a/b/c', '.', '..', '', './a', '/x y/ü', '/x y/ü/v.sql'];
  it('equals path.relative for every pair', () => {
    for (const dir of paths) for (const file of paths) assert.equal(relativePath(dir, file), path.relative(dir, file), `${JSON.stringify(dir)} -> ${JSON.stringify(file)}`);
  });
  it('takes the fast path for a file inside a normalized absolute folder', () => {
    assert.equal(relativePath('/a/b', '/a/b/c/d.sql'), 'c/d.sql');
  });
  it('isNormalizedAbsolute: exactly the paths path.resolve leaves as they are, or fewer', () => {
    for (const p of paths) if (isNormalizedAbsolute(p)) assert.equal(path.resolve(p), p, p);
    assert.ok(isNormalizedAbsolute('/a/b') && isNormalizedAbsolute('/') && !isNormalizedAbsolute('/a/') && !isNormalizedAbsolute('a'));
  });
});
