// childPath, resolvedPath, relativePath, dirnameOf and basenameOf must give exactly what path.join,
// path.resolve, path.relative, path.dirname and path.basename give, whatever the paths look like.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { basenameOf, childPath, dirnameOf, isNormalizedAbsolute, relativePath, resolvedPath } from '../../server/src/engine/paths';

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

describe('resolvedPath, dirnameOf, basenameOf', () => {
  const paths = [
    '', '/', '//', '///', '.', '..', '/.', '/..', 'a', 'a/', '/a', '/a/', '//a', '//a/b', '/a//b', '/a/b', '/a/b/', '/a/b//', '/a/./b', '/a/../b', '/a/b/.', '/a/b/..',
    '/a/.zdm', '/a/.zdm/applied.json', '/a/..b/c', '/a/b../c', '/a/...', '/.a', '/..a', 'a/b', './a', '../a/b', 'a/b/',
    '/db/migrations/20240101000000_a.sql', '/m/0001_x.up.sql', '/m/.sql', '/m/x.sql.sql', '/m/x.SQL', '/x y/ü.sql', 'x.sql', '.sql',
  ];
  const exts = [undefined, '', '.sql', '.up.sql', 'b', 'sql', '.SQL', '.zdm', 'a/b', '/'];
  it('equal path.resolve, path.dirname and path.basename', () => {
    for (const p of paths) {
      assert.equal(resolvedPath(p), path.resolve(p), `resolve ${JSON.stringify(p)}`);
      assert.equal(dirnameOf(p), path.dirname(p), `dirname ${JSON.stringify(p)}`);
      for (const ext of exts) assert.equal(basenameOf(p, ext), ext === undefined ? path.basename(p) : path.basename(p, ext), `basename ${JSON.stringify(p)} ${JSON.stringify(ext)}`);
    }
  });
  it('equal them for every path of up to 6 characters of / . a b', () => {
    const all = (n: number): string[] => (n === 0 ? [''] : all(n - 1).flatMap((s) => (s.length === n - 1 ? [s, ...['/', '.', 'a', 'b'].map((c) => s + c)] : [s])));
    const strings = [...new Set(all(6))];
    const exts = [...new Set(all(3))];
    for (const p of strings) {
      if (path.isAbsolute(p)) assert.equal(resolvedPath(p), path.resolve(p), `resolve ${JSON.stringify(p)}`);
      assert.equal(dirnameOf(p), path.dirname(p), `dirname ${JSON.stringify(p)}`);
      assert.equal(basenameOf(p), path.basename(p), `basename ${JSON.stringify(p)}`);
      for (const ext of exts) assert.equal(basenameOf(p, ext), path.basename(p, ext), `basename ${JSON.stringify(p)} ${JSON.stringify(ext)}`);
    }
  });
  it('relativePath equals path.relative for every pair of paths of up to 5 characters of / . a b', () => {
    const all = (n: number): string[] => (n === 0 ? [''] : all(n - 1).flatMap((s) => (s.length === n - 1 ? [s, ...['/', '.', 'a', 'b'].map((c) => s + c)] : [s])));
    const strings = [...new Set(all(5))].filter((p) => path.isAbsolute(p)).concat(['/work/wt', '/work/shared/corpus/a.sql', '/work', '/w', '/x y/ü']);
    for (const from of strings) for (const to of strings) assert.equal(relativePath(from, to), path.relative(from, to), `${JSON.stringify(from)} -> ${JSON.stringify(to)}`);
  });
  it('knows a normalized absolute path', () => {
    for (const p of paths) assert.equal(isNormalizedAbsolute(p), path.isAbsolute(p) && path.normalize(p) === p && (p === '/' || !p.endsWith('/')), JSON.stringify(p));
  });
});

describe('relativePath on longer paths', () => {
  const paths = ['/', '/a', '/a/b', '/a/b/', '/a//b', '/a/./b', '/a/../b', '/a/.zdm', '/a/b/.', '/a/b/..', '/a/bc', '/a/b/c', '/a/b/c/d.sql', '/a/b/../b/c', 'a/b', 'a/b/c', '.', '..', '', './a', '/x y/ü', '/x y/ü/v.sql'];
  it('equals path.relative for every pair', () => {
    for (const dir of paths) for (const file of paths) assert.equal(relativePath(dir, file), path.relative(dir, file), `${JSON.stringify(dir)} -> ${JSON.stringify(file)}`);
  });
  it('a file inside a normalized absolute folder is the rest of its path', () => {
    assert.equal(relativePath('/a/b', '/a/b/c/d.sql'), 'c/d.sql');
  });
});
