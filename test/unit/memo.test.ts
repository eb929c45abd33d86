// KeyedMemo (server/src/engine/memo.ts): a WeakMap's behaviour for the engine's per-file memos, with
// each value kept on its key, so that it dies with the key in a young-generation GC.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { KeyedMemo } from '../../server/src/engine/memo';

describe('KeyedMemo', () => {
  it('gets, sets, has and deletes per key, like a WeakMap', () => {
    const memo = new KeyedMemo<object, number | undefined>();
    const a = {};
    const b: unknown[] = [];
    assert.equal(memo.get(a), undefined);
    assert.equal(memo.has(a), false);
    memo.set(a, 1).set(b, 2);
    assert.equal(memo.get(a), 1);
    assert.equal(memo.get(b), 2);
    memo.set(a, 3);
    assert.equal(memo.get(a), 3);
    memo.set(b, undefined);
    assert.equal(memo.has(b), true, 'an undefined value is still an entry');
    assert.equal(memo.delete(a), true);
    assert.equal(memo.has(a), false);
    assert.equal(memo.delete(a), false);
  });

  it('keeps two memos on the same key apart', () => {
    const first = new KeyedMemo<object, string>();
    const second = new KeyedMemo<object, string>();
    const key = {};
    first.set(key, 'first');
    second.set(key, 'second');
    assert.equal(first.get(key), 'first');
    assert.equal(second.get(key), 'second');
  });

  it('is invisible on its key: not enumerated, not copied by spread, not in JSON or deep equality', () => {
    const memo = new KeyedMemo<object, string>();
    const statement = { kind: 'IndexStmt', text: 'CREATE INDEX ...' };
    const list = [statement];
    memo.set(statement, 'facts');
    memo.set(list, 'index');
    assert.deepEqual(Object.keys(statement), ['kind', 'text']);
    assert.equal(JSON.stringify(statement), '{"kind":"IndexStmt","text":"CREATE INDEX ..."}');
    assert.deepStrictEqual(statement, { kind: 'IndexStmt', text: 'CREATE INDEX ...' });
    const copy = { ...statement };
    assert.equal(memo.get(copy), undefined, 'a copy of a key is another key');
    assert.equal(memo.get(list.slice()), undefined);
    assert.equal(list.length, 1);
  });

  it('works on keys that cannot take a property (frozen)', () => {
    const memo = new KeyedMemo<object, number>();
    const frozen = Object.freeze([]);
    memo.set(frozen, 7);
    assert.equal(memo.get(frozen), 7);
    assert.equal(memo.has(frozen), true);
    assert.equal(memo.delete(frozen), true);
    assert.equal(memo.get(frozen), undefined);
  });

  it('lets a value die with its short-lived key in young-generation GCs (a module-level WeakMap promotes it)', () => {
    // Bytes promoted to the old generation while 20,000 short-lived keys each get a 100-object value:
    // a count of V8's GC, not a timing (with the collector on one thread, so that a busy machine does
    // not change when it runs). The memo must promote about what keeping no memo at all does (~9 MB
    // here), far from what a module-level WeakMap promotes (~30-45 MB): nearer the first than the second.
    const memo = path.join(__dirname, '..', '..', 'server', 'src', 'engine', 'memo.js');
    const script = `
      const { KeyedMemo } = require(${JSON.stringify(memo)});
      const store = process.argv[1] === 'keyed' ? new KeyedMemo() : process.argv[1] === 'weakmap' ? new WeakMap() : undefined;
      for (let i = 0; i < 5; i++) { const junk = []; for (let j = 0; j < 1e5; j++) junk.push({ j }); } // ages the store
      for (let i = 0; i < 20000; i++) {
        const key = { i };
        const value = [];
        for (let j = 0; j < 100; j++) value.push({ a: j, b: 'x' + j });
        store?.set(key, value);
      }`;
    const promoted = (mode: string): number => {
      const run = spawnSync(process.execPath, ['--single-threaded-gc', '--trace-gc-nvp', '-e', script, mode], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      let bytes = 0;
      for (const m of run.stdout.matchAll(/gc=s .*?\bpromoted=(\d+)/g)) bytes += Number(m[1]);
      return bytes;
    };
    // Each count is the median of three runs, interleaved: V8 sizes its young generation by how fast the
    // process allocates, so a run slowed by a busy machine can promote far less than usual (CI, Node
    // 24.21: a WeakMap 12 MB where it promotes 30-45), and one such run must not decide the test.
    const median = (counts: number[]) => counts.sort((a, b) => a - b)[1];
    const runs = { none: [] as number[], keyed: [] as number[], weakmap: [] as number[] };
    for (let i = 0; i < 3; i++) for (const mode of ['none', 'keyed', 'weakmap'] as const) runs[mode].push(promoted(mode));
    const none = median(runs.none);
    const keyed = median(runs.keyed);
    const weak = median(runs.weakmap);
    // Why the memo exists (V8 in Node 20); if a later V8 frees these values, the memo costs nothing either.
    assert.ok(weak >= keyed, `promoted with a WeakMap ${weak} bytes, with the memo ${keyed}`);
    assert.ok(keyed - none < (weak - none) / 2 + 1e6, `promoted with the memo ${keyed} bytes, without any ${none}, with a WeakMap ${weak}`);
  });
});
